/* fcgi/stats.h - request counters shared by every process of one vigil instance. They live in
 * a small file mapped MAP_SHARED in the store home, updated with lock-free atomics, so /metrics
 * answered by any worker counts the requests of all of them (and survives worker restarts).
 * SPDX-License-Identifier: MIT */
#ifndef FC_STATS_H
#define FC_STATS_H

#include "core/buf.h"

#include <stdint.h>

/* Maps (creating when missing) <dir>/vigil.stats. Returns 0, or -1 with errno; then every
 * other call is a no-op. Safe to call again after fork (it keeps the inherited mapping). */
int fc_stats_open(const char *dir);
void fc_stats_close(void);
/* Counts one answered request of route (a pattern), with its status and duration. */
void fc_stats_request(const char *route, const char *method, int status, int64_t usec);
void fc_stats_worker_restart(void);
/* The master records how many workers it is running. */
void fc_stats_set_workers(int n);
/* Appends the shared counters in Prometheus text format 0.0.4. */
void fc_stats_render(vg_buf_t *out);

#endif
