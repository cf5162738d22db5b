/* conf/conf.h - vigil.conf: an INI file whose keys are fixed in one table (conf.c) with their
 * types, bounds and defaults; VIGIL_<SECTION>_<KEY> environment variables override any key.
 * Every error names the file and line (or the variable) and the reason.
 * SPDX-License-Identifier: MIT */
#ifndef CONF_H
#define CONF_H

#include "core/err.h"

#include <stdio.h>

typedef enum { CONF_SYNC_SYNC, CONF_SYNC_WRITE_NOSYNC, CONF_SYNC_NOSYNC } conf_sync_t;

typedef struct {
    /* [store] */
    char *store_home;
    char *store_default_project;
    int store_cache_mb;
    conf_sync_t store_sync;
    int store_txn_retries;
    int store_lock_timeout_ms;
    int store_stream_max_mb;
    /* [fcgi] */
    char *fcgi_listen; /* "" = the socket on fd 0 */
    int fcgi_workers;  /* 0 = 2 x cores */
    int fcgi_max_body_mb;
    int fcgi_max_decoded_mb;
    int fcgi_io_timeout_s;
    int fcgi_backlog;
    int fcgi_debug_routes;
    /* [prometheus] */
    int prometheus_admin_api;
    /* [query] */
    int query_timeout_s;
    int query_max_samples;
    int query_lookback_delta_s;
    /* [kapacitor] */
    char *kapacitor_default_rp;
    /* [log] */
    int log_level; /* LOG_ERR .. LOG_DEBUG */
    /* [compactor] */
    int compactor_checkpoint_s;
    int compactor_failchk_s;
    int compactor_compact_s;
    /* [scraper] */
    int scraper_interval_s;
    int scraper_timeout_s;
    int scraper_max_body_mb;
    int scraper_max_concurrent;
    /* [concertim] */
    char *concertim_secret;
    char *concertim_secret_file;
    int concertim_step_s;
    char *concertim_devices_file;
    int concertim_devices_refresh_s;
    int concertim_accept_any_device;
    int concertim_token_endpoint;
    /* [stacky] */
    int stacky_report_hours; /* 0 (no scheduled report), 1 or 24 */
    int stacky_report_delay_s;
    char *stacky_report_region; /* "" = every deployment */

    char *path; /* the file this came from, or NULL when only defaults and environment */
} conf_t;

/* Resolves the config file: explicit (from --config), else $VIGIL_CONFIG, else
 * /etc/vigil/vigil.conf. Returns a pointer into its arguments or the environment. */
const char *conf_default_path(const char *explicit_path);
/* Fills c with the defaults, then the file at path (a missing file is an error only when
 * must_exist), then the VIGIL_* environment. Returns VG_OK or VG_EINVAL with "file:line: why". */
int conf_load(conf_t *c, const char *path, int must_exist, vg_err_t *err);
/* Parses INI text (name is used in messages) on top of what c holds. */
int conf_parse(conf_t *c, const char *name, const char *text, vg_err_t *err);
/* Applies the VIGIL_<SECTION>_<KEY> variables of envp (NULL-terminated). */
int conf_apply_env(conf_t *c, char *const *envp, vg_err_t *err);
/* Sets defaults only. */
void conf_defaults(conf_t *c);
void conf_fini(conf_t *c);
/* Writes the complete effective configuration as INI text, every key with its doc line. */
void conf_dump(const conf_t *c, FILE *out);
/* The number of workers master mode starts: fcgi_workers, or 2 x online cores. */
int conf_workers(const conf_t *c);
const char *conf_sync_name(conf_sync_t s);

#endif
