/*
 * err: the one error struct, carried by the caller.
 *
 * A function that can fail takes `struct err *e` last and returns false
 * (or NULL, or -1, as its comment says) after filling it in. An error has:
 *
 *   status   the HTTP status the failure maps to, so that the single
 *            mapping to a response lives in the http module;
 *   code     what went wrong, one of ERR_CODES below: the API sends its
 *            slug as the problem's "type", and the pages say it in Chinese
 *            by code (src/web/messages.c), never by reading the message;
 *   field    the input field at fault, or "";
 *   num, text  the code's arguments (a limit, a count, the value refused),
 *            which the Chinese text of the code puts in its place;
 *   message  English for the API's "detail", the CLI and the logs.
 *
 * Messages follow the PostgreSQL style: lower-case start, no final
 * period, the offending value quoted, the reason given. They are meant
 * for users: internal details (SQL text, libpq messages) go to the log,
 * never into an err that reaches a client.
 *
 * A form or a body with several bad fields reports them all at once: the
 * validator fills one err per field and err_collect() gathers them, the
 * first as the error itself and the others in `more`.
 */
#ifndef HOTLINE_CORE_ERR_H
#define HOTLINE_CORE_ERR_H

#include <stdbool.h>

/*
 * Every code with its slug. The comment says what num[0], num[1] and text
 * hold where the code has arguments. Add a code here and its Chinese text
 * in src/web/messages.c (a unit test checks that every code has one).
 */
