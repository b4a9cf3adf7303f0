/*
 * params: what each lifecycle action takes, as typed C, and the one table
 * that names every parameter — its kind, whether it is required, its
 * limits and choices, its Chinese label. The table drives the validation
 * of API bodies and of web forms alike, the forms themselves and their
 * error texts; a test holds the API reference (src/api/openapi.json) to
 * it. A new parameter is a member of its action's struct below, a row of
 * the table in params.c, and the code in the action's handler that uses
 * it: nothing else.
 *
 * Text values are borrowed from the input they were read from (the JSON
 * body or the submitted form) and live as long as it does.
 */
#ifndef HOTLINE_ORDERS_PARAMS_H
#define HOTLINE_ORDERS_PARAMS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "orders/fields.h"
#include "orders/lifecycle.h"
#include "orders/vocab.h"

#define PARAM_TEXT_MAX 1000		/* a note, a reason */
#define PARAM_LONG_TEXT_MAX 4000	/* an answer, a reply's result */
#define PARAM_CODE_MAX 32		/* a department code, an order number */
#define PARAM_LIST_MAX 16		/* assisting units */
#define PARAMS_PER_ACTION_MAX 20	/* the most parameters one action has */

/* A list of department codes. */
struct code_list {
	const char *codes[PARAM_LIST_MAX];
	size_t count;
};

/* A number that may be absent (0 is a value like any other). */
struct opt_number {
	bool given;
	double value;
};

/* Tri-state yes/no: not given, no, yes. */
enum yes_no { YN_UNSET = -1, YN_NO = 0, YN_YES = 1 };

struct register_params {		/* register: 受理登记 */
	const char *channel;		/* default "phone" */
	const char *request_type;
	const char *urgency;		/* default "normal" */
	const char *category;
	const char *caller_name;
	char caller_phone[PHONE_MAX];	/* normalised (phone_normalise()); "" if none */
	bool confidential;
	const char *address;
	const char *district, *street;	/* department codes of kind district, street */
	struct opt_number latitude, longitude;	/* both or neither */
	const char *content;
	const char *request;		/* what the caller asks for */
	const char *call_id;		/* the call it came in on */
};

struct note_params {			/* sign, approve/reject_extension, resume, archive, chase */
	const char *note;
};
struct answer_params {			/* answer: 直接办结 */
	const char *answer;
};
struct not_accept_params {
	const char *reason;
	const char *channel_advice;	/* the lawful channel the caller was told of */
};
struct transfer_out_params {
	enum transfer_target target;
	const char *note;
};
struct dispatch_params {		/* dispatch, approve_return */
	const char *department;		/* the lead unit */
	struct code_list assisting;
	const char *note;
	/* dispatch only: the routing suggestion the agent was shown */
	int64_t suggestion_rule;	/* the rule's id; 0: none */
	const char *suggested_department;
};
struct reason_params {			/* return, reject_return, suspend */
	const char *reason;
};
struct sub_dispatch_params {
	const char *department;
	const char *note;
};
struct extension_params {		/* request_extension: until, or workdays */
	const char *reason;
	time_t until;			/* 0: not given */
	int64_t workdays;		/* 0: not given */
};
struct reply_params {
	const char *result;
	enum yes_no solved, contacted;
};
struct callback_params {
	enum satisfaction satisfaction;	/* SAT_NONE when unreachable or skipped */
	enum yes_no solved;
	bool unreachable;		/* not reached after the configured attempts */
	bool skipped;			/* outside the share of orders called back */
	const char *note;
	enum callback_channel channel;	/* how it was made; CBCH_UNSET (read from
					   input) and CBCH_PHONE both mean by phone */
	/* Whether the cause is the unit's: unsatisfied and attributable, the
	 * action engine reopens the order instead (重办, the note its reason). */
	enum yes_no attributable;
	/* Set by the callback queue, never read from input: */
	const char *comment;		/* the queue's record of the call */
};
struct reopen_params {
	const char *reason;
	/* Set by the callback queue when a rating reopens the order: */
	enum satisfaction satisfaction;	/* SAT_NONE otherwise */
	enum yes_no solved;
	const char *comment;
};
struct merge_params {
	const char *into;		/* the order number merged into */
	const char *note;
};
struct press_params {
	const char *note;
	int64_t level;			/* 1 to 3 */
};

