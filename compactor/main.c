/* compactor/main.c - vigil-compactor: the background housekeeper and scheduler. It keeps the shared
 * environment healthy (failchk for crashed processes' locks, periodic checkpoints and removal of
 * log files recovery no longer needs, a share of the cache kept clean for the writers, stream
 * trimming, compaction) and runs the scheduled jobs:
 * Concertim's processing run every [concertim] step_s and the re-read of devices_file, and the
 * StackTach summary report of each [stacky] report_hours period once it has ended (made once: a
 * stored report is never made again, across restarts too). It reopens the store if the
 * environment had to be recovered, and checkpoints once more before exiting on SIGTERM/SIGINT.
 * SPDX-License-Identifier: MIT */
#include "conf/conf.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/time.h"
#include "store/events.h"
#include "store/mrd.h"
#include "store/store.h"
#include "store/stream.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the share of the cache kept clean (store_trickle), so writers evict clean pages */
#define CPT_TRICKLE_PCT 10

/* the throttle every process applies to device-table loads (specs/concertim.md §5.1) */
#define CPT_MRD_RELOAD_GAP_MS 5000
/* after a failed StackTach report, the wait before the next attempt */
#define CPT_SK_RETRY_US (60 * 1000000LL)

static volatile sig_atomic_t cpt_stop;

static void cpt_on_stop(int sig)
{
    (void)sig;
    cpt_stop = 1;
}

/* Sleeps up to ms, returning early when a stop signal arrives. */
static void cpt_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (!cpt_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

typedef struct {
    uint64_t max_bytes;
    size_t removed;
} cpt_trim_t;

static int cpt_trim_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    cpt_trim_t *t = arg;

    return store_stream_trim(st, txn, t->max_bytes, &t->removed, err);
}

/* Keeps the stream log within [store] stream_max_mb. */
static int cpt_trim_stream(store_t *st, const conf_t *c, vg_err_t *err)
{
    cpt_trim_t t = {(uint64_t)c->store_stream_max_mb * 1024 * 1024, 0};
    int rc = store_txn_run(st, cpt_trim_txn, &t, err);

    if (rc == VG_OK && t.removed > 0)
        vg_log(LOG_INFO, "compactor: trimmed %zu stream records", t.removed);
    return rc;
}

/* Fills the series databases' pages and gives emptied ones back. */
static int cpt_compact(store_t *st, vg_err_t *err)
{
    uint64_t freed = 0;
    int rc = store_compact(st, &freed, err);

    if (rc == VG_OK && freed > 0)
        vg_log(LOG_INFO, "compactor: compaction gave back %llu pages", (unsigned long long)freed);
    return rc;
}

/* One Concertim processing run (specs/concertim.md §6): the reports into the current snapshot
 * and the history of [store] default_project. */
static void cpt_mrd_process(store_t *st, const conf_t *c)
{
    mrd_run_stats_t s = {0};
    vg_err_t err = {0};
    int64_t t0 = vg_mono_us();

    if (mrd_process(st, c->store_default_project, vg_now_ms(), c->concertim_step_s, &s, &err) !=
        VG_OK) {
        vg_log(LOG_WARNING, "compactor: concertim run: %s", err.msg);
        return;
    }
    vg_log(LOG_DEBUG,
           "compactor: concertim run: %zu devices, %zu metrics, %zu stale, %zu samples in %lld us",
           s.devices, s.metrics, s.stale, s.samples, (long long)(vg_mono_us() - t0));
}

/* Re-reads [concertim] devices_file into the device table (at most every 5 s across processes,
 * as an unknown device's reload is throttled). */
static void cpt_mrd_devices(store_t *st, const conf_t *c)
{
    vg_err_t err = {0};
    int loaded = 0;

    if (mrd_devices_reload(st, c->concertim_devices_file, vg_now_ms(), CPT_MRD_RELOAD_GAP_MS,
                           &loaded, NULL, &err) != VG_OK)
        vg_log(LOG_WARNING, "compactor: concertim devices: %s", err.msg);
    else if (loaded)
        vg_log(LOG_DEBUG, "compactor: concertim devices: %s loaded", c->concertim_devices_file);
}

