/*
 * err: the one error struct, carried by the caller.
 *
 * A function that can fail takes `struct err *e` last and returns false
 * (or NULL, or -1, as its comment says) after filling it in. `status` is
 * the HTTP status the failure maps to, so that the single mapping to a
 * response lives in the http module; CLI commands print `message`.
 *
 * Messages follow the PostgreSQL style: lower-case start, no final
 * period, the offending value quoted, the reason given. They are meant
 * for users: internal details (SQL text, libpq messages) go to the log,
 * never into an err that reaches a client.
 */
#ifndef HOTLINE_CORE_ERR_H
#define HOTLINE_CORE_ERR_H

#include <stdbool.h>

struct err {
	int status;		/* HTTP status; 0 = no error */
	char code[48];		/* machine-readable slug, e.g. "invalid-state" */
	char field[64];		/* offending input field, or "" */
	char message[512];
	/* One optional extra member for the problem body, e.g. "status":
	 * "in_progress" when an action does not fit the order's state. */
	char ext_key[24];
	char ext_value[64];
};

#define ERR_INIT { 0, "", "", "", "", "" }

/* Fills `e` (if not NULL) and returns false, so callers can write
 * `return err_set(e, 422, "unknown-field", "...")`. */
bool err_set(struct err *e, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* As err_set(), naming the input field at fault. */
bool err_field(struct err *e, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void err_clear(struct err *e);
/* Puts `prefix` (formatted) before the message, e.g. "rules.csv: line 4: ". */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the extra member (copied). */
void err_extra(struct err *e, const char *key, const char *value);
static inline bool err_isset(const struct err *e) { return e->status != 0; }

/* Title for an HTTP status, e.g. "Not Found". */
const char *http_status_title(int status);

#endif
