/* store/inventory.c - appkeys, servers, jobs, targets and target status as JSON documents in the
 * resources database (layout in inventory.h).
 * SPDX-License-Identifier: MIT */
#include "inventory.h"

#include "core/digest.h"
#include "core/json.h"
#include "core/time.h"
#include "resources.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inv_project_valid(const char *p)
{
    size_t n = 0;

    for (; p[n] != '\0'; n++) {
        char c = p[n];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return n >= 1 && n <= INV_PROJECT_MAX;
}

int inv_id_valid(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++)
        if ((unsigned char)s[n] <= ' ' || (unsigned char)s[n] >= 0x7f || s[n] == '/')
            return 0;
    return n >= 1 && n <= INV_ID_MAX;
}

int inv_region_valid(const char *r)
{
    return r != NULL && (strcmp(r, "kr") == 0 || strcmp(r, "kr2") == 0 || strcmp(r, "us") == 0 ||
                         strcmp(r, "jp") == 0);
}

/* "<project>/<rest>" into buf; VG_EINVAL (or VG_ENOTFOUND for reads) for what cannot be an id. */
static int inv_key(char *buf, size_t cap, const char *project, const char *rest, int writing,
                   vg_err_t *err)
{
    if (!inv_project_valid(project) || (size_t)snprintf(buf, cap, "%s/%s", project, rest) >= cap)
        return writing ? vg_fail(err, VG_EINVAL, "bad project or id")
                       : vg_fail(err, VG_ENOTFOUND, "not found");
    return VG_OK;
}

static int inv_parse(const char *doc, size_t len, json_object **out, vg_err_t *err)
{
    struct json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, doc, (int)len);

    json_tokener_free(tok);
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return vg_fail(err, VG_EINTERNAL, "a stored inventory document is not a JSON object");
    }
    *out = o;
    return VG_OK;
}

int inv_get(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *rest,
            json_object **out, vg_err_t *err)
{
    char id[INV_PROJECT_MAX + 2 * INV_ID_MAX + 8], *doc;
    size_t len;
    int rc;

    if ((rc = inv_key(id, sizeof id, project, rest, 0, err)) != VG_OK)
        return rc;
    if ((rc = store_res_get(st, txn, kind, id, &doc, &len, err)) != VG_OK)
        return rc;
    rc = inv_parse(doc, len, out, err);
    free(doc);
    return rc;
}

int inv_put(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *rest,
            json_object *doc, vg_err_t *err)
{
    char id[INV_PROJECT_MAX + 2 * INV_ID_MAX + 8];
    const char *text;
    size_t len;
    int rc;

    if ((rc = inv_key(id, sizeof id, project, rest, 1, err)) != VG_OK)
        return rc;
    text = vg_json_text(doc, &len);
    return store_res_put(st, txn, kind, id, text, len, err);
}

int inv_del(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *rest,
            vg_err_t *err)
{
    char id[INV_PROJECT_MAX + 2 * INV_ID_MAX + 8];
    int rc;

    if ((rc = inv_key(id, sizeof id, project, rest, 0, err)) != VG_OK)
        return rc;
    return store_res_del(st, txn, kind, id, err);
}

typedef struct {
    inv_doc_fn fn;
    void *arg;
    vg_err_t *err;
} inv_walk_t;

static int inv_walk_one(const char *id, const char *doc, size_t len, void *arg)
{
    inv_walk_t *w = arg;
    json_object *o;
    int rc;

    if (inv_parse(doc, len, &o, w->err) != VG_OK)
        return VG_EINTERNAL;
    rc = w->fn(id, o, w->arg);
    json_object_put(o);
    return rc;
}

int inv_list(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *sub,
             inv_doc_fn fn, void *arg, vg_err_t *err)
{
    char pfx[INV_PROJECT_MAX + 2 * INV_ID_MAX + 8];
    inv_walk_t w = {fn, arg, err};

    if (!inv_project_valid(project) ||
        (size_t)snprintf(pfx, sizeof pfx, "%s/%s%s", project, sub != NULL ? sub : "",
                         sub != NULL ? "/" : "") >= sizeof pfx)
        return VG_OK; /* no such id can have been stored */
    return store_res_list_prefix(st, txn, kind, pfx, inv_walk_one, &w, err);
}

