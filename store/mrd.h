/* store/mrd.h - the Concertim metric reporting daemon's state (../shared/specs/concertim.md §5,
 * §6.2): the known devices, the pending report per device and metric (persisted, so a restart
 * loses nothing), the current snapshot the last processing run made (replaced wholesale in one
 * transaction, so readers never see half a run), and the index of which device recorded which
 * numeric metric. History itself is series {__name__="<metric>", device="<id>"} in the project
 * the caller names ([store] default_project), with units/slope/type in their metadata, so
 * PromQL reads the same data.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_MRD_H
#define STORE_MRD_H

#include "core/err.h"
#include "ingest/mrd.h"
#include "chunk.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* 1 when id is in the device table or has reported before (§5.1: known devices are remembered
 * with their pending reports), 0 when not, < 0 on a store error. */
int mrd_device_known(store_t *st, store_txn_t *txn, const char *id, vg_err_t *err);
/* The device table becomes exactly ids[0..n). */
int mrd_devices_replace(store_t *st, store_txn_t *txn, const char *const *ids, size_t n,
                        vg_err_t *err);
/* Re-reads the data-source map file path into the device table (in its own transaction) unless
 * the last load was less than min_gap_ms before now_ms (min_gap_ms <= 0 forces it). *loaded is 1
 * when it read the file, and then *ndevices (when not NULL) the number of device ids in it. A
 * missing or bad file is VG_EINVAL and leaves the table as it was. */
int mrd_devices_reload(store_t *st, const char *path, int64_t now_ms, int64_t min_gap_ms,
                       int *loaded, size_t *ndevices, vg_err_t *err);

/* Stores r as the device's pending report for r->name, replacing an earlier one (§6.1: its
 * processed state starts over), reported at now_ms. */
int mrd_pending_put(store_t *st, store_txn_t *txn, const char *device, const mrd_report_t *r,
                    int64_t now_ms, vg_err_t *err);

typedef struct {
    size_t devices, metrics, stale, samples; /* of the run */
} mrd_run_stats_t;

/* One processing run at now_ms (§6.1) with step step_s, in one series-writer transaction:
 * stale reports are skipped, the others form the new current snapshot (which replaces the old
 * one) and their numeric values are appended to history in project. */
int mrd_process(store_t *st, const char *project, int64_t now_ms, int step_s,
                mrd_run_stats_t *stats, vg_err_t *err);

/* ---- layout (all in `resources`; a "pair" id is "<decimal length of a>:<a><b>", so a's
 * entries are one prefix range and no two (a, b) pairs share an id, whatever the bytes):
 *
 *   mrd_device      <device>                   {}                   the data-source map's ids
 *   mrd_state       devices                    {"at","ok","devices"} last map load (throttle)
 *   mrd_state       run                        {"last","runs",...}  absent before the first run
 *   mrd_pending     pair(device, metric)       {"device","name","value","type","slope","units",
 *                                               "ttl","reported"[,"last"]}  ms; "last" = the
 *                                               last sample's time, absent until processed
 *   mrd_cur_dev     <device>                   {"metrics":n}        every device of the run
 *   mrd_cur         pair(device, metric)       {"name","value","type","slope","units"}
 *   mrd_cur_metric  pair(metric, device)       {"device","value","type"}
 *   mrd_cur_unique  <metric>                   {"name","type","units","nature"[,"min","max"]}
 *   mrd_hist        pair(metric, device)       {"first":ms}         recorded numeric metrics
 *   mrd_hist_dev    pair(device, metric)       {}                   the same, by device
 *   mrd_summary     <metric>                   {"devices","sum","at"} the last run's summary
 *
 * The mrd_cur* kinds are the current snapshot, rewritten by every run. A sample is the canonical
 * value read as a number (upstream hands rrdtool that string) at its whole second, in series
 * {__name__=<metric>, device=<id>} with metadata type "gauge", unit = the report's units and help
 * "concertim type=<type> slope=<slope>" (the last device's in a run). */

/* The last run (VG_OK), or VG_ENOTFOUND before the first one (the current views' 503). */
int mrd_run_state(store_t *st, store_txn_t *txn, int64_t *last_ms, uint64_t *runs, vg_err_t *err);

/* One metric of the current snapshot; strings in the caller's arena. */
typedef struct {
    const char *device, *name;
    const char *value; /* canonical (ingest/mrd.h) */
    const char *units; /* "" when none */
    mrd_type_t type;
    mrd_slope_t slope;
} mrd_current_t;

/* The device's metrics in the last run, sorted by name (none when all were stale);
 * VG_ENOTFOUND when the device was not in it. */
