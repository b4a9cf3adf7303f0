/*
 * notify: the database's notifications turned into wake-ups of the HTTP
 * server's parked requests (long polling, http_park()).
 *
 * One thread holds a connection of its own that LISTENs on the given
 * channels; a notification on channel C with payload P wakes the requests
 * parked on the topic "C:P". When the connection is lost the thread
 * reconnects, waiting a second between attempts; notifications sent
 * meanwhile are missed, and the requests parked on them answer when their
 * wait ends, as a client polling without waking would.
 */
#ifndef HOTLINE_APP_NOTIFY_H
#define HOTLINE_APP_NOTIFY_H

#include "http/http.h"

struct notifier;

/* Starts listening on `channels` (NULL-terminated; static storage) for `s`. */
struct notifier *notifier_start(struct http_server *s, const char *const *channels);
/* Stops the thread (within a quarter of a second) and frees `n`. */
void notifier_stop(struct notifier *n);

#endif
