/*
 * vocab: the small closed vocabularies of the work order that live in
 * code rather than in reference tables — each a list of wire codes with
 * their Chinese labels, defined once here and used by validation, the
 * pages, the read projection and the statistics alike.
 *
 * (Statuses, actions and roles have their tables in lifecycle.c and
 * auth/role.c; request types, urgencies, channels, categories and
 * departments are reference data in the database.)
 */
#ifndef HOTLINE_ORDERS_VOCAB_H
#define HOTLINE_ORDERS_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

struct vocab_entry {
	const char *code;	/* on the wire and in the database */
	const char *label;	/* Chinese, on the pages */
};

struct vocab {
	const char *name;	/* what the words are, for messages: "satisfaction" */
	const struct vocab_entry *entries;
	size_t count;
};

/* The caller's rating at the callback: 满意 / 基本满意 / 不满意. */
enum satisfaction { SAT_NONE = -1, SAT_SATISFIED, SAT_BASICALLY, SAT_UNSATISFIED };
extern const struct vocab vocab_satisfaction;

/* How a callback was made: by phone (the callback queue), by SMS, or by the
 * caller on the public status page. Phone is the first, so that a callback
 * built in C with its members zeroed was made by phone. */
enum callback_channel { CBCH_UNSET = -1, CBCH_PHONE, CBCH_SMS, CBCH_WEB };
extern const struct vocab vocab_callback_channel;

/* The emergency services an order can be transferred out to. */
enum transfer_target { TRANSFER_NONE = -1, TRANSFER_110, TRANSFER_119, TRANSFER_120, TRANSFER_122 };
extern const struct vocab vocab_transfer_target;

/* The deadline light of an order: none before dispatch, then green, yellow
 * past the warning share of the time, red past the deadline. */
extern const struct vocab vocab_alert;

/* The events the system writes outside the lifecycle table: a deadline
 * light that changed, a sign-for that came late, feedback from 110. */
extern const struct vocab vocab_system_event;

/* The levels of a supervisor's press: 催办, 督办, 挂牌督办. */
extern const struct vocab vocab_press_level;

/* The index of `code` in `v`, or -1 if it is not one of its codes (or NULL). */
int vocab_parse(const struct vocab *v, const char *code);
/* The code and label of entry `i`; "" when out of range. */
const char *vocab_code(const struct vocab *v, int i);
const char *vocab_label(const struct vocab *v, int i);
/* The label of `code`, or `code` itself when it is not one of `v`'s. */
const char *vocab_label_of(const struct vocab *v, const char *code);
/* Appends "a, b or c" (the codes) to `out` of `size` bytes, for messages. */
void vocab_list(const struct vocab *v, char *out, size_t size);

/*
 * The states in which an order's deadline clock runs: dispatched, being
 * handled, or waiting for the centre's decision on a return or an
 * extension. A suspended order's clock is stopped; pending and closed
 * orders have none. CLOCK_RUNS_SQL is the same set as an SQL list, for
 * `status IN CLOCK_RUNS_SQL` (migration 0002's partial indexes hold the
 * same list; a unit test checks the two spellings agree).
 */
#define CLOCK_RUNS_SQL "('dispatched', 'in_progress', 'return_requested', 'extension_requested')"

#endif
