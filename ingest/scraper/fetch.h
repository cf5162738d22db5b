/* ingest/scraper/fetch.h - concurrent scrapes over libcurl's multi interface: one GET per
 * transfer with Prometheus's request headers, the decoded body capped at a size limit, and the
 * outcome described in Prometheus's lastError words. The only code that includes <curl/curl.h>.
 * SPDX-License-Identifier: MIT */
#ifndef SCRAPE_FETCH_H
#define SCRAPE_FETCH_H

#include "core/arena.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct scrape_fetch scrape_fetch_t;
typedef struct scrape_xfer scrape_xfer_t;

typedef struct {
    int timeout_s;         /* a transfer is cut after this long (X-Prometheus-Scrape-Timeout) */
    size_t max_body_bytes; /* decoded (gunzipped) body limit */
} scrape_fetch_opts_t;

/* Initialises libcurl (once per process) and a multi handle. VG_EINTERNAL when it cannot. */
int scrape_fetch_new(const scrape_fetch_opts_t *o, scrape_fetch_t **out, vg_err_t *err);
/* Aborts and frees every transfer still held, then the multi handle; a no-op for NULL. */
void scrape_fetch_free(scrape_fetch_t *f);

/* Starts GET url (host_port names the peer in a dial error); owner is handed back by
 * scrape_fetch_done. The transfer belongs to f until scrape_xfer_free. */
scrape_xfer_t *scrape_fetch_start(scrape_fetch_t *f, const char *url, const char *host_port,
                                  void *owner);
/* Transfers in flight. */
size_t scrape_fetch_running(const scrape_fetch_t *f);
/* Lets the connection cache keep one idle connection per target (n targets), so each target's
 * next scrape reuses its keep-alive connection instead of connecting again. */
void scrape_fetch_keep_conns(scrape_fetch_t *f, size_t n);
/* Moves the transfers along, waiting at most wait_ms for network activity. */
void scrape_fetch_poll(scrape_fetch_t *f, int wait_ms);
/* A finished transfer (then its owner in *owner), or NULL when none is waiting. */
scrape_xfer_t *scrape_fetch_done(scrape_fetch_t *f, void **owner);

/* A finished transfer's outcome: VG_OK with the body (lent until scrape_xfer_free) and its
 * Content-Type (NULL when absent) in a, or VG_EINVAL with *error, in a: "server returned HTTP
 * status 500 Internal Server Error", "Get \"URL\": context deadline exceeded", "body size limit
 * exceeded (N bytes)", "Get \"URL\": dial tcp HOST:PORT: connect: connection refused", ... */
int scrape_xfer_result(scrape_xfer_t *x, vg_arena_t *a, const char **body, size_t *len,
                       const char **content_type, const char **error);
/* Wall-clock ms at the start and the transfer's duration in seconds. */
int64_t scrape_xfer_start_ms(const scrape_xfer_t *x);
double scrape_xfer_duration_s(const scrape_xfer_t *x);
/* Aborts the transfer if it is still running, and frees it; a no-op for NULL. */
void scrape_xfer_free(scrape_fetch_t *f, scrape_xfer_t *x);

#endif
