/* store/inventory.h - the sysmon inventory, kept as JSON documents in `resources`: appkeys (by
 * the SHA-256 of the key, never the key), servers, OpenMetrics jobs, their targets and the
 * scraper's last result per target. Every id but an appkey's starts with "project/", so one
 * project's documents are one key range and a listing never crosses projects:
 *
 *   appkey          <sha256 hex>                     {"project","created"}
 *   server          <project>/<hostId>               {"hostId","hostNm","svrIp","projectId",
 *                                                     "instanceId","region"}
 *   job             <project>/<jobId>                the API's job object plus "region"
 *   target          <project>/<jobId>/<targetId>     {"targetId","jobId","hostId","port",
 *                                                     "description","lstModifier","lstModYmdt"}
 *   target_status   <project>/<jobId>/<targetId>     {"resultCd","failReason","mntrnStatCd",
 *                                                     "lastScrape"}
 * SPDX-License-Identifier: MIT */
#ifndef STORE_INVENTORY_H
#define STORE_INVENTORY_H

#include "core/err.h"
#include "store.h"

#include <json-c/json.h>
#include <stdint.h>

#define INV_PROJECT_MAX 64  /* project ids: [A-Za-z0-9_.-], 1..64 bytes */
#define INV_ID_MAX      128 /* host, job and target ids: printable ASCII but '/', 1..128 bytes */

#define INV_APPKEY        "appkey"
#define INV_SERVER        "server"
#define INV_JOB           "job"
#define INV_TARGET        "target"
#define INV_TARGET_STATUS "target_status"

/* 1 when p may name a project (and so be the first component of an id). */
int inv_project_valid(const char *p);
/* 1 when s may be a host, job or target id. */
int inv_id_valid(const char *s);
/* 1 for kr, kr2, us and jp: the regions X-SYSMON-REGION may name. */
int inv_region_valid(const char *r);

/* Stores the digest of key for project; a key already registered for project is left as it is.
 * VG_ECONFLICT when the key belongs to another project. */
int inv_appkey_add(store_t *st, store_txn_t *txn, const char *project, const char *key,
                   int64_t now_ms, vg_err_t *err);
/* The project of key: VG_OK with project filled, VG_EAUTH when key is unknown or revoked. */
int inv_appkey_project(store_t *st, store_txn_t *txn, const char *key,
                       char project[INV_PROJECT_MAX + 1], vg_err_t *err);
/* Removes every appkey whose digest starts with digest_prefix (at least 8 hex digits) or whose
 * key is key; *removed counts them. VG_ENOTFOUND when none matched; VG_EINVAL when a prefix
 * matches more than one key. */
int inv_appkey_revoke(store_t *st, store_txn_t *txn, const char *key_or_prefix, int *removed,
                      vg_err_t *err);

typedef struct {
    const char *project, *host_id, *name, *ip, *instance_id, *region;
} inv_server_t;

/* Adds or replaces a server (host) of a project. VG_EINVAL for a bad id, region or address. */
int inv_server_put(store_t *st, store_txn_t *txn, const inv_server_t *s, vg_err_t *err);
/* VG_ENOTFOUND when the project has no such host. Its targets stay (and report the host gone). */
int inv_server_del(store_t *st, store_txn_t *txn, const char *project, const char *host_id,
                   vg_err_t *err);
/* The server's document (caller json_object_put's it), or VG_ENOTFOUND. */
int inv_server_get(store_t *st, store_txn_t *txn, const char *project, const char *host_id,
                   json_object **out, vg_err_t *err);

/* Lends each document of kind whose id starts with "<project>/" (or "<project>/<sub>/" when sub
 * is not NULL), parsed, in id order; fn's non-zero return stops the walk and is returned. */
typedef int (*inv_doc_fn)(const char *id, json_object *doc, void *arg);
int inv_list(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *sub,
             inv_doc_fn fn, void *arg, vg_err_t *err);
/* Every document of kind across all projects (the scraper's view), parsed, in id order. */
int inv_list_all(store_t *st, store_txn_t *txn, const char *kind, inv_doc_fn fn, void *arg,
                 vg_err_t *err);

/* Reads/writes one document of kind under "<project>/<rest>". get: VG_ENOTFOUND when absent. */
int inv_get(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *rest,
            json_object **out, vg_err_t *err);
int inv_put(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *rest,
            json_object *doc, vg_err_t *err);
int inv_del(store_t *st, store_txn_t *txn, const char *kind, const char *project, const char *rest,
            vg_err_t *err);

/* One scrape target with everything the scraper needs, joined from target, job and server. */
typedef struct {
    const char *project, *job_id, *job_name, *metrics_path, *target_id, *host_id;
    const char *svr_ip; /* NULL when the host is no longer registered */
    int port;
} inv_scrape_target_t;

/* Calls fn for every target of every project, in id order. */
int inv_scrape_targets(store_t *st, store_txn_t *txn,
                       int (*fn)(const inv_scrape_target_t *t, void *arg), void *arg,
                       vg_err_t *err);

/* Records a target's last scrape, but only while the target exists (a deleted target stays
 * deleted): result_cd 0 for success, fail_reason NULL then. VG_ENOTFOUND when it is gone. */
int inv_target_status_put(store_t *st, store_txn_t *txn, const char *project, const char *job_id,
                          const char *target_id, int result_cd, const char *fail_reason,
                          int64_t scraped_ms, vg_err_t *err);

/* A new random version-4 UUID, lowercase, into out. */
void inv_uuid(char out[37]);

#endif