/* The StackTach report job's state: the period already handled and when to try again. */
typedef struct {
    int64_t done_s;   /* start of the last period made or found stored (0: none yet) */
    int64_t retry_us; /* monotonic time before which a failed period is not retried */
} cpt_sk_t;

typedef struct {
    const char *name;
    int64_t start_us, end_us;
    int exists;   /* the report is stored already */
    size_t nraws; /* nova raws in the period: 0 or 1 */
    vg_arena_t *a;
} cpt_sk_check_t;

static int cpt_sk_check_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    cpt_sk_check_t *k = arg;
    sk_query_t q = {.table = SK_NOVA,
                    .index = SK_BY_WHEN,
                    .when_min = k->start_us,
                    .when_min_excl = 1,
                    .when_max = k->end_us,
                    .limit = 1};
    sk_raw_t *rows;
    int rc = sk_report_exists(st, txn, k->name, k->start_us, k->end_us, err);

    if (rc < 0)
        return rc;
    k->exists = rc;
    return sk_raws_query(st, txn, k->a, &q, &rows, &k->nraws, err);
}

/* The start (unix seconds) of the last whole UTC period of `hours` that ended at least delay_s
 * before now_s. */
static int64_t cpt_sk_period(int64_t now_s, int hours, int delay_s)
{
    int64_t len = (int64_t)hours * 3600, t = now_s - delay_s;
    int64_t end = (t / len - (t % len < 0)) * len;

    return end - len;
}

/* The StackTach summary report (specs/stacktach.md §4.19) of the last [stacky] report_hours
 * period that ended [stacky] report_delay_s ago, unless it is stored already. A period without
 * nova notifications gets none (upstream's job fails on one: it divides by the request count). */
static void cpt_sk_report(store_t *st, const conf_t *c, cpt_sk_t *s)
{
    int64_t start =
        cpt_sk_period(vg_now_ms() / 1000, c->stacky_report_hours, c->stacky_report_delay_s);
    const char *region = c->stacky_report_region != NULL && *c->stacky_report_region
                             ? c->stacky_report_region
                             : NULL;
    vg_err_t err = {0};
    vg_arena_t a;
    uint64_t id;

    if (start == s->done_s || vg_mono_us() < s->retry_us)
        return;
    vg_arena_init(&a, 0);

    cpt_sk_check_t k = {.name =
                            vg_arena_sprintf(&a, "summary for region: %s", region ? region : "all"),
                        .start_us = start * 1000000,
                        .end_us = (start + (int64_t)c->stacky_report_hours * 3600 - 1) * 1000000,
                        .a = &a};
    int rc = store_txn_run(st, cpt_sk_check_txn, &k, &err);

    if (rc == VG_OK && !k.exists && k.nraws > 0) {
        rc = sk_report_summary(st, &a, k.start_us, c->stacky_report_hours, region,
                               vg_now_ns() / 1000, &id, &err);
        if (rc == VG_OK)
            vg_log(LOG_INFO, "compactor: stacky report %llu stored: \"%s\", %d h from %lld",
                   (unsigned long long)id, k.name, c->stacky_report_hours, (long long)start);
    }
    if (rc == VG_OK) {
        s->done_s = start;
    } else {
        vg_log(LOG_WARNING, "compactor: stacky report of %d h from %lld: %s; retrying in 60 s",
               c->stacky_report_hours, (long long)start, err.msg);
        s->retry_us = vg_mono_us() + CPT_SK_RETRY_US;
    }
    vg_arena_fini(&a);
}