int inv_list_all(store_t *st, store_txn_t *txn, const char *kind, inv_doc_fn fn, void *arg,
                 vg_err_t *err)
{
    inv_walk_t w = {fn, arg, err};

    return store_res_list(st, txn, kind, inv_walk_one, &w, err);
}

/* ---- appkeys ---- */

int inv_appkey_add(store_t *st, store_txn_t *txn, const char *project, const char *key,
                   int64_t now_ms, vg_err_t *err)
{
    char digest[65], created[40], *old;
    size_t len;
    int rc;

    if (!inv_project_valid(project))
        return vg_fail(err, VG_EINVAL, "project ids are 1 to %d letters, digits, '_', '.' or '-'",
                       INV_PROJECT_MAX);
    vg_sha256_hex(key, strlen(key), digest);
    rc = store_res_get(st, txn, INV_APPKEY, digest, &old, &len, err);
    if (rc == VG_OK) {
        json_object *o = NULL, *p = NULL;
        int same = inv_parse(old, len, &o, err) == VG_OK &&
                   json_object_object_get_ex(o, "project", &p) &&
                   strcmp(json_object_get_string(p), project) == 0;

        free(old);
        json_object_put(o);
        return same ? VG_OK
                    : vg_fail(err, VG_ECONFLICT, "that appkey is registered for another project");
    }
    if (rc != VG_ENOTFOUND)
        return rc;
    json_object *o = json_object_new_object();
    const char *text;

    vg_rfc3339_format(now_ms, created, sizeof created);
    json_object_object_add(o, "project", json_object_new_string(project));
    json_object_object_add(o, "created", json_object_new_string(created));
    text = vg_json_text(o, &len);
    rc = store_res_put(st, txn, INV_APPKEY, digest, text, len, err);
    json_object_put(o);
    return rc;
}

int inv_appkey_project(store_t *st, store_txn_t *txn, const char *key,
                       char project[INV_PROJECT_MAX + 1], vg_err_t *err)
{
    char digest[65], *doc;
    json_object *o, *p;
    size_t len;
    int rc;

    if (key == NULL || *key == '\0')
        return vg_fail(err, VG_EAUTH, "appkey required");
    vg_sha256_hex(key, strlen(key), digest);
    rc = store_res_get(st, txn, INV_APPKEY, digest, &doc, &len, err);
    if (rc == VG_ENOTFOUND)
        return vg_fail(err, VG_EAUTH, "invalid appkey");
    if (rc != VG_OK)
        return rc;
    rc = inv_parse(doc, len, &o, err);
    free(doc);
    if (rc != VG_OK)
        return rc;
    if (!json_object_object_get_ex(o, "project", &p) ||
        !inv_project_valid(json_object_get_string(p))) {
        json_object_put(o);
        return vg_fail(err, VG_EINTERNAL, "appkey document without a valid project");
    }
    snprintf(project, INV_PROJECT_MAX + 1, "%s", json_object_get_string(p));
    json_object_put(o);
    return VG_OK;
}

typedef struct {
    const char *prefix;
    size_t plen;
    char found[65];
    int n;
} inv_revoke_t;

static int inv_revoke_match(const char *id, const char *doc, size_t len, void *arg)
{
    inv_revoke_t *r = arg;

    (void)doc;
    (void)len;
    if (strncmp(id, r->prefix, r->plen) == 0) {
        if (r->n++ == 0)
            snprintf(r->found, sizeof r->found, "%s", id);
    }
    return 0;
}