int mrd_current_device(store_t *st, store_txn_t *txn, const char *device, vg_arena_t *a,
                       mrd_current_t **out, size_t *n, vg_err_t *err);
/* The devices with a fresh value of metric in the last run, sorted by device id (only device,
 * value and type are filled); VG_ENOTFOUND when none had one. */
int mrd_current_metric(store_t *st, store_txn_t *txn, const char *metric, vg_arena_t *a,
                       mrd_current_t **out, size_t *n, vg_err_t *err);

/* One metric name of the last run (§3.3's unique metrics). type, units and nature are the first
 * device's (by id); min and max are the canonical values of the extremes among the devices whose
 * type is of the same kind (signed, unsigned or float) as the first numeric one's, with
 * minmax_type that type; NULL when no device's value is numeric. */
typedef struct {
    const char *name, *units, *nature, *min, *max;
    mrd_type_t type, minmax_type;
} mrd_unique_t;

/* The metric names of the last run, sorted. */
int mrd_current_unique(store_t *st, store_txn_t *txn, vg_arena_t *a, mrd_unique_t **out, size_t *n,
                       vg_err_t *err);

/* Sorted names of the numeric metrics ever recorded: by any device (device NULL), or by one. */
int mrd_hist_metrics(store_t *st, store_txn_t *txn, const char *device, vg_arena_t *a,
                     const char ***names, size_t *n, vg_err_t *err);
/* The devices (sorted) that ever recorded metric, with the time of each one's first sample. */
int mrd_hist_devices(store_t *st, store_txn_t *txn, const char *metric, vg_arena_t *a,
                     const char ***devices, int64_t **first_ms, size_t *n, vg_err_t *err);
/* VG_OK with the time of the first sample when device recorded metric, else VG_ENOTFOUND. */
int mrd_hist_first(store_t *st, store_txn_t *txn, const char *device, const char *metric,
                   int64_t *first_ms, vg_err_t *err);

/* ---- the historic grid (§3.4: rrdtool fetch --align-start, AVERAGE) ---- */

/* Rows farther apart than this (or two steps, when the step is longer) are a gap: the sample
 * after it covers an unknown interval, as rrdtool's heartbeat makes it (upstream: 120 s). */
#define MRD_HEARTBEAT_S 120
/* The largest grid one historic query may ask for (per device). */
#define MRD_MAX_ROWS 100000

typedef struct {
    int64_t ts; /* seconds */
    double v;
    int has; /* 0: null */
} mrd_row_t;

/* Rows of the grid for [start_s, end_s] at res_s: floor(start/R)*R + R up to floor(end/R)*R + R.
 * 0 when end_s < start_s. */
int64_t mrd_grid_rows(int64_t start_s, int64_t end_s, int64_t res_s);
/* Fills rows[0..nrows) of the grid that starts at floor(start/R)*R + R from samples s[0..n)
 * (sorted by time, in ms; the caller fetched them from at least heartbeat_s before the first
 * row's interval): each row is the average of the samples in (ts - R, ts], or null. A sample
 * more than heartbeat_s after the one before it does not count, nor does the first one given
 * unless it is the series's first ever (t <= first_ms; INT64_MAX when not known). NaN values
 * (staleness markers) count as no sample. One pass. */
void mrd_bucket(const store_sample_t *s, size_t n, int64_t first_ms, int64_t start_s, int64_t res_s,
                int64_t heartbeat_s, mrd_row_t *rows, size_t nrows);

/* The grid of device's metric in project for [start_s, end_s] at res_s (nrows =
 * mrd_grid_rows(), at most MRD_MAX_ROWS) into *rows (arena a): the series
 * {__name__=<metric>, device=<device>} read over the grid's range only. All rows null when the
 * series does not exist. */
int mrd_history(store_t *st, store_txn_t *txn, const char *project, const char *device,
                const char *metric, int64_t first_ms, int64_t start_s, int64_t end_s, int64_t res_s,
                int64_t heartbeat_s, vg_arena_t *a, mrd_row_t **rows, size_t *nrows, vg_err_t *err);
/* As mrd_history for several devices of one metric at once (one catalog lookup): rows[i] for
 * devices[i]. */
int mrd_history_many(store_t *st, store_txn_t *txn, const char *project, const char *metric,
                     const char *const *devices, const int64_t *first_ms, size_t ndev,
                     int64_t start_s, int64_t end_s, int64_t res_s, int64_t heartbeat_s,
                     vg_arena_t *a, mrd_row_t **rows, size_t *nrows, vg_err_t *err);

#endif
