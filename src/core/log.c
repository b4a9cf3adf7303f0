#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_level_parse(const char *name)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tags[] = { "debug", "info", "warn", "error" };
	struct buf line = BUF_INIT, message = BUF_INIT;
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	va_list ap;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_addf(&line, "%s.%03ld %s: ", stamp, ts.tv_nsec / 1000000, tags[level]);
	va_start(ap, fmt);
	buf_vaddf(&message, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < message.len; i++) {
		unsigned char c = (unsigned char)message.data[i];
		if (c < 0x20 || c == 0x7f)
			buf_addf(&line, "\\x%02X", c);
		else
			buf_addch(&line, (char)c);
	}
	buf_release(&message);
	buf_addch(&line, '\n');
	if (write(STDERR_FILENO, line.data, line.len) < 0) {
		/* nowhere left to report it */
	}
	buf_release(&line);
}

void log_line(const char *line, size_t len)
{
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere left to report it */
	}
}
