/* handlers/concertim/mrd_int.h - what the Concertim handlers (api.c: routes, errors, the PUT and
 * token routes; read.c: the current and historic views) share.
 * SPDX-License-Identifier: MIT */
#ifndef MRD_INT_H
#define MRD_INT_H

#include "fcgi/router.h"

#include <json-c/json.h>

/* Answers root (consumed) as Go's encoder writes it: application/json; charset=utf-8, '<' '>'
 * '&' escaped as \u003c \u003e \u0026, a newline at the end. Returns 0. */
int mrd_json(resp_t *resp, int status, json_object *root);
/* Fails with one JSON:API-style error {"title","detail"} and the HTTP status (400, 404, 500 or
 * 503) the renderer answers: `return mrd_fail(req, err, 404, "Not Found", "Host not found");` */
int mrd_fail(req_t *req, vg_err_t *err, int status, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* read.c: §3.3 and §3.4, every route GET and unauthenticated */
int mrd_metrics_current(req_t *req, resp_t *resp,
                        vg_err_t *err); /* /metrics/current, /metrics/unique */
int mrd_metric_current(req_t *req, resp_t *resp,
                       vg_err_t *err); /* /metrics/{name}/current, /values */
int mrd_device_current(req_t *req, resp_t *resp, vg_err_t *err); /* /devices/{id}/metrics/current */
int mrd_metrics_historic(req_t *req, resp_t *resp, vg_err_t *err); /* /metrics/historic */
int mrd_device_historic(req_t *req, resp_t *resp,
                        vg_err_t *err); /* /devices/{id}/metrics/historic */
int mrd_metric_historic_last(req_t *req, resp_t *resp,
                             vg_err_t *err); /* /metrics/{name}/historic/last/{duration} */
int mrd_metric_historic_range(req_t *req, resp_t *resp,
                              vg_err_t *err); /* /metrics/{name}/historic/{start}/{end} */
int mrd_device_metric_last(
    req_t *req, resp_t *resp,
    vg_err_t *err); /* /devices/{id}/metrics/{name}/historic/last/{duration} */
int mrd_device_metric_range(
    req_t *req, resp_t *resp,
    vg_err_t *err); /* /devices/{id}/metrics/{name}/historic/{start}/{end} */

#endif