static int cpt_run_once(store_t *st, const conf_t *c)
{
    vg_err_t err = {0};
    int rc = store_failchk(st, &err);

    if (rc == VG_OK)
        rc = cpt_trim_stream(st, c, &err);
    if (rc == VG_OK)
        rc = cpt_compact(st, &err);
    if (rc == VG_OK)
        rc = store_checkpoint(st, 1, &err);
    if (rc != VG_OK)
        vg_log(LOG_ERR, "compactor: %s", err.msg);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"once", no_argument, NULL, '1'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int once = 0, opt;
    vg_err_t err = {0};
    store_t *st = NULL;
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
            printf("usage: vigil-compactor [--config PATH] [--once]\n");
            return 0;
        default:
            fprintf(stderr, "usage: vigil-compactor [--config PATH] [--once]\n");
            return 2;
        }
    }
    if (conf_load(&c, conf_default_path(config), config != NULL || getenv("VIGIL_CONFIG"), &err) !=
        VG_OK) {
        fprintf(stderr, "vigil-compactor: %s\n", err.msg);
        return 1;
    }
    vg_log_init("vigil-compactor", c.log_level);

    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cpt_on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int64_t next_failchk = 0, next_ckp = 0,
            next_compact = vg_mono_us() + (int64_t)c.compactor_compact_s * 1000000;
    /* the first processing run one step after start-up (as upstream); the device map at once */
    int64_t mrd_step = (int64_t)c.concertim_step_s * 1000000, next_mrd = vg_mono_us() + mrd_step,
            next_devices = 0;
    int mrd_devices = c.concertim_devices_file != NULL && *c.concertim_devices_file;
    cpt_sk_t sk = {0};
    int status = 0;

    while (!cpt_stop) {
        int64_t now = vg_mono_us();

        if (st == NULL) {
            if (store_open(&c, STORE_OPEN_AUTO, &st, &err) != VG_OK) {
                vg_log(LOG_ERR, "compactor: %s; retrying", err.msg);
                if (once) {
                    status = 1;
                    break;
                }
                cpt_sleep_ms(1000);
                continue;
            }
            vg_log(LOG_INFO, "compactor: store %s open", c.store_home);
        }
        if (once) {
            status = cpt_run_once(st, &c) == VG_OK ? 0 : 1;
            break;
        }
        if (now >= next_failchk) {
            if (store_failchk(st, &err) != VG_OK)
                vg_log(LOG_ERR, "compactor: %s", err.msg);
            next_failchk = now + (int64_t)c.compactor_failchk_s * 1000000;
        }
        if (!store_panicked(st) && now >= next_ckp) {
            if (cpt_trim_stream(st, &c, &err) != VG_OK)
                vg_log(LOG_ERR, "compactor: %s", err.msg);
            if (store_checkpoint(st, 1, &err) != VG_OK)
                vg_log(LOG_ERR, "compactor: %s", err.msg);
            next_ckp = now + (int64_t)c.compactor_checkpoint_s * 1000000;
        }
        if (!store_panicked(st) && now >= next_compact) {
            if (cpt_compact(st, &err) != VG_OK)
                vg_log(LOG_ERR, "compactor: %s", err.msg);
            next_compact = vg_mono_us() + (int64_t)c.compactor_compact_s * 1000000;
        }
        if (mrd_devices && !store_panicked(st) && now >= next_devices) {
            cpt_mrd_devices(st, &c);
            next_devices = vg_mono_us() + (int64_t)c.concertim_devices_refresh_s * 1000000;
        }
        if (!store_panicked(st) && now >= next_mrd) {
            cpt_mrd_process(st, &c);
            /* keep the cadence; after a long stall, one run now and the next a step later */
            next_mrd += mrd_step;
            if (next_mrd <= vg_mono_us())
                next_mrd = vg_mono_us() + mrd_step;
        }
        if (c.stacky_report_hours > 0 && !store_panicked(st))
            cpt_sk_report(st, &c, &sk);
        /* keep part of the cache clean for the writers (a few page writes each time) */
        if (!store_panicked(st) && store_trickle(st, CPT_TRICKLE_PCT, NULL, &err) != VG_OK)
            vg_log(LOG_ERR, "compactor: %s", err.msg);
        if (store_panicked(st)) {
            /* someone recovered the environment under us, or must: start over */
            store_close(st);
            st = NULL;
            cpt_sleep_ms(1000);
            continue;
        }
        /* wake for the next processing run if it is due before the usual 250 ms */
        int64_t wait_ms = (next_mrd - vg_mono_us()) / 1000;

        cpt_sleep_ms(wait_ms < 1 ? 1 : wait_ms < 250 ? (long)wait_ms : 250);
    }
    if (st != NULL && !once && !store_panicked(st) && store_checkpoint(st, 0, &err) != VG_OK)
        vg_log(LOG_ERR, "compactor: final checkpoint: %s", err.msg);
    store_close(st);
    conf_fini(&c);
    vg_log(LOG_INFO, "compactor: stopped");
    return status;
}
