/* handlers/prometheus/rules.c - /api/v1/rules and /api/v1/alerts, which Grafana calls when it
 * lists alert and recording rules. vigil evaluates no Prometheus rules, so both answer the
 * empty lists Prometheus gives when none are loaded, after the same parameter checks.
 * SPDX-License-Identifier: MIT */
#include "prom_int.h"

#include <strings.h>

/* GET /api/v1/rules?type=alert|record: {"groups":[]} */
int prom_rules(req_t *req, resp_t *resp, vg_err_t *err)
{
    const char *type = req_arg(req, "type");
    json_object *d;

    if (type != NULL && *type != '\0' && strcasecmp(type, "alert") != 0 &&
        strcasecmp(type, "record") != 0)
        return vg_fail(err, VG_EINVAL, "not supported value \"%s\"", type);
    d = json_object_new_object();
    json_object_object_add(d, "groups", json_object_new_array());
    return prom_success(resp, d);
}

/* GET /api/v1/alerts: {"alerts":[]} */
int prom_alerts(req_t *req, resp_t *resp, vg_err_t *err)
{
    json_object *d = json_object_new_object();

    (void)req;
    (void)err;
    json_object_object_add(d, "alerts", json_object_new_array());
    return prom_success(resp, d);
}
