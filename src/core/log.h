/*
 * log: one line per message on stderr, prefixed with the local time and
 * level. Safe to call from any thread (each line is one write()).
 */
#ifndef HOTLINE_CORE_LOG_H
#define HOTLINE_CORE_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int log_level_parse(const char *name);
/* The message's control characters are written as \xNN: a value from a
 * request cannot start a line of its own. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes `line` (ending in a newline) as it is, in one write(): for the
 * access log's JSON lines. */
void log_line(const char *line, size_t len);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
