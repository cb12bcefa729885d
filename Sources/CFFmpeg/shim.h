// Debian's FFmpeg 5.1 headers, plus the few things Swift cannot import:
// function-like macros and macros built from them. Every symbol here is
// prefixed `cff_` and exists for exactly one reason, given beside it.
#ifndef GRIDWATCH_CFFMPEG_SHIM_H
#define GRIDWATCH_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <libavutil/log.h>

/// AVERROR(e) is a function-like macro.
static inline int cff_averror(int e) { return AVERROR(e); }
/// AVERROR_EOF is built with FFERRTAG, a function-like macro.
static inline int cff_averror_eof(void) { return AVERROR_EOF; }
/// AVERROR_EXIT, same reason.
static inline int cff_averror_exit(void) { return AVERROR_EXIT; }
/// AVERROR_INVALIDDATA, same reason.
static inline int cff_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
/// AVERROR_HTTP_UNAUTHORIZED (RTSP 401 too), built with FFERRTAG.
static inline int cff_averror_http_unauthorized(void) { return AVERROR_HTTP_UNAUTHORIZED; }
/// AVERROR_HTTP_FORBIDDEN (RTSP 403 too), same reason.
static inline int cff_averror_http_forbidden(void) { return AVERROR_HTTP_FORBIDDEN; }
/* RTSP 404: no such stream path on the camera. */
static inline int cff_averror_http_not_found(void) { return AVERROR_HTTP_NOT_FOUND; }
/// AV_NOPTS_VALUE is a cast expression Swift does not import.
static inline int64_t cff_nopts_value(void) { return AV_NOPTS_VALUE; }
/// av_err2str uses a compound literal; this writes into the caller's buffer.
static inline void cff_err2str(int code, char *buf, size_t size) { av_strerror(code, buf, size); }
/// FF_QP2LAMBDA is a plain macro but keeps the JPEG quality maths in one place.
static inline int cff_qp2lambda(void) { return FF_QP2LAMBDA; }
/// AVFrame.data is an array member Swift imports as a tuple; plane pointers by index.
static inline uint8_t *cff_frame_plane(const AVFrame *f, int i) { return f->data[i]; }
/// AVFrame.linesize, same reason.
static inline int cff_frame_linesize(const AVFrame *f, int i) { return f->linesize[i]; }

#endif
