/* ingest/scraper/main.c - vigil-scraper: scrapes the OpenMetrics targets registered through the
 * sysmon jobs/targets API. One thread: every [scraper] interval_s it re-reads the targets, and
 * each target is fetched once per interval at its own stable offset (hash of its id modulo the
 * interval, Prometheus's jitter) over one libcurl multi handle, at most max_concurrent at once;
 * each finished scrape is written (scrape_commit) and its arena reset. A target that leaves
 * the inventory has its transfer aborted and its series marked stale.
 * SPDX-License-Identifier: MIT */
#include "conf/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "fetch.h"
#include "scrape.h"
#include "store/inventory.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t scrape_stop;

static void scrape_on_stop(int sig)
{
    (void)sig;
    scrape_stop = 1;
}

/* One target as the last refresh saw it, plus what the scraper keeps for it. */
typedef struct {
    char *key; /* "<project>/<jobId>/<targetId>", the inventory id: the sort key */
    char *project, *job_id, *target_id, *host_id, *job_name, *metrics_path;
    char *ip; /* NULL: the host is not registered */
    int port;
    char *url;
    char host_port[INV_ID_MAX + 16];
    int64_t due_us;      /* next scrape, monotonic */
    int scraped;         /* scraped at least once (--once) */
    scrape_xfer_t *xfer; /* in flight, or NULL */
    scrape_memo_t memo;
    int health;      /* last outcome for the log: -1 none yet, 0 down, 1 up */
    char *last_fail; /* its reason, to log changes only */
} scrape_tgt_t;

typedef struct {
    conf_t *c;
    store_t *st;
    scrape_fetch_t *fetch;
    vg_arena_t arena; /* one scrape's processing, reset after its write */
    scrape_tgt_t **t; /* sorted by key */
    size_t n;
    scrape_tgt_t **due; /* scrape_start_due's scratch: the due targets by due time */
    size_t due_cap;
    int64_t interval_ms;
} scrape_loop_t;

static void scrape_tgt_free(scrape_loop_t *l, scrape_tgt_t *t)
{
    scrape_xfer_free(l->fetch, t->xfer);
    scrape_memo_fini(&t->memo);
    free(t->key);
    free(t->project);
    free(t->job_id);
    free(t->target_id);
    free(t->host_id);
    free(t->job_name);
    free(t->metrics_path);
    free(t->ip);
    free(t->url);
    free(t->last_fail);
    free(t);
}

static int scrape_streq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static char *scrape_dup(const char *s)
{
    return s != NULL ? vg_xstrdup(s) : NULL;
}

/* Copies what the inventory says into t (a new one, or one whose job, host or port changed). */
static void scrape_tgt_set(scrape_tgt_t *t, const inv_scrape_target_t *s)
{
    free(t->job_name);
    free(t->metrics_path);
    free(t->ip);
    free(t->url);
    t->job_name = vg_xstrdup(s->job_name);
    t->metrics_path = vg_xstrdup(s->metrics_path);
    t->ip = scrape_dup(s->svr_ip);
    t->port = s->port;
    t->url = NULL;
    t->host_port[0] = '\0';
    if (t->ip != NULL) {
        size_t n;

        scrape_host_port(t->host_port, sizeof t->host_port, t->ip, t->port);
        n = strlen(t->host_port) + strlen(t->metrics_path) + 16;
        t->url = vg_xmalloc(n);
        snprintf(t->url, n, "http://%s%s%s", t->host_port, t->metrics_path[0] == '/' ? "" : "/",
                 t->metrics_path);
    }
}

/* The targets one refresh read, in key order. */
typedef struct {
    scrape_tgt_t **t;
    size_t n, cap;
} scrape_list_t;

static void scrape_list_clear(scrape_loop_t *l, scrape_list_t *x)
{
    for (size_t i = 0; i < x->n; i++)
        scrape_tgt_free(l, x->t[i]);
    x->n = 0;
}

static int scrape_list_one(const inv_scrape_target_t *s, void *arg)
{
    scrape_list_t *x = arg;
    scrape_tgt_t *t = vg_xcalloc(1, sizeof *t);
    size_t n = strlen(s->project) + strlen(s->job_id) + strlen(s->target_id) + 3;

    t->key = vg_xmalloc(n);
    snprintf(t->key, n, "%s/%s/%s", s->project, s->job_id, s->target_id);
    t->project = vg_xstrdup(s->project);
    t->job_id = vg_xstrdup(s->job_id);
    t->target_id = vg_xstrdup(s->target_id);
    t->host_id = vg_xstrdup(s->host_id);
    t->health = -1;
    scrape_tgt_set(t, s);
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 64;
        x->t = vg_xrealloc(x->t, x->cap * sizeof *x->t);
    }
    x->t[x->n++] = t;
    return 0;
}