int inv_appkey_revoke(store_t *st, store_txn_t *txn, const char *key_or_prefix, int *removed,
                      vg_err_t *err)
{
    char digest[65], *doc;
    size_t len;
    int rc;

    *removed = 0;
    vg_sha256_hex(key_or_prefix, strlen(key_or_prefix), digest);
    rc = store_res_get(st, txn, INV_APPKEY, digest, &doc, &len, err);
    if (rc == VG_OK) {
        free(doc);
        if ((rc = store_res_del(st, txn, INV_APPKEY, digest, err)) == VG_OK)
            *removed = 1;
        return rc;
    }
    if (rc != VG_ENOTFOUND)
        return rc;
    /* not a key: a digest prefix as `appkey list` shows it ("sha256:" optional) */
    const char *p = key_or_prefix;
    inv_revoke_t r = {0};

    if (strncmp(p, "sha256:", 7) == 0)
        p += 7;
    r.prefix = p;
    r.plen = strcspn(p, ".");
    if (r.plen < 8 || strspn(p, "0123456789abcdef") < r.plen)
        return vg_fail(err, VG_ENOTFOUND, "no such appkey");
    if ((rc = store_res_list(st, txn, INV_APPKEY, inv_revoke_match, &r, err)) != VG_OK)
        return rc;
    if (r.n == 0)
        return vg_fail(err, VG_ENOTFOUND, "no appkey has a digest starting %.*s", (int)r.plen, p);
    if (r.n > 1)
        return vg_fail(err, VG_EINVAL, "%d appkeys have a digest starting %.*s; give more digits",
                       r.n, (int)r.plen, p);
    if ((rc = store_res_del(st, txn, INV_APPKEY, r.found, err)) == VG_OK)
        *removed = 1;
    return rc;
}

/* ---- servers ---- */

static void inv_set_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, v != NULL ? json_object_new_string(v) : NULL);
}

int inv_server_put(store_t *st, store_txn_t *txn, const inv_server_t *s, vg_err_t *err)
{
    unsigned char addr[16];
    const char *region = s->region != NULL ? s->region : "kr";
    json_object *o;
    int rc;

    if (!inv_project_valid(s->project))
        return vg_fail(err, VG_EINVAL, "bad project id \"%s\"", s->project);
    if (s->host_id == NULL || !inv_id_valid(s->host_id))
        return vg_fail(err, VG_EINVAL, "bad host id");
    if (!inv_region_valid(region))
        return vg_fail(err, VG_EINVAL, "region must be kr, kr2, us or jp");
    if (s->ip == NULL ||
        (inet_pton(AF_INET, s->ip, addr) != 1 && inet_pton(AF_INET6, s->ip, addr) != 1))
        return vg_fail(err, VG_EINVAL, "bad IP address \"%s\"", s->ip ? s->ip : "");
    if (s->name == NULL || *s->name == '\0' || strlen(s->name) > 255)
        return vg_fail(err, VG_EINVAL, "a server needs a name of 1 to 255 bytes");
    if (s->instance_id != NULL && strlen(s->instance_id) > 255)
        return vg_fail(err, VG_EINVAL, "instance id longer than 255 bytes");
    o = json_object_new_object();
    inv_set_str(o, "hostId", s->host_id);
    inv_set_str(o, "hostNm", s->name);
    inv_set_str(o, "svrIp", s->ip);
    inv_set_str(o, "projectId", s->project);
    inv_set_str(o, "instanceId", s->instance_id);
    inv_set_str(o, "region", region);
    rc = inv_put(st, txn, INV_SERVER, s->project, s->host_id, o, err);
    json_object_put(o);
    return rc;
}

int inv_server_get(store_t *st, store_txn_t *txn, const char *project, const char *host_id,
                   json_object **out, vg_err_t *err)
{
    if (!inv_id_valid(host_id))
        return vg_fail(err, VG_ENOTFOUND, "no such host");
    return inv_get(st, txn, INV_SERVER, project, host_id, out, err);
}

int inv_server_del(store_t *st, store_txn_t *txn, const char *project, const char *host_id,
                   vg_err_t *err)
{
    if (!inv_id_valid(host_id))
        return vg_fail(err, VG_ENOTFOUND, "no such host");
    return inv_del(st, txn, INV_SERVER, project, host_id, err);
}

/* ---- the scraper's join ---- */

