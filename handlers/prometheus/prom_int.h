/* handlers/prometheus/prom_int.h - what the Prometheus API's files share.
 * SPDX-License-Identifier: MIT */
#ifndef PROM_INT_H
#define PROM_INT_H

#include "fcgi/router.h"
#include "store/series.h"

#include <stdint.h>

/* Prometheus's bounds for "no start"/"no end" (ms). */
#define PROM_MIN_TIME_MS INT64_MIN
#define PROM_MAX_TIME_MS INT64_MAX

/* {"status":"success","data":data}; consumes data. Returns 0. */
int prom_success(resp_t *resp, json_object *data);
/* Parses parameter `name` as Prometheus does (float unix seconds, or RFC 3339); absent or empty
 * gives def. VG_EINVAL with Prometheus's message otherwise. */
int prom_param_time(const req_t *req, const char *name, int64_t def, int64_t *ms, vg_err_t *err);
/* The project (tenant) a request acts on. */
const char *prom_project(const req_t *req);

/* The match[] selectors of a request and its time range. */
typedef struct {
    store_matcher_t **sets;
    size_t *nm, nsets;
    int64_t start, end;
} prom_sel_t;

/* Parses every match[] (none is fine: nsets = 0), with Prometheus's messages. */
int prom_parse_matches(req_t *req, prom_sel_t *sel, vg_err_t *err);
/* The project's series matching any of sel's selectors that have samples in [start, end]
 * (every series when the range is unbounded), each once, in the arena. */
int prom_select(store_t *st, store_txn_t *txn, req_t *req, const prom_sel_t *sel,
                store_series_t **out, size_t *n, vg_err_t *err);

/* Stores b for the request's project in one transaction. */
int prom_store_batch(req_t *req, const ing_batch_t *b, vg_err_t *err);

/* err->subcode of errors answered in plain text (`message\n`), as Prometheus's remote-write
 * receiver does */
#define PROM_SUB_PLAIN (FC_SUB_ROUTE + 1)

int prom_buildinfo(req_t *req, resp_t *resp, vg_err_t *err);
int prom_series(req_t *req, resp_t *resp, vg_err_t *err);
int prom_import(req_t *req, resp_t *resp, vg_err_t *err);
int prom_labels(req_t *req, resp_t *resp, vg_err_t *err);
int prom_label_values(req_t *req, resp_t *resp, vg_err_t *err);
int prom_metadata(req_t *req, resp_t *resp, vg_err_t *err);
int prom_rules(req_t *req, resp_t *resp, vg_err_t *err);
int prom_query(req_t *req, resp_t *resp, vg_err_t *err);
int prom_query_range(req_t *req, resp_t *resp, vg_err_t *err);
int prom_format_query(req_t *req, resp_t *resp, vg_err_t *err);
int prom_query_exemplars(req_t *req, resp_t *resp, vg_err_t *err);
int prom_alerts(req_t *req, resp_t *resp, vg_err_t *err);
int prom_remote_write(req_t *req, resp_t *resp, vg_err_t *err);
int prom_delete_series(req_t *req, resp_t *resp, vg_err_t *err);

#endif
