#include "cffmpeg_log.h"
#include <libavutil/log.h>
#include <stdatomic.h>
#include <string.h>

static _Atomic(cfflog_sink) installed_sink = NULL;
static atomic_int installed_max_level = AV_LOG_WARNING;

static void cfflog_callback(void *avcl, int level, const char *fmt, va_list vl) {
    if (level > atomic_load(&installed_max_level)) return;
    cfflog_sink sink = atomic_load(&installed_sink);
    if (sink == NULL) return;
    char line[1024];
    int print_prefix = 1;
    av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (n == 0) return;
    sink(level, line);
}

void cfflog_install(cfflog_sink sink, int max_level) {
    atomic_store(&installed_max_level, max_level);
    atomic_store(&installed_sink, sink);
    av_log_set_level(max_level);
    av_log_set_callback(cfflog_callback);
}