typedef struct {
    scrape_loop_t *l;
    scrape_list_t list;
} scrape_refresh_t;

static int scrape_refresh_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    scrape_refresh_t *r = arg;

    scrape_list_clear(r->l, &r->list); /* a retried attempt starts over */
    return inv_scrape_targets(st, txn, scrape_list_one, &r->list, err);
}

static int scrape_key_cmp(const void *x, const void *y)
{
    return strcmp((*(scrape_tgt_t *const *)x)->key, (*(scrape_tgt_t *const *)y)->key);
}

/* Prometheus's offset: the first scrape falls where wall-clock time modulo the interval equals
 * the target's hash modulo the interval, so restarts keep the phase. */
static int64_t scrape_first_due(const scrape_loop_t *l, const char *key)
{
    uint64_t h = 14695981039346656037ull;
    int64_t off, now = vg_now_ms();

    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    off = (int64_t)(h % (uint64_t)l->interval_ms);
    off = ((off - now % l->interval_ms) % l->interval_ms + l->interval_ms) % l->interval_ms;
    return vg_mono_us() + off * 1000;
}

/* A target that left the inventory: abort its transfer, mark its series stale, free it. */
static void scrape_drop(scrape_loop_t *l, scrape_tgt_t *t)
{
    vg_err_t err = {0};
    size_t stale = 0;

    scrape_xfer_free(l->fetch, t->xfer);
    t->xfer = NULL;
    if (t->memo.n > 0 && l->st != NULL) {
        if (scrape_forget(l->st, &t->memo, t->project, vg_now_ms(), &l->arena, &stale, &err) < 0)
            vg_log(LOG_ERR, "scraper: target %s removed; its staleness markers: %s", t->key,
                   err.msg);
        vg_arena_reset(&l->arena);
    }
    vg_log(LOG_INFO, "scraper: target %s removed (%zu series marked stale)", t->key, stale);
    scrape_tgt_free(l, t);
}

/* Re-reads the targets: new ones are scheduled, changed ones updated (keeping their memo and
 * schedule), vanished ones dropped. On a store error the old list stays. */
static void scrape_refresh(scrape_loop_t *l, int once)
{
    scrape_refresh_t r = {.l = l};
    scrape_tgt_t **merged;
    size_t i = 0, j = 0, n = 0, added = 0, removed = 0;
    vg_err_t err = {0};

    if (store_txn_run(l->st, scrape_refresh_txn, &r, &err) != VG_OK) {
        vg_log(LOG_ERR, "scraper: reading the targets: %s", err.msg);
        scrape_list_clear(l, &r.list);
        free(r.list.t);
        return;
    }
    if (r.list.n > 1)
        qsort(r.list.t, r.list.n, sizeof *r.list.t, scrape_key_cmp);
    merged = vg_xmalloc((r.list.n + 1) * sizeof *merged);
    while (i < l->n || j < r.list.n) {
        int cmp = i == l->n ? 1 : j == r.list.n ? -1 : strcmp(l->t[i]->key, r.list.t[j]->key);

        if (cmp < 0) { /* gone */
            scrape_drop(l, l->t[i++]);
            removed++;
        } else if (cmp > 0) { /* new */
            scrape_tgt_t *t = r.list.t[j++];

            t->due_us = once ? vg_mono_us() : scrape_first_due(l, t->key);
            merged[n++] = t;
            added++;
        } else { /* still there: keep its state, take its new settings */
            scrape_tgt_t *t = l->t[i++], *s = r.list.t[j];

            if (!scrape_streq(t->job_name, s->job_name) ||
                !scrape_streq(t->metrics_path, s->metrics_path) || !scrape_streq(t->ip, s->ip) ||
                t->port != s->port) {
                inv_scrape_target_t v = {.job_name = s->job_name,
                                         .metrics_path = s->metrics_path,
                                         .svr_ip = s->ip,
                                         .port = s->port};

                scrape_tgt_set(t, &v);
                vg_log(LOG_INFO, "scraper: target %s now %s", t->key,
                       t->url != NULL ? t->url : "without a host");
            }
            free(t->host_id);
            t->host_id = vg_xstrdup(s->host_id);
            scrape_tgt_free(l, s);
            merged[n++] = t;
            j++;
        }
    }
    free(l->t);
    free(r.list.t);
    l->t = merged;
    l->n = n;
    scrape_fetch_keep_conns(l->fetch, n);
    if (added > 0 || removed > 0)
        vg_log(LOG_INFO, "scraper: %zu targets (%zu new, %zu removed)", n, added, removed);
}

