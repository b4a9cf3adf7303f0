#include "supervision/supervision.h"

#include "supervision/callbacks.h"
#include "supervision/stats.h"

bool supervision_on_change(struct db *db, const struct order_change *change, struct err *e)
{
	return callbacks_on_change(db, change, e) && stats_on_change(db, change, e);
}

void supervision_init(void)
{
	orders_on_change(supervision_on_change);
}
