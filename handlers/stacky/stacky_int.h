/* handlers/stacky/stacky_int.h - what the StackTach stacky handlers share (api.c: routes, the
 * error shape, the common parameters and ingest; read.c: the raw tables; timings.c: timings,
 * summary, KPI and usage; reports.c: the stored reports). ../shared/specs/stacktach.md §3-§4.
 * SPDX-License-Identifier: MIT */
#ifndef STACKY_INT_H
#define STACKY_INT_H

#include "fcgi/router.h"
#include "store/events.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define STACKY_US_PER_S  1000000LL
#define STACKY_DAY_US    (86400LL * STACKY_US_PER_S)
#define STACKY_LIMIT_DEF 50   /* §3.5 */
#define STACKY_LIMIT_MAX 1000 /* §3.5: larger limits are cut to this */
/* a search on a column no index covers reads the table by time; it gives up (422) after this
 * many rows, about a second's work, rather than read millions for one page */
#define STACKY_SCAN_MAX 250000

/* How a decimal time parameter with more than 6 fraction digits lands on a microsecond. */
typedef enum {
    STACKY_FLOOR, /* inclusive upper bounds, exclusive lower bounds */
    STACKY_CEIL,  /* inclusive lower bounds */
    STACKY_EXACT, /* an equality: -1 when the value is not a whole microsecond */
} stacky_round_t;

/* ---- parameters (api.c); each failure is a VG_EINVAL with the §3.3 message ---- */

/* The value of parameter name, or VG_EINVAL "Missing parameter: <name>" when absent. */
int stacky_required(const req_t *req, const char *name, const char **out, vg_err_t *err);
/* The service parameter (§3.4): *t = dflt when absent; SK_NTABLES stands for "all" when
 * allow_all is set; "Unknown service: x" otherwise. */
int stacky_service(const req_t *req, sk_table_t dflt, int allow_all, sk_table_t *t, vg_err_t *err);
/* limit and offset (§3.5): empty is absent, limit defaults to 50 and is cut to 1000. */
int stacky_paging(const req_t *req, size_t *offset, size_t *limit, vg_err_t *err);
/* Unix decimal seconds (§3.6) into microseconds: 0, or -1 when s is not such a number. */
int stacky_parse_unix(const char *s, stacky_round_t mode, int64_t *us);
/* The time parameter name (§3.6): *us = dflt when absent or empty, VG_EINVAL when malformed. */
int stacky_time_arg(const req_t *req, const char *name, stacky_round_t mode, int64_t dflt,
                    int64_t *us, vg_err_t *err);
/* A non-negative decimal integer of at most 19 digits (no sign, no spaces): 0, or -1. */
int stacky_parse_u64(const char *s, uint64_t *v);
/* The path's {name} as an id (\d+): 0, or the router's 404 when it is not all digits; *v is
 * UINT64_MAX when it does not fit. */
int stacky_path_id(req_t *req, const char *name, uint64_t *v, vg_err_t *err);
/* The router's 404 for a path that does not match a route's pattern. */
int stacky_no_route(req_t *req, vg_err_t *err);

/* ---- rendering (api.c) ---- */

/* A string, or JSON null for NULL. */
json_object *stacky_str(const char *s);
/* A §3.6 "When" string, or null for SK_NO_TIME. */
json_object *stacky_when(int64_t us);
/* [t0, t1, ...] of the NULL-terminated titles. */
json_object *stacky_titles(const char *const *titles);
/* The nova, glance or generic row (§4) of r. */
json_object *stacky_raw_row(const sk_raw_t *r, const sk_deployment_t *deps, size_t ndeps);
/* The title row of table's row shape. */
json_object *stacky_raw_titles(sk_table_t t);
/* Characters (not bytes) of UTF-8 text: the deployment name's limit, watch's column width. */
/* §3.8: "E" when the routing key ends with "error", else " ". */
const char *stacky_flag(const char *routing_key);

/* ---- read.c (§4.1-4.4, 4.8-4.11) ---- */
int stacky_deployments(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_events(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_hosts(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_uuid(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_request(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_show(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_watch(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_search(req_t *req, resp_t *resp, vg_err_t *err);

/* ---- timings.c (§4.5-4.7, 4.12-4.15) ---- */
int stacky_timings_uuid(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_timings(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_summary(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_kpi(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_usage_launches(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_usage_deletes(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_usage_exists(req_t *req, resp_t *resp, vg_err_t *err);

/* ---- reports.c (§4.16-4.18) ---- */
int stacky_reports(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_reports_search(req_t *req, resp_t *resp, vg_err_t *err);
int stacky_report(req_t *req, resp_t *resp, vg_err_t *err);

#endif