/* Logs a scrape: every one at debug, changes of health (and of the failure) at info. */
static void scrape_note(scrape_tgt_t *t, const scrape_report_t *rep)
{
    int changed =
        rep->up != t->health || (!rep->up && !scrape_streq(rep->fail_reason, t->last_fail));
    const char *where = t->url != NULL ? t->url : "(no host)";

    if (rep->up)
        vg_log(changed ? LOG_INFO : LOG_DEBUG,
               "scraper: target %s job %s %s up: %zu samples, %zu new series, %zu stale", t->key,
               t->job_name, where, rep->scraped, rep->series_added, rep->stale);
    else
        vg_log(changed ? LOG_INFO : LOG_DEBUG, "scraper: target %s job %s %s down: %s", t->key,
               t->job_name, where, rep->fail_reason);
    t->health = rep->up;
    free(t->last_fail);
    t->last_fail = scrape_dup(rep->fail_reason);
}

/* Writes one scrape's outcome (x NULL: the host is gone, nothing was fetched). */
static void scrape_finish(scrape_loop_t *l, scrape_tgt_t *t, scrape_xfer_t *x)
{
    scrape_result_t r = {.project = t->project,
                         .job_id = t->job_id,
                         .target_id = t->target_id,
                         .host_id = t->host_id,
                         .job_name = t->job_name,
                         .instance = x != NULL ? t->host_port : NULL,
                         .start_ms = x != NULL ? scrape_xfer_start_ms(x) : vg_now_ms()};
    scrape_report_t rep;
    vg_err_t err = {0};

    if (x != NULL) {
        r.duration_s = scrape_xfer_duration_s(x);
        scrape_xfer_result(x, &l->arena, &r.body, &r.len, &r.content_type, &r.error);
    }
    if (l->st == NULL) {
        vg_log(LOG_DEBUG, "scraper: target %s: store closed, scrape dropped", t->key);
    } else if (scrape_commit(l->st, &t->memo, &r, &l->arena, &rep, &err) < 0) {
        vg_log(LOG_ERR, "scraper: target %s: writing the scrape: %s", t->key, err.msg);
    } else {
        scrape_note(t, &rep);
    }
    vg_arena_reset(&l->arena);
}

static int scrape_due_cmp(const void *x, const void *y)
{
    const scrape_tgt_t *a = *(scrape_tgt_t *const *)x, *b = *(scrape_tgt_t *const *)y;

    return (a->due_us > b->due_us) - (a->due_us < b->due_us);
}

/* Starts the scrapes that are due while transfer slots are free, the longest-waiting first, so
 * under overload every target still gets its turn (in key order, the last ones never would). */
static void scrape_start_due(scrape_loop_t *l)
{
    int64_t now = vg_mono_us(), step = l->interval_ms * 1000;
    size_t nd = 0;

    if (l->due_cap < l->n) {
        l->due_cap = l->n;
        l->due = vg_xrealloc(l->due, l->due_cap * sizeof *l->due);
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->t[i]->xfer == NULL && l->t[i]->due_us <= now)
            l->due[nd++] = l->t[i];
    qsort(l->due, nd, sizeof *l->due, scrape_due_cmp);
    for (size_t i = 0; i < nd; i++) {
        scrape_tgt_t *t = l->due[i];

        if (t->url != NULL) {
            if (scrape_fetch_running(l->fetch) >= (size_t)l->c->scraper_max_concurrent)
                continue; /* stays due: it starts when a slot frees */
            t->xfer = scrape_fetch_start(l->fetch, t->url, t->host_port, t);
        } else {
            scrape_finish(l, t, NULL);
        }
        t->scraped = 1;
        /* the next slot on the target's grid; a late start skips the slots it missed */
        while (t->due_us <= now)
            t->due_us += step;
    }
}

/* Writes every finished transfer. */
static void scrape_reap(scrape_loop_t *l)
{
    scrape_xfer_t *x;
    void *owner;

    while ((x = scrape_fetch_done(l->fetch, &owner)) != NULL) {
        scrape_tgt_t *t = owner;

        scrape_finish(l, t, x);
        scrape_xfer_free(l->fetch, x);
        t->xfer = NULL;
    }
}

