/* store/events.h - the StackTach event store (../shared/specs/stacktach.md §1-§2, §4): one raw
 * table per service with its own id sequence and a secondary index (DB->associate) by instance
 * or image uuid, request id, event, host, tenant, deployment and time; the deployments; the
 * derived lifecycle, timings, KPI trackers, instance and image usage; and the stored reports.
 * sk_store_message writes a message and everything derived from it in the caller's transaction.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_EVENTS_H
#define STORE_EVENTS_H

#include "core/arena.h"
#include "core/err.h"
#include "ingest/stacky.h"
#include "store.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* ---- writing ---- */

/* Stores m (parsed by sk_msg_parse) as the next raw of its table for the deployment named
 * deployment (created on first use: ids 1, 2, ... in creation order), then its derived data
 * (§2: lifecycle, timings, trackers, instance usage for nova; image usage for glance), and for
 * a nova message increments stacktach_events_total{deployment,event,host} in project at now_ms.
 * Runs inside txn, which must be a series-writer transaction (store_txn_run_write); *raw_id gets
 * the new raw's id. */
int sk_store_message(store_t *st, store_txn_t *txn, const char *project, const char *deployment,
                     const sk_msg_t *m, int64_t now_ms, uint64_t *raw_id, vg_err_t *err);

/* sk_store_message in its own series-writer transaction (store_txn_run_write): what ingest
 * does for each message. */
int sk_ingest(store_t *st, const char *project, const char *deployment, const sk_msg_t *m,
              int64_t now_ms, uint64_t *raw_id, vg_err_t *err);

/* ---- reading: every function takes a transaction (NULL: none) and allocates in a ---- */

typedef struct {
    uint32_t id;
    const char *name;
} sk_deployment_t;

/* All deployments, by name (byte order). */
int sk_deployments(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_deployment_t **out, size_t *n,
                   vg_err_t *err);
/* The name of deployment id (NULL when there is none). */
const char *sk_deployment_name(const sk_deployment_t *deps, size_t n, uint32_t id);

/* A stored raw: the sk_msg_t fields a raw row keeps (§1.4-1.7: table, routing_key, json,
 * when_us, publisher, event, service, host, request_id, tenant, instance, state, old_state,
 * old_task, task, os_*, rax_options, image_type, status, uuid, owner, message_id); the usage
 * inputs are zero. */
typedef struct {
    uint64_t id;
    uint32_t deployment;
    sk_msg_t m;
} sk_raw_t;

/* The raw id of table (VG_ENOTFOUND when there is none). */
int sk_raw_get(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_table_t table, uint64_t id,
               sk_raw_t *out, vg_err_t *err);

typedef enum {
    SK_BY_INSTANCE,   /* nova, generic: instance; glance: image uuid */
    SK_BY_REQUEST,    /* request_id (exact text, "" included) */
    SK_BY_EVENT,      /* event */
    SK_BY_HOST,       /* host (null hosts are not indexed) */
    SK_BY_TENANT,     /* tenant (nova, generic) */
    SK_BY_DEPLOYMENT, /* deployment id; value unused, see deployment below */
    SK_BY_WHEN,       /* every raw of the table, by time */
} sk_index_t;

typedef struct {
    sk_table_t table;
    sk_index_t index;
    const char *value;   /* the key for SK_BY_INSTANCE..SK_BY_TENANT */
    uint32_t deployment; /* SK_BY_DEPLOYMENT's key; with other indexes a filter (0 = any) */
    int64_t when_min;    /* SK_NO_TIME = unbounded */
    int64_t when_max;    /* inclusive; SK_NO_TIME = unbounded */
    int when_min_excl;   /* when_min is exclusive (watch's since) */
    int descending;      /* by when descending (ties by id descending) */
    const char *event;   /* filter: event equals (NULL = any) */
    /* filter for columns no index covers (search): return 1 to keep the row */
    int (*keep)(const sk_raw_t *r, void *arg);
    void *keep_arg;
    size_t offset, limit; /* the window, applied after filtering and ordering */
    int no_json;          /* leave m.json NULL: the stored text is not needed (saves inflating) */
    /* with keep(): read at most this many rows (0 = no bound); past it the query fails with
     * VG_ELIMIT rather than read the whole table for a page it cannot fill */
    size_t max_examined;
} sk_query_t;

/* Raws matching q in index order (when, then id), as an index range scan: the cost is the rows
 * read up to offset + limit (plus the ones keep() drops), never the table's size. */
int sk_raws_query(store_t *st, store_txn_t *txn, vg_arena_t *a, const sk_query_t *q,
                  sk_raw_t **rows, size_t *n, vg_err_t *err);

/* Distinct event names of table, ascending (byte order). */
int sk_events(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_table_t table, const char ***names,
              size_t *n, vg_err_t *err);
/* Distinct hosts of table, ascending; *has_null is 1 when some raw had no host. */
int sk_hosts(store_t *st, store_txn_t *txn, vg_arena_t *a, sk_table_t table, const char ***hosts,
             size_t *n, int *has_null, vg_err_t *err);
/* 1 when some nova raw has this tenant, 0 when none, < 0 on error. */
int sk_tenant_known(store_t *st, store_txn_t *txn, const char *tenant, vg_err_t *err);

/* ---- timings (§2.2) ---- */

typedef struct {
    uint64_t id; /* creation order */
    const char *name, *instance;
    uint64_t start_raw, end_raw;        /* 0 = none */
    int64_t start_when_us, end_when_us; /* SK_NO_TIME = none */
    int64_t diff_us;                    /* end - start when both exist */
} sk_timing_t;

