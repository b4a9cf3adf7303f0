/* Shared between the files of the police module; not for other modules. */
#ifndef HOTLINE_POLICE_PRIVATE_H
#define HOTLINE_POLICE_PRIVATE_H

#include <stdatomic.h>

/* The figures /metrics shows; counters only grow, gauges are refreshed by
 * the worker. */
struct police_counters {
	atomic_long sent;		/* messages acknowledged */
	atomic_long failed_attempts;	/* attempts that did not get a 2xx */
	atomic_long parked;		/* messages parked by this process */
	atomic_long transfers_created;	/* 警单 that made a new order */
	atomic_long transfers_repeated;	/* 警单 answered with an existing order */
	atomic_long feedback_received;
	atomic_long rejected;		/* inbound requests refused by authentication */
	atomic_long pending_now;	/* gauge: messages waiting */
	atomic_long parked_now;		/* gauge: messages parked */
	atomic_long oldest_pending_s;	/* gauge: age of the oldest waiting message */
};

extern struct police_counters police_stats;

#endif
