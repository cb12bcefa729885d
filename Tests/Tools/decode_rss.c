// The memory floor of decoding with Debian's FFmpeg: the four libraries gridwatchd links
// (avformat, avcodec, swscale, avutil), one file decoded on one thread and scaled to 320x180
// gray, as a camera's reader does; prints VmRSS, RssAnon and RssFile at the end.
//   gcc -O2 Tests/Tools/decode_rss.c -o /tmp/decode_rss $(pkg-config --cflags --libs libavformat libavcodec libswscale libavutil)
//   /tmp/decode_rss .cache/bench/vtest-360p.mp4
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void rss(const char *when) {
    FILE *f = fopen("/proc/self/status", "r"); char line[256];
    if (!f) return;
    while (fgets(line, sizeof line, f)) if (!strncmp(line, "VmRSS", 5) || !strncmp(line, "RssAnon", 7) || !strncmp(line, "RssFile", 7)) printf("%s %s", when, line);
    fclose(f);
}
int main(int argc, char **argv) {
    AVFormatContext *fmt = NULL;
    if (argc != 2) { fprintf(stderr, "usage: decode_rss FILE\n"); return 2; }
    if (avformat_open_input(&fmt, argv[1], NULL, NULL) < 0) { fprintf(stderr, "cannot open %s\n", argv[1]); return 1; }
    avformat_find_stream_info(fmt, NULL);
    int vs = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    const AVCodec *c = avcodec_find_decoder(fmt->streams[vs]->codecpar->codec_id);
    AVCodecContext *ctx = avcodec_alloc_context3(c);
    avcodec_parameters_to_context(ctx, fmt->streams[vs]->codecpar);
    ctx->thread_count = 1;
    avcodec_open2(ctx, c, NULL);
    AVPacket *p = av_packet_alloc(); AVFrame *fr = av_frame_alloc();
    struct SwsContext *sws = NULL; uint8_t *gray = malloc(320 * 180);
    int n = 0;
    while (av_read_frame(fmt, p) >= 0) {
        if (p->stream_index == vs && avcodec_send_packet(ctx, p) >= 0)
            while (avcodec_receive_frame(ctx, fr) >= 0) {
                if (!sws) sws = sws_getContext(fr->width, fr->height, fr->format, 320, 180, AV_PIX_FMT_GRAY8, SWS_FAST_BILINEAR, NULL, NULL, NULL);
                uint8_t *dst[1] = { gray }; int ls[1] = { 320 };
                sws_scale(sws, (const uint8_t * const *)fr->data, fr->linesize, 0, fr->height, dst, ls);
                if (++n % 100 == 0) usleep(1000);
            }
        av_packet_unref(p);
    }
    rss("end");
    return 0;
}
