// av_log's callback is variadic (va_list), which Swift cannot implement.
// This target formats each message into a line and hands it to a plain
// C function pointer that Swift can provide.
#ifndef GRIDWATCH_CFFMPEG_LOG_H
#define GRIDWATCH_CFFMPEG_LOG_H

/// Receives one formatted FFmpeg log line (without trailing newline) and its av_log level.
typedef void (*cfflog_sink)(int level, const char *line);

/// Route FFmpeg's log through `sink`, dropping messages above `max_level`.
void cfflog_install(cfflog_sink sink, int max_level);

#endif
