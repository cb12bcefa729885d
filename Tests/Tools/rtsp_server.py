#!/usr/bin/python3
"""A real RTSP server for Gridwatch's tests, demo and benchmarks.

Serves an H.264, H.265 or MJPEG file (no B-frames) over RTSP on 127.0.0.1 with
GStreamer's rtsp-server. The file's access units are read once; a pusher
thread sends them at the file's frame rate into an appsrc that stamps each
buffer with the pipeline clock, so a looping file keeps a continuous,
advancing clock (clients would otherwise see time jump back at each pass).

Prints one line `READY rtsp://127.0.0.1:PORT/PATH` on stdout once it
listens; stops on SIGTERM or SIGINT. Run with the system python3
(/usr/bin/python3), which has the GObject bindings.
"""
import argparse
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


CODECS = {
    # codec: (parser for the file, caps the appsrc carries, parser + payloader in the server)
    "h264": ("h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au",
             "h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1"),
    "h265": ("h265parse config-interval=-1 ! video/x-h265,stream-format=byte-stream,alignment=au",
             "h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1"),
    "mjpeg": ("jpegparse ! image/jpeg", "jpegparse ! rtpjpegpay name=pay0 pt=26"),
}


def load_access_units(path, codec):
    """Every access unit of the file's video, its caps, and the frame rate."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! parsebin ! {CODECS[codec][0]} ! appsink name=sink sync=false'
    )
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units, caps = [], None
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        caps = caps or sample.get_caps()
        buf = sample.get_buffer()
        units.append(buf.extract_dup(0, buf.get_size()))
    pipeline.set_state(Gst.State.NULL)
    if not units:
        sys.exit(f"rtsp_server: no {codec} video in {path}")
    s = caps.get_structure(0)
    ok, num, den = s.get_fraction("framerate")
    fps = num / den if ok and num > 0 else 25.0
    return units, caps.to_string(), fps


class Pusher:
    """Feeds one media's appsrc at the frame rate, looping or not."""

    def __init__(self, appsrc, units, fps, loop):
        self.appsrc, self.units, self.fps, self.loop = appsrc, units, fps, loop
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        interval = 1.0 / self.fps
        start = time.monotonic()
        n = 0
        while not self.stopped.is_set():
            index = n % len(self.units)
            if index == 0 and n > 0 and not self.loop:
                self.appsrc.emit("end-of-stream")
                return
            buf = Gst.Buffer.new_wrapped(self.units[index])
            buf.duration = int(interval * Gst.SECOND)
            if self.appsrc.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                return
            n += 1
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                self.stopped.wait(delay)


class Factory(GstRtspServer.RTSPMediaFactory):
    def __init__(self, units, caps, fps, loop, codec):
        super().__init__()
        self.units, self.fps, self.loop = units, fps, loop
        caps = caps.replace(" ", "")
        self.set_launch(
            f'( appsrc name=src is-live=true format=time do-timestamp=true caps="{caps}" '
            f"! {CODECS[codec][1]} )"
        )
        self.connect("media-configure", self.on_configure)

    def on_configure(self, _factory, media):
        appsrc = media.get_element().get_by_name("src")
        pusher = Pusher(appsrc, self.units, self.fps, self.loop)
        media.connect("unprepared", lambda _m: pusher.stopped.set())
        pusher.thread.start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="video file to serve")
    parser.add_argument("--codec", choices=sorted(CODECS), default="h264", help="the file's video codec")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--path", default="/cam", help="mount path")
    parser.add_argument("--loop", action="store_true", help="loop the file forever")
    parser.add_argument("--shared", action="store_true", help="one stream for all clients")
    parser.add_argument("--user", help="require this user and password")
    parser.add_argument("--password", help="password for --user")
    parser.add_argument("--auth", choices=["basic", "digest"], default="basic", help="authentication method for --user")
    args = parser.parse_args()

    Gst.init(None)
    units, caps, fps = load_access_units(args.file, args.codec)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = Factory(units, caps, fps, args.loop, args.codec)
    factory.set_shared(args.shared)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        # The Python binding takes one method, not a set of flags.
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST if args.auth == "digest" else GstRtsp.RTSPAuthMethod.BASIC)
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
        auth.add_digest(args.user, args.password or "", token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(perms)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        sys.exit(f"rtsp_server: cannot listen on 127.0.0.1:{args.port}")
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{args.path}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
