/*
 * buf: a growable byte string.
 *
 * Invariants: after buf_init() (or BUF_INIT) `data` is never NULL and is
 * always NUL-terminated at data[len], so it can be handed to any C string
 * function. Growth is overflow-checked; an allocation failure aborts the
 * process (there is no sensible recovery for a server that cannot allocate
 * a few bytes, and checking every append would drown the callers).
 *
 * Ownership: the buffer owns `data` until buf_detach(), after which the
 * caller owns the returned string and the buffer is empty again.
 */
#ifndef HOTLINE_CORE_BUF_H
#define HOTLINE_CORE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct err;

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

extern char buf_empty_string[];
#define BUF_INIT { buf_empty_string, 0, 0 }

void buf_init(struct buf *b);
/* Frees the storage; the buffer is empty and reusable afterwards. */
void buf_release(struct buf *b);
/* Empties the buffer but keeps its storage for reuse. */
void buf_reset(struct buf *b);
/* Makes room for at least `extra` more bytes (plus the terminator). */
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Shortens the buffer to `len` bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Returns the malloc'd string (never NULL); the caller frees it. */
char *buf_detach(struct buf *b, size_t *len_out);

/* Appends `s` as a JSON string literal, quotes included. */
void buf_add_json_string(struct buf *b, const char *s);

/*
 * Appends the whole content of the file at `path` to `b` (bytes as they
 * are, NULs included; `b` stays NUL-terminated after them). Returns true
 * on success. On failure (cannot open, or a read error before the end)
 * returns false with `e` set to 500 ERR_IO (its text argument the path),
 * "cannot read \"PATH\": REASON", `b` as it was before the call, and errno as the failing call
 * left it, for a caller that words the error its own way.
 */
bool buf_read_file(struct buf *b, const char *path, struct err *e);

/* Allocation helpers that abort on failure instead of returning NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