static const char *inv_str(json_object *o, const char *k)
{
    json_object *v;

    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

typedef struct {
    store_t *st;
    store_txn_t *txn;
    int (*fn)(const inv_scrape_target_t *t, void *arg);
    void *arg;
    vg_err_t *err;
    char job_key[INV_PROJECT_MAX + INV_ID_MAX + 2];
    json_object *job; /* the job of the last target, or NULL */
} inv_join_t;

static int inv_join_one(const char *id, json_object *doc, void *arg)
{
    inv_join_t *j = arg;
    inv_scrape_target_t t = {0};
    char project[INV_PROJECT_MAX + 1], job_id[INV_ID_MAX + 1];
    const char *slash = strchr(id, '/'), *slash2;
    json_object *server = NULL, *port;
    int rc;

    if (slash == NULL || (slash2 = strchr(slash + 1, '/')) == NULL ||
        (size_t)(slash - id) > INV_PROJECT_MAX || (size_t)(slash2 - slash - 1) > INV_ID_MAX)
        return 0; /* not an id this module writes */
    snprintf(project, sizeof project, "%.*s", (int)(slash - id), id);
    snprintf(job_id, sizeof job_id, "%.*s", (int)(slash2 - slash - 1), slash + 1);
    if (j->job == NULL || strncmp(j->job_key, id, (size_t)(slash2 - id)) != 0 ||
        j->job_key[slash2 - id] != '\0') {
        json_object_put(j->job);
        j->job = NULL;
        snprintf(j->job_key, sizeof j->job_key, "%.*s", (int)(slash2 - id), id);
        rc = inv_get(j->st, j->txn, INV_JOB, project, job_id, &j->job, j->err);
        if (rc == VG_ENOTFOUND)
            return 0; /* a target whose job is gone: deleted in the same transaction later */
        if (rc != VG_OK)
            return rc;
    }
    t.project = project;
    t.job_id = job_id;
    t.job_name = inv_str(j->job, "jobName");
    t.metrics_path = inv_str(j->job, "metricsPath");
    t.target_id = inv_str(doc, "targetId");
    t.host_id = inv_str(doc, "hostId");
    if (t.job_name == NULL || t.metrics_path == NULL || t.target_id == NULL || t.host_id == NULL ||
        !json_object_object_get_ex(doc, "port", &port))
        return 0;
    t.port = json_object_get_int(port);
    rc = inv_server_get(j->st, j->txn, project, t.host_id, &server, j->err);
    if (rc != VG_OK && rc != VG_ENOTFOUND)
        return rc;
    t.svr_ip = server != NULL ? inv_str(server, "svrIp") : NULL;
    rc = j->fn(&t, j->arg);
    json_object_put(server);
    return rc;
}

int inv_scrape_targets(store_t *st, store_txn_t *txn,
                       int (*fn)(const inv_scrape_target_t *t, void *arg), void *arg, vg_err_t *err)
{
    inv_join_t j = {.st = st, .txn = txn, .fn = fn, .arg = arg, .err = err};
    int rc = inv_list_all(st, txn, INV_TARGET, inv_join_one, &j, err);

    json_object_put(j.job);
    return rc;
}

int inv_target_status_put(store_t *st, store_txn_t *txn, const char *project, const char *job_id,
                          const char *target_id, int result_cd, const char *fail_reason,
                          int64_t scraped_ms, vg_err_t *err)
{
    char rest[2 * INV_ID_MAX + 2], when[40];
    json_object *t, *o;
    int rc;

    if ((size_t)snprintf(rest, sizeof rest, "%s/%s", job_id, target_id) >= sizeof rest)
        return vg_fail(err, VG_ENOTFOUND, "no such target");
    if ((rc = inv_get(st, txn, INV_TARGET, project, rest, &t, err)) != VG_OK)
        return rc;
    json_object_put(t);
    vg_rfc3339_format(scraped_ms, when, sizeof when);
    o = json_object_new_object();
    json_object_object_add(o, "resultCd", json_object_new_int(result_cd));
    inv_set_str(o, "failReason", fail_reason);
    inv_set_str(o, "mntrnStatCd", result_cd == 0 ? "UP" : "DOWN");
    inv_set_str(o, "lastScrape", when);
    rc = inv_put(st, txn, INV_TARGET_STATUS, project, rest, o, err);
    json_object_put(o);
    return rc;
}

void inv_uuid(char out[37])
{
    unsigned char b[16];

    vg_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}