/* Milliseconds until the next thing to do, at most 200 so a stop signal is seen promptly. */
static int scrape_wait_ms(const scrape_loop_t *l, int64_t next_refresh)
{
    int64_t now = vg_mono_us(), next = next_refresh;
    int full = scrape_fetch_running(l->fetch) >= (size_t)l->c->scraper_max_concurrent;

    for (size_t i = 0; i < l->n && !full; i++)
        if (l->t[i]->xfer == NULL && l->t[i]->due_us < next)
            next = l->t[i]->due_us;
    next = (next - now) / 1000;
    return next < 0 ? 0 : next > 200 ? 200 : (int)next;
}

static void scrape_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (!scrape_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int scrape_all_done(const scrape_loop_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!l->t[i]->scraped || l->t[i]->xfer != NULL)
            return 0;
    return 1;
}

static int scrape_usage(FILE *out, int status)
{
    fprintf(out, "usage: vigil-scraper [--config PATH] [--once]\n");
    return status;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"once", no_argument, NULL, '1'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int once = 0, opt, status = 0, refreshed = 0;
    scrape_loop_t l = {0};
    vg_err_t err = {0};
    conf_t c;

    while ((opt = getopt_long(argc, argv, "c:1h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case '1':
            once = 1;
            break;
        case 'h':
            return scrape_usage(stdout, 0);
        default:
            return scrape_usage(stderr, 2);
        }
    }
    if (optind < argc)
        return scrape_usage(stderr, 2);
    if (conf_load(&c, conf_default_path(config), config != NULL || getenv("VIGIL_CONFIG"), &err) !=
        VG_OK) {
        fprintf(stderr, "vigil-scraper: %s\n", err.msg);
        return 1;
    }
    if (c.scraper_timeout_s > c.scraper_interval_s) {
        fprintf(stderr, "vigil-scraper: [scraper] timeout_s (%d) must not exceed interval_s (%d)\n",
                c.scraper_timeout_s, c.scraper_interval_s);
        conf_fini(&c);
        return 1;
    }
    vg_log_init("vigil-scraper", c.log_level);

    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = scrape_on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    scrape_fetch_opts_t fo = {c.scraper_timeout_s, (size_t)c.scraper_max_body_mb * 1024 * 1024};

    if (scrape_fetch_new(&fo, &l.fetch, &err) != VG_OK) {
        vg_log(LOG_ERR, "%s", err.msg);
        conf_fini(&c);
        return 1;
    }
    l.c = &c;
    l.interval_ms = (int64_t)c.scraper_interval_s * 1000;
    vg_arena_init(&l.arena, 0);

    int64_t next_refresh = 0;

    while (!scrape_stop) {
        if (l.st == NULL) {
            if (store_open(&c, STORE_OPEN_AUTO, &l.st, &err) != VG_OK) {
                vg_log(LOG_ERR, "scraper: %s; retrying", err.msg);
                if (once) {
                    status = 1;
                    break;
                }
                /* transfers in flight go on; their results are dropped until it reopens */
                scrape_fetch_poll(l.fetch, 0);
                scrape_reap(&l);
                scrape_sleep_ms(1000);
                continue;
            }
            vg_log(LOG_INFO, "scraper: store %s open, interval %d s, timeout %d s", c.store_home,
                   c.scraper_interval_s, c.scraper_timeout_s);
        }
        if (!once ? vg_mono_us() >= next_refresh : !refreshed) {
            scrape_refresh(&l, once);
            refreshed = 1;
            next_refresh = vg_mono_us() + l.interval_ms * 1000;
        }
        scrape_start_due(&l);
        scrape_fetch_poll(l.fetch, once ? 200 : scrape_wait_ms(&l, next_refresh));
        scrape_reap(&l);
        if (store_panicked(l.st)) {
            /* someone recovered the environment under us, or must: start over */
            vg_log(LOG_ERR, "scraper: the store needs recovery; reopening");
            store_close(l.st);
            l.st = NULL;
            scrape_sleep_ms(1000);
            continue;
        }
        if (once && scrape_all_done(&l))
            break;
    }
    /* in-flight transfers are aborted; no staleness markers at shutdown (as Prometheus) */
    for (size_t i = 0; i < l.n; i++)
        scrape_tgt_free(&l, l.t[i]);
    free(l.t);
    free(l.due);
    scrape_fetch_free(l.fetch);
    vg_arena_fini(&l.arena);
    store_close(l.st);
    conf_fini(&c);
    vg_log(LOG_INFO, "scraper: stopped");
    return status;
}
