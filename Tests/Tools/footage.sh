# Shared by demo.sh and bench.sh: real footage from Debian's opencv-doc package
# (vtest.avi, a pedestrian scene, 768×576 at 10 fps), re-encoded to H.264 the way
# a camera sends it (no B-frames, a keyframe a second). Nothing is committed.
# Usage: fetch_vtest CACHE_DIR   → CACHE_DIR/vtest.mp4
fetch_vtest() {
    local cache=$1
    mkdir -p "$cache"
    if [ ! -f "$cache/vtest.avi" ]; then
        echo "== Fetching Debian's opencv-doc for vtest.avi (real footage) / 获取演示视频"
        local pkg="$cache/pkg"
        rm -rf "$pkg" && mkdir -p "$pkg"
        (cd "$pkg" && apt-get download opencv-doc >/dev/null 2>&1) || {
            apt-get update -qq >/dev/null && (cd "$pkg" && apt-get download opencv-doc >/dev/null)
        }
        dpkg -x "$pkg"/opencv-doc_*.deb "$pkg/x"
        cp "$pkg/x/usr/share/doc/opencv-doc/examples/data/vtest.avi" "$cache/vtest.avi"
        rm -rf "$pkg"
    fi
    if [ ! -f "$cache/vtest.mp4" ]; then
        echo "== Re-encoding to H.264 (no B-frames, a keyframe a second) / 转码为 H.264"
        ffmpeg -v error -y -i "$cache/vtest.avi" -an -c:v libx264 -preset veryfast -bf 0 -g 10 -pix_fmt yuv420p "$cache/vtest.mp4"
    fi
}
