/* ingest/scraper/scrape.h - what one scrape of one target becomes, without the HTTP: the body
 * parsed (text 0.0.4 or OpenMetrics), job/instance attached by Prometheus's honor_labels=false
 * rule, staleness markers for the series the target stopped exposing, Prometheus's synthetic
 * series (up, scrape_duration_seconds, ...) and the target's status, all written in one
 * transaction in the target's project.
 * SPDX-License-Identifier: MIT */
#ifndef SCRAPE_H
#define SCRAPE_H

#include "core/arena.h"
#include "core/err.h"
#include "ingest/batch.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* One series of a scrape: its canonical label set (name\0value\0 per label, in name order). */
typedef struct {
    uint64_t hash;
    const char *canon;
    size_t len;
    int track; /* 1: gets a staleness marker when it disappears (written without own timestamp) */
} scrape_entry_t;

/* The series a target's last written scrape left, synthetic ones included: the set its next
 * scrape compares with (Prometheus's scrape cache). Heap memory owned by the target; zero it
 * to start, scrape_memo_fini() to free. */
typedef struct {
    scrape_entry_t *e; /* sorted by (hash, len, bytes) */
    size_t n;
    char *blob;         /* every entry's canon points in here */
    uint64_t meta_hash; /* of the metadata last written (0: none), so unchanged is not rewritten */
} scrape_memo_t;

void scrape_memo_fini(scrape_memo_t *m);

/* One scrape's outcome as the fetch saw it, and the target it belongs to. */
typedef struct {
    const char *project, *job_id, *target_id, *host_id; /* inventory ids */
    const char *job_name;
    const char *instance; /* "ip:port" ("[v6]:port"); NULL when the host is not registered */
    int64_t start_ms;     /* wall clock at the start: default sample time, synthetic samples */
    double duration_s;
    const char *error; /* the fetch's failure in Prometheus's words; NULL when a body came */
    const char *body;
    size_t len;
    const char *content_type; /* NULL = absent */
} scrape_result_t;

/* What was written. Strings live in the arena given to scrape_commit. */
typedef struct {
    int up;
    const char *fail_reason; /* NULL when up */
    size_t scraped;          /* scrape_samples_scraped */
    size_t post_relabel;     /* scrape_samples_post_metric_relabeling */
    size_t series_added;     /* scrape_series_added */
    size_t stale;            /* staleness markers written */
    int status_written;      /* 0 when the target was gone from the inventory (a no-op) */
} scrape_report_t;

/* Turns r into samples and writes them with the target's status in one series-writer
 * transaction in r->project: on success the body's samples with job/instance, metadata, up=1
 * and the other synthetic series, and staleness markers (ing_stale_nan() at r->start_ms) for
 * the tracked series of *memo this scrape lacks; on failure (r->error, a parse error, or a
 * body the store refuses) up=0 and staleness markers for every series of the last scrape. A
 * host that is gone (r->instance NULL) gets no samples at all: its series go stale and its
 * status says `host <hostId> is not registered`. Status is resultCd 0/1 with failReason,
 * skipped when the target no longer exists. *memo becomes this scrape's set once committed.
 * Everything temporary goes to a (the caller resets it). Returns VG_OK when committed (*out
 * filled), else the store's error with *memo unchanged. */
int scrape_commit(store_t *st, scrape_memo_t *memo, const scrape_result_t *r, vg_arena_t *a,
                  scrape_report_t *out, vg_err_t *err);

/* For a target that disappeared: staleness markers at now_ms for every tracked series of
 * *memo, synthetic ones included, in project; then *memo is emptied. *stale counts them. */
int scrape_forget(store_t *st, scrape_memo_t *memo, const char *project, int64_t now_ms,
                  vg_arena_t *a, size_t *stale, vg_err_t *err);

/* Prometheus's honor_labels=false: the scraped labels in[0..n) (empty values dropped) with
 * the target's labels tl[0..nt) set over them; a scraped label a target label replaces is
 * kept as exported_<name> (exported_exported_<name>, ... while that name is taken). Returns
 * the count of *out, a name-sorted array in a. */
size_t scrape_relabel(const ing_label_t *in, size_t n, const ing_label_t *tl, size_t nt,
                      vg_arena_t *a, ing_label_t **out);

/* "ip:port", or "[ip]:port" for IPv6 (Go's net.JoinHostPort), into out. */
void scrape_host_port(char *out, size_t cap, const char *ip, int port);

#endif