/* The parameters of one action: the member named after the action. */
struct action_params {
	int64_t version;		/* the order version the client saw; 0: any */
	union {
		struct register_params register_;
		struct note_params sign, approve_extension, reject_extension, resume, archive, chase;
		struct answer_params answer;
		struct not_accept_params not_accept;
		struct transfer_out_params transfer_out;
		struct dispatch_params dispatch, approve_return;
		struct reason_params return_, reject_return, suspend;
		struct sub_dispatch_params sub_dispatch;
		struct extension_params request_extension;
		struct reply_params reply;
		struct callback_params callback;
		struct reopen_params reopen;
		struct merge_params merge;
		struct press_params press;
	};
};

enum param_kind {
	PARAM_TEXT,		/* free text, at most `max` characters */
	PARAM_LINE,		/* one line of text (a code, a number), at most `max` characters */
	PARAM_BOOL,		/* yes or no, or not said (enum yes_no) */
	PARAM_FLAG,		/* true or false, false when not given (bool) */
	PARAM_INT,		/* a whole number from `min` to `max` (0: not given); with
				   `choices`, the form offers them as a list */
	PARAM_NUMBER,		/* a number from `min` to `max` (struct opt_number) */
	PARAM_PHONE,		/* a phone number, normalised (char[PHONE_MAX]) */
	PARAM_TIME,		/* ISO 8601 with offset */
	PARAM_CHOICE,		/* one code of `choices` */
	PARAM_DEPARTMENT,	/* an active department's code */
	PARAM_DEPARTMENTS,	/* a list of them */
};

/* One parameter of one action. */
struct param_spec {
	const char *name;		/* the JSON member and the form field */
	enum param_kind kind;
	bool required;
	const char *unless[2];		/* PARAM_FLAGs of the same action any of which,
					   when true, waives `required` */
	int64_t min, max;		/* PARAM_INT: the range; text: at most `max` characters */
	const struct vocab *choices;	/* PARAM_CHOICE; PARAM_INT shown as a list */
	const char *label;		/* Chinese, on the form and before its errors */
	const char *hint;		/* the form's placeholder, or NULL */
	int rows;			/* PARAM_TEXT: lines of its box on the form; 0 one line */
	bool digits_ok;			/* PARAM_INT: a JSON string of digits is taken too */
	bool hidden;			/* carried by the form, not shown (dispatch's suggestion) */
	size_t offset;			/* of the value in struct action_params (or the
					   struct a module reads with params_read_fields()) */
};

/* The parameters of `action` in form order, and their number (*n). */
const struct param_spec *params_of(enum order_action action, size_t *n);
/* The parameter `name` of `action`, or NULL. */
const struct param_spec *param_find(enum order_action action, const char *name);

/*
 * Where a parameter's value comes from: a JSON body, or a submitted form.
 * get() returns the value of `name` as text, or NULL when it is absent or
 * blank; list() fills up to `max` values of a repeated field and returns
 * how many there are (more than `max` is refused by the caller).
 */
struct param_source {
	json_object *body;		/* a JSON body, or NULL for a form */
	const char *(*get)(void *form, const char *name);
	size_t (*list)(void *form, const char *name, const char **out, size_t max);
	void *form;
};

/*
 * Reads and checks every parameter of `action` from `src` into `out`
 * (zeroed first; tri-states YN_UNSET, choices -1 when not given). Every
 * bad parameter is reported, not only the first: `e` holds the first
 * (422, naming the field, with a specific code) and e->more the others.
 * Unknown members of a JSON body are ignored, as the API always did.
 * Returns false if any parameter is bad.
 */
bool params_read(enum order_action action, const struct param_source *src,
		 struct action_params *out, struct err *e);

/* Reads "version" from `src` into *out (0 when absent): 422 if it is not a
 * whole number. */
bool params_read_version(const struct param_source *src, int64_t *out, struct err *e);

/*
 * The same for any other table of parameters (a module's own form, such as
 * the callback queue's record of a call): reads `specs` (n of them) from
 * `src` into the struct at `out` of `size` bytes, whose members the specs'
 * offsets name.
 */
bool params_read_fields(const struct param_spec *specs, size_t n, const struct param_source *src,
			void *out, size_t size, struct err *e);
/* The values of `specs` in the struct at `p` as a new JSON object. */
json_object *params_fields_to_json(const struct param_spec *specs, size_t n, const void *p);

/* A JSON body (may be NULL: no parameters) as a param_source. */
struct param_source params_from_json(json_object *body);

/*
 * The parameters in `p` as a JSON object (caller puts), as the API would
 * send them: for the event record and for modules that keep JSON.
 */
json_object *params_to_json(enum order_action action, const struct action_params *p);

#endif
