/*
 * settings: the run-time settings of the callback queue and of the unit
 * ranking, kept in the `setting` table (one jsonb value a key) and changed
 * by administrators through the API without a restart. A key that is not
 * stored has its default; a stored value that is out of range (written by
 * hand) is logged and replaced by the default.
 *
 *   callback.delay_workdays  a task is due at 00:00 of the Nth working day
 *                            after the reply; 0 = at once            (1)
 *   callback.share           fraction of replied orders called back: a
 *                            deterministic sample by order id         (1.0)
 *   callback.max_attempts    unreachable calls before 无法回访         (3)
 *   callback.hold_minutes    how long a taken task stays with its agent (15)
 *   callback.retry_minutes   wait after an unreachable call           (60)
 *   ranking.weights          三率 weights {"response","resolution",
 *                            "satisfaction"}, summing to 1   (0.30/0.35/0.35)
 *   ranking.red_min          score >= red_min: red list 红榜           (0.95)
 *   ranking.black_max        score < black_max: black list 黑榜        (0.80)
 *   ranking.min_dispatched   dispatched orders a unit needs to be ranked (1)
 */
#ifndef HOTLINE_SUPERVISION_SETTINGS_H
#define HOTLINE_SUPERVISION_SETTINGS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "core/err.h"
#include "db/db.h"

struct callback_settings {
	int delay_workdays;
	double share;
	int max_attempts;
	double hold_minutes;
	int retry_minutes;
};

struct ranking_settings {
	double w_response, w_resolution, w_satisfaction;
	double red_min;
	double black_max;
	int min_dispatched;
};

/* Reads the callback settings into `out`. False with `e` (503/500) if the
 * database cannot be read. */
bool callback_settings_load(struct db *db, struct callback_settings *out, struct err *e);
/* Reads the ranking settings into `out`. Fails as callback_settings_load(). */
bool ranking_settings_load(struct db *db, struct ranking_settings *out, struct err *e);

/*
 * The settings of `group` ("callbacks" or "ranking") as the API shows them,
 * e.g. {"delay_workdays": 1, "share": 1.0, …}; a new reference owned by the
 * caller, or NULL with `e` (404 for an unknown group).
 */
json_object *settings_group_get(struct db *db, const char *group, struct err *e);
/*
 * Changes the members of `body` (any subset of the group's settings) in
 * one transaction and returns the whole group as settings_group_get().
 * 422 naming the member for an unknown member, a wrong type or a value out
 * of range; nothing is changed then.
 */
json_object *settings_group_put(struct db *db, const char *group, json_object *body,
				struct err *e);

#endif