#define ERR_CODES(X)                                                                        \
	X(ERR_NONE, "")                                                                     \
	/* the server and its parts */                                                      \
	X(ERR_INTERNAL, "internal")                                                         \
	X(ERR_UNAVAILABLE, "unavailable")                                                   \
	X(ERR_IO, "io-error")			/* text: the file */                        \
	X(ERR_BAD_OPTION, "bad-option")		/* text: the option */                      \
	X(ERR_NOT_CONFIGURED, "not-configured")                                             \
	X(ERR_LISTEN_FAILED, "listen-failed")                                               \
	X(ERR_SCRIPT_FAILED, "script-failed")                                               \
	X(ERR_SCHEMA_BEHIND, "schema-behind")                                               \
	X(ERR_SCHEMA_AHEAD, "schema-ahead")                                                 \
	X(ERR_NO_MIGRATIONS, "no-migrations")                                               \
	X(ERR_MIGRATION_EDITED, "migration-edited")                                         \
	X(ERR_MIGRATION_FAILED, "migration-failed")                                         \
	X(ERR_TEMPLATE_MISSING, "template-missing")                                         \
	X(ERR_TEMPLATE_SYNTAX, "template-syntax")                                           \
	X(ERR_TEMPLATE_RECURSION, "template-recursion")                                     \
	/* the request as a whole */                                                        \
	X(ERR_NOT_FOUND, "not-found")                                                       \
	X(ERR_PAGE_NOT_FOUND, "page-not-found")                                             \
	X(ERR_UNKNOWN_ACTION, "unknown-action")                                             \
	X(ERR_METHOD_NOT_ALLOWED, "method-not-allowed")                                     \
	X(ERR_TOO_LARGE, "too-large")                                                       \
	X(ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")                             \
	X(ERR_EMPTY_BODY, "empty-body")                                                     \
	X(ERR_MALFORMED_JSON, "malformed-json")                                             \
	X(ERR_BAD_FORM, "bad-form")                                                         \
	X(ERR_BAD_ENCODING, "invalid-encoding")                                             \
	X(ERR_UNAUTHENTICATED, "unauthenticated")                                           \
	X(ERR_LOGIN_REQUIRED, "login-required")                                             \
	X(ERR_BAD_CREDENTIALS, "bad-credentials")                                           \
	X(ERR_TOO_MANY_FAILURES, "too-many-failures")                                       \
	X(ERR_LOGIN_MISSING, "login-missing")                                               \
	X(ERR_LOGIN_CSRF, "login-csrf")                                                     \
	X(ERR_CSRF, "csrf")                                                                 \
	X(ERR_FORBIDDEN, "forbidden")                                                       \
	X(ERR_BAD_IDEMPOTENCY_KEY, "bad-idempotency-key")                                   \
	X(ERR_CONFLICT, "conflict")                                                         \
	X(ERR_UNIQUE_VIOLATION, "unique-violation")                                         \
	X(ERR_CONSTRAINT, "constraint")		/* field: the constraint's name */          \
	X(ERR_INVALID_VALUE, "invalid-value")                                               \
	X(ERR_BAD_REQUEST, "bad-request")	/* the 110 wire's one code for bad input */ \
	/* one input field */                                                               \
	X(ERR_REQUIRED, "required")                                                         \
	X(ERR_WRONG_TYPE, "wrong-type")		/* text: the type expected */               \
	X(ERR_TOO_LONG, "too-long")		/* num: characters given, most allowed */   \
	X(ERR_CONTROL_CHAR, "control-character")                                            \
	X(ERR_NOT_UTF8, "not-utf8")                                                         \
	X(ERR_NOT_ONE_LINE, "not-one-line")                                                 \
	X(ERR_NOT_INTEGER, "not-integer")	/* text: the value */                       \
	X(ERR_NOT_NUMBER, "not-number")		/* text: the value */                       \
	X(ERR_NOT_BOOLEAN, "not-boolean")	/* text: the value */                       \
	X(ERR_OUT_OF_RANGE, "out-of-range")	/* num: lowest, highest allowed */          \
	X(ERR_UNKNOWN_CHOICE, "unknown-choice")	/* text: the value */                       \
	X(ERR_UNKNOWN_MEMBER, "unknown-member")	/* text: the member */                      \
	X(ERR_BAD_TIME, "bad-time")		/* text: the value */                       \
	X(ERR_BAD_DATE, "bad-date")		/* text: the value */                       \
	X(ERR_BAD_PERIOD, "bad-period")                                                     \
	X(ERR_NOT_WHOLE_HOUR, "not-whole-hour")                                             \
	X(ERR_BAD_CODE, "bad-code")		/* text: the value */                       \
	X(ERR_BAD_CURSOR, "bad-cursor")                                                     \
	X(ERR_LISTED_TWICE, "listed-twice")	/* text: the value */                       \
	X(ERR_PHONE_TOO_LONG, "phone-too-long")                                             \
	X(ERR_PHONE_NO_DIGITS, "phone-no-digits")                                           \
	X(ERR_PHONE_BAD_MOBILE, "phone-bad-mobile")                                         \
	X(ERR_PHONE_NEEDS_AREA, "phone-needs-area-code")                                    \
	X(ERR_PHONE_INVALID, "phone-invalid")                                               \
	/* references to other records */                                                   \
	X(ERR_UNKNOWN_DEPARTMENT, "unknown-department")	/* text: the code */                \
	X(ERR_UNKNOWN_DISTRICT, "unknown-district")	/* text: the code */                \
	X(ERR_UNKNOWN_STREET, "unknown-street")		/* text: the code */                \
	X(ERR_STREET_NOT_IN_DISTRICT, "street-not-in-district")                             \
	X(ERR_UNKNOWN_CATEGORY, "unknown-category")	/* text: the code */                \
	X(ERR_UNKNOWN_PARENT, "unknown-parent")		/* text: the code */                \
	X(ERR_UNKNOWN_ORDER, "unknown-order")		/* text: the number */              \
	X(ERR_UNKNOWN_USER, "unknown-user")                                                 \
	X(ERR_NO_POLICY, "no-policy")                                                       \
	/* the order and its lifecycle */                                                   \
	X(ERR_INVALID_STATE, "invalid-state")                                               \
	X(ERR_STALE_VERSION, "stale-version")                                               \
	X(ERR_NOT_LEAD_DEPARTMENT, "not-lead-department")                                   \
	X(ERR_PAST_DEADLINE, "past-deadline")                                               \
	X(ERR_SUSPEND_OVERDUE, "suspend-overdue")                                           \
	X(ERR_SAME_DEPARTMENT, "same-department")                                           \
	X(ERR_NOT_SUB_UNIT, "not-sub-unit")                                                 \
	X(ERR_DEADLINE_NOT_LATER, "deadline-not-later")                                     \
	X(ERR_EXTENSION_HOW, "extension-how")                                               \
	X(ERR_MERGE_SELF, "merge-into-self")                                                \
	X(ERR_MERGE_CLOSED, "merge-into-closed")	/* text: the number */              \
	X(ERR_REASON_FOR_REOPEN, "reason-for-reopen")                                       \
	/* the callback queue */                                                            \
	X(ERR_CALLBACK_HELD, "callback-held")                                               \
	X(ERR_NOT_HOLDER, "not-holder")                                                     \
	X(ERR_CALLBACK_FINISHED, "callback-finished")                                       \
	/* users */                                                                         \
	X(ERR_LOGIN_TAKEN, "login-taken")                                                   \
	X(ERR_PASSWORD_SHORT, "password-too-short")                                         \
	X(ERR_PASSWORD_IS_LOGIN, "password-is-login")                                       \
	X(ERR_PASSWORD_TRIVIAL, "password-trivial")                                         \
	X(ERR_PASSWORD_COMMON, "password-common")                                           \
	X(ERR_ROLE_NEEDS_DEPARTMENT, "role-needs-department")                               \
	X(ERR_ROLE_WITHOUT_DEPARTMENT, "role-without-department")                           \
	X(ERR_BAD_LOGIN, "bad-login")                                                       \
	X(ERR_SELF_DEACTIVATE, "self-deactivate")                                           \
	X(ERR_SELF_ROLE, "self-role")                                                       \
	/* routing rules and settings */                                                    \
	X(ERR_BAD_PATTERN, "bad-pattern")	/* num: offset; text: PCRE2's reason */     \
	X(ERR_RULE_SUGGESTS_NOTHING, "rule-suggests-nothing")                               \
	X(ERR_WEIGHTS_SUM, "weights-sum")	/* num: the sum */                          \
	X(ERR_RED_BELOW_BLACK, "red-below-black")                                           \
	/* files and imports */                                                             \
	X(ERR_NO_FILE, "no-file")                                                           \
	X(ERR_EMPTY_FILE, "empty-file")                                                     \
	X(ERR_MISSING_COLUMN, "missing-column")	/* text: the column */                      \
	X(ERR_BAD_CSV, "bad-csv")                                                           \
	X(ERR_BAD_RECORD, "bad-record")                                                     \
	X(ERR_UNKNOWN_FORMAT, "unknown-format")                                             \
	/* the 110 bridge */                                                                \
	X(ERR_UNSIGNED, "unsigned")                                                         \
	X(ERR_BAD_SIGNATURE, "bad-signature")                                               \
	X(ERR_BAD_TIMESTAMP, "bad-timestamp")                                               \
	X(ERR_STALE_TIMESTAMP, "stale-timestamp")                                           \
	X(ERR_REPLAYED, "replayed")                                                         \
	X(ERR_ALREADY_SENT, "already-sent")

enum err_code {
#define ERR_ENUM(name, slug) name,
	ERR_CODES(ERR_ENUM)
#undef ERR_ENUM
	ERR_CODE_COUNT
};

/* The slug of `code` ("too-long"); "internal" for a value out of range. */
const char *err_code_slug(enum err_code code);

/* One bad input among several (see err_collect()). */
struct err_detail {
	enum err_code code;
	char field[64];
	double num[2];
	char text[96];
	char message[256];
};

#define ERR_MORE_MAX 15

struct err {
	int status;		/* HTTP status; 0 = no error */
	enum err_code code;
	char field[64];		/* offending input field, or "" */
	double num[2];		/* the code's numeric arguments */
	char text[96];		/* the code's text argument */
	int line;		/* the line of an input file at fault, or 0 */
	char message[512];
	/* One optional extra member for the problem body, e.g. "status":
	 * "in_progress" when an action does not fit the order's state. */
	char ext_key[24];
	char ext_value[64];
	/* Further bad fields of the same input, after this one. */
	int nmore;
	struct err_detail more[ERR_MORE_MAX];
};

#define ERR_INIT { .status = 0 }

/* Fills `e` (if not NULL), naming the input field at fault, and returns
 * false, so callers can write `return err_field(e, 422, "content",
 * ERR_REQUIRED, "field \"content\" is required")`. */
bool err_field(struct err *e, int status, const char *field, enum err_code code,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* As err_field(), for an error of no one field:
 * `return err_set(e, 404, ERR_NOT_FOUND, "no order \"%s\"", number)`. */
#define err_set(e, status, code, ...) err_field(e, status, "", code, __VA_ARGS__)
/* As err_field(), with the code's two numeric arguments (a range's
 * bounds, a length and its limit). */
#define err_field_n(e, status, field, code, a, b, ...) \
	(err_field(e, status, field, code, __VA_ARGS__), err_num(e, a, b))
/* Sets the numeric arguments of the error; returns false. */
bool err_num(struct err *e, double a, double b);
/* Sets the text argument of the error (copied, cut to fit); returns false. */
bool err_text_arg(struct err *e, const char *text);
void err_clear(struct err *e);
/* Puts `prefix` (formatted) before the message, e.g. "rules.csv: line 4: ". */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records that the error is at `line` of file `file`: sets e->line and
 * puts "FILE: line N: " before the message. */
void err_at_line(struct err *e, const char *file, int line);
/* Sets the extra member (copied). */
void err_extra(struct err *e, const char *key, const char *value);
/*
 * Adds the error `one` to `all`: the first becomes `all` itself, later
 * ones go to all->more (those past ERR_MORE_MAX are dropped; the input
 * is refused all the same). Does nothing if `one` is not set.
 */
void err_collect(struct err *all, const struct err *one);
/* The i-th error of `e` as a detail: 0 is `e` itself, 1.. its `more`. */
void err_detail_at(const struct err *e, int i, struct err_detail *out);
static inline bool err_isset(const struct err *e) { return e->status != 0; }

/* Title for an HTTP status, e.g. "Not Found". */
const char *http_status_title(int status);

#endif