/* The instance's timings in creation order. */
int sk_timings_by_instance(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance,
                           sk_timing_t **out, size_t *n, vg_err_t *err);
/* Complete timings named name with end_when in [end_min, end_max] (SK_NO_TIME = unbounded), by
 * diff ascending then id, window offset/limit. */
int sk_timings_by_name(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *name,
                       int64_t end_min, int64_t end_max, size_t offset, size_t limit,
                       sk_timing_t **out, size_t *n, vg_err_t *err);

/* One summary row (§4.7): complete timings with diff >= 0 of name, in creation order, window
 * offset/limit applied per name. */
typedef struct {
    const char *name;
    size_t n;
    int64_t min_us, max_us, sum_us;
} sk_summary_t;
/* Rows for every name of a nova ".start" event (suffix stripped, ascending) that has timings. */
int sk_summary(store_t *st, store_txn_t *txn, vg_arena_t *a, size_t offset, size_t limit,
               sk_summary_t **out, size_t *n, vg_err_t *err);

/* ---- KPI trackers (§2.3, §4.12) ---- */

typedef struct {
    const char *event; /* the end raw's event without ".end" */
    int64_t duration_us;
    const char *instance;
    uint32_t deployment; /* of the end raw */
    const char *tenant;  /* of the end raw */
} sk_kpi_t;

/* Trackers with a last timing and start >= since_us, whose end raw has tenant (NULL = any), by
 * duration ascending. */
int sk_kpi(store_t *st, store_txn_t *txn, vg_arena_t *a, int64_t since_us, const char *tenant,
           sk_kpi_t **out, size_t *n, vg_err_t *err);

/* ---- instance usage (§2.4-2.6), creation order, optionally one instance ---- */

typedef struct {
    const char *instance, *request_id;
    int64_t launched_at_us; /* SK_NO_TIME = null */
    const char *type_id, *flavor_id, *tenant;
    const char *os_architecture, *os_distro, *os_version, *rax_options;
} sk_launch_t;

typedef struct {
    const char *instance;
    int64_t launched_at_us, deleted_at_us; /* SK_NO_TIME = null */
    uint64_t raw;
} sk_delete_t;

typedef struct {
    const char *instance, *message_id, *status;
    int64_t launched_at_us, deleted_at_us, audit_begin_us, audit_end_us;
    const char *type_id, *flavor_id, *tenant;
    const char *os_architecture, *os_distro, *os_version, *rax_options;
    int64_t bandwidth_public_out;
    uint64_t raw, launch, del; /* linked rows (0 = none): launch/delete creation numbers */
} sk_exists_t;

int sk_launches(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance, size_t offset,
                size_t limit, sk_launch_t **out, size_t *n, vg_err_t *err);
int sk_deletes(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance, size_t offset,
               size_t limit, sk_delete_t **out, size_t *n, vg_err_t *err);
int sk_exists(store_t *st, store_txn_t *txn, vg_arena_t *a, const char *instance, size_t offset,
              size_t limit, sk_exists_t **out, size_t *n, vg_err_t *err);

/* ---- image usage (§2.7): no stacky endpoint lists these; vigilctl and tests read them ---- */

typedef enum { SK_IMG_USAGE, SK_IMG_DELETES, SK_IMG_EXISTS } sk_image_kind_t;
/* Every row of that kind in creation order as a JSON array of objects (unix-seconds times as
 * "1371738717.939614" strings, as StackTach's decimals print): usage {uuid, created_at, owner,
 * size, last_raw}, deletes {uuid, deleted_at, raw}, exists {uuid, created_at, deleted_at,
 * audit_period_beginning, audit_period_ending, size, owner, message_id, status, raw}. The caller
 * owns *out (json_object_put). */
int sk_images(store_t *st, store_txn_t *txn, sk_image_kind_t kind, json_object **out,
              vg_err_t *err);

/* ---- reports (§4.16-4.19) ---- */

typedef struct {
    uint64_t id;
    int64_t period_start_us, period_end_us, created_us;
    const char *name;
    int version;
    const char *json; /* the report text, verbatim */
    size_t json_len;
} sk_report_t;

/* Stores r (its id is ignored) as the next report; *id gets its id (1, 2, ...). */
int sk_report_put(store_t *st, store_txn_t *txn, const sk_report_t *r, uint64_t *id, vg_err_t *err);
/* VG_ENOTFOUND when there is no report id. */
int sk_report_get(store_t *st, store_txn_t *txn, vg_arena_t *a, uint64_t id, sk_report_t *out,
                  vg_err_t *err);
/* Reports keep() accepts (NULL: all), by id ascending (descending when set), window
 * offset/limit. */
int sk_reports(store_t *st, store_txn_t *txn, vg_arena_t *a,
               int (*keep)(const sk_report_t *r, void *arg), void *arg, int descending,
               size_t offset, size_t limit, sk_report_t **out, size_t *n, vg_err_t *err);
/* 1 when a report named name covers exactly [period_start_us, period_end_us], else 0. */
int sk_report_exists(store_t *st, store_txn_t *txn, const char *name, int64_t period_start_us,
                     int64_t period_end_us, vg_err_t *err);

/* ---- the summary report job (§4.19; store/events_report.c) ---- */

/* Builds the "summary for region: <region|all>" report (version 4) for the hours starting at
 * start_us (a UTC hour), over the deployments whose upper-cased name contains the upper-cased
 * region (NULL: all), created at now_us, and stores it in its own transaction. *id gets the
 * report's id. */
int sk_report_summary(store_t *st, vg_arena_t *a, int64_t start_us, int hours, const char *region,
                      int64_t now_us, uint64_t *id, vg_err_t *err);

#endif
