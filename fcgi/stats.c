/* fcgi/stats.c - the shared counter file. Slots are claimed with a compare-and-swap on their
 * state word (empty → claiming → ready) and found again by hashing their key, so concurrent
 * processes never lock. When a table fills, further keys count in one "other" slot.
 * SPDX-License-Identifier: MIT */
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FC_STATS_MAGIC   0x7669676c53543031ull /* "viglST01" */
#define FC_STATS_REQS    1024
#define FC_STATS_ROUTES  256
#define FC_STATS_ROUTE   120
#define FC_STATS_BUCKETS 14

static const double fc_stats_le[FC_STATS_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

enum { FC_SLOT_EMPTY, FC_SLOT_CLAIMING, FC_SLOT_READY };

typedef struct {
    _Atomic uint32_t state;
    uint16_t code;
    char method[10];
    char route[FC_STATS_ROUTE];
    _Atomic uint64_t count;
} fc_stats_req_t;

typedef struct {
    _Atomic uint32_t state;
    char route[FC_STATS_ROUTE];
    _Atomic uint64_t buckets[FC_STATS_BUCKETS]; /* not cumulative; summed when rendered */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
} fc_stats_route_t;

typedef struct {
    _Atomic uint64_t magic;
    _Atomic uint64_t worker_restarts;
    _Atomic int64_t workers;
    fc_stats_req_t reqs[FC_STATS_REQS];
    fc_stats_route_t routes[FC_STATS_ROUTES];
} fc_stats_file_t;

static fc_stats_file_t *fc_stats;

int fc_stats_open(const char *dir)
{
    char path[4096];
    struct stat sb;
    void *p;
    int fd;

    if (fc_stats != NULL)
        return 0;
    snprintf(path, sizeof path, "%s/vigil.stats", dir);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
        return -1;
    if (fstat(fd, &sb) < 0 ||
        ((size_t)sb.st_size != sizeof(fc_stats_file_t) && ftruncate(fd, 0) < 0) ||
        ftruncate(fd, sizeof(fc_stats_file_t)) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    p = mmap(NULL, sizeof(fc_stats_file_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    fc_stats = p;
    /* a file of another layout was truncated to zeros above; zeros are a valid empty table */
    uint64_t zero = 0;

    atomic_compare_exchange_strong(&fc_stats->magic, &zero, FC_STATS_MAGIC);
    return 0;
}

void fc_stats_close(void)
{
    if (fc_stats != NULL)
        munmap(fc_stats, sizeof(fc_stats_file_t));
    fc_stats = NULL;
}

static uint64_t fc_stats_hash(const char *s, uint64_t h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull; /* FNV-1a */
    return h;
}

/* Waits for a slot another process is filling in; it takes a few stores, so spin. */
static uint32_t fc_stats_settle(_Atomic uint32_t *state)
{
    uint32_t s;

    for (int i = 0; (s = atomic_load(state)) == FC_SLOT_CLAIMING && i < 100000; i++)
        ;
    return s;
}

static fc_stats_req_t *fc_stats_req_slot(const char *route, const char *method, int status)
{
    uint64_t h = fc_stats_hash(method, fc_stats_hash(route, 0xcbf29ce484222325ull)) ^
                 (uint64_t)status * 0x9e3779b97f4a7c15ull;

    for (size_t i = 0; i < FC_STATS_REQS - 1; i++) {
        fc_stats_req_t *s = &fc_stats->reqs[(h + i) % (FC_STATS_REQS - 1)];
        uint32_t want = FC_SLOT_EMPTY;

        if (atomic_load(&s->state) == FC_SLOT_EMPTY &&
            atomic_compare_exchange_strong(&s->state, &want, FC_SLOT_CLAIMING)) {
            snprintf(s->route, sizeof s->route, "%s", route);
            snprintf(s->method, sizeof s->method, "%s", method);
            s->code = (uint16_t)status;
            atomic_store(&s->state, FC_SLOT_READY);
            return s;
        }
        if (fc_stats_settle(&s->state) == FC_SLOT_READY && s->code == status &&
            strncmp(s->route, route, sizeof s->route - 1) == 0 &&
            strncmp(s->method, method, sizeof s->method - 1) == 0)
            return s;
    }
    /* full: the last slot counts everything else */
    fc_stats_req_t *o = &fc_stats->reqs[FC_STATS_REQS - 1];
    uint32_t want = FC_SLOT_EMPTY;

    if (atomic_compare_exchange_strong(&o->state, &want, FC_SLOT_CLAIMING)) {
        snprintf(o->route, sizeof o->route, "other");
        snprintf(o->method, sizeof o->method, "other");
        o->code = 0;
        atomic_store(&o->state, FC_SLOT_READY);
    }
    return o;
}

static fc_stats_route_t *fc_stats_route_slot(const char *route)
{
    uint64_t h = fc_stats_hash(route, 0xcbf29ce484222325ull);

    for (size_t i = 0; i < FC_STATS_ROUTES - 1; i++) {
        fc_stats_route_t *s = &fc_stats->routes[(h + i) % (FC_STATS_ROUTES - 1)];
        uint32_t want = FC_SLOT_EMPTY;

        if (atomic_load(&s->state) == FC_SLOT_EMPTY &&
            atomic_compare_exchange_strong(&s->state, &want, FC_SLOT_CLAIMING)) {
            snprintf(s->route, sizeof s->route, "%s", route);
            atomic_store(&s->state, FC_SLOT_READY);
            return s;
        }
        if (fc_stats_settle(&s->state) == FC_SLOT_READY &&
            strncmp(s->route, route, sizeof s->route - 1) == 0)
            return s;
    }
    fc_stats_route_t *o = &fc_stats->routes[FC_STATS_ROUTES - 1];
    uint32_t want = FC_SLOT_EMPTY;

    if (atomic_compare_exchange_strong(&o->state, &want, FC_SLOT_CLAIMING)) {
        snprintf(o->route, sizeof o->route, "other");
        atomic_store(&o->state, FC_SLOT_READY);
    }
    return o;
}

void fc_stats_request(const char *route, const char *method, int status, int64_t usec)
{
    fc_stats_route_t *r;
    size_t b = 0;

    if (fc_stats == NULL)
        return;
    atomic_fetch_add(&fc_stats_req_slot(route, method, status)->count, 1);
    r = fc_stats_route_slot(route);
    while (b < FC_STATS_BUCKETS && (double)usec / 1e6 > fc_stats_le[b])
        b++;
    if (b < FC_STATS_BUCKETS)
        atomic_fetch_add(&r->buckets[b], 1);
    atomic_fetch_add(&r->count, 1);
    atomic_fetch_add(&r->sum_us, (uint64_t)(usec > 0 ? usec : 0));
}

void fc_stats_worker_restart(void)
{
    if (fc_stats != NULL)
        atomic_fetch_add(&fc_stats->worker_restarts, 1);
}

void fc_stats_set_workers(int n)
{
    if (fc_stats != NULL)
        atomic_store(&fc_stats->workers, n);
}

/* Label values are route patterns and methods from requests: escape as the format wants. */
static void fc_stats_label(vg_buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            vg_buf_addc(out, '\\');
        if (*s == '\n') {
            vg_buf_adds(out, "\\n");
            continue;
        }
        vg_buf_addc(out, *s);
    }
}

void fc_stats_render(vg_buf_t *out)
{
    if (fc_stats == NULL)
        return;
    vg_buf_adds(out, "# HELP vigil_http_requests_total Requests answered by all workers, by route "
                     "pattern, method and status code.\n"
                     "# TYPE vigil_http_requests_total counter\n");
    for (size_t i = 0; i < FC_STATS_REQS; i++) {
        fc_stats_req_t *s = &fc_stats->reqs[i];

        if (atomic_load(&s->state) != FC_SLOT_READY)
            continue;
        vg_buf_adds(out, "vigil_http_requests_total{route=\"");
        fc_stats_label(out, s->route);
        vg_buf_adds(out, "\",method=\"");
        fc_stats_label(out, s->method);
        vg_buf_printf(out, "\",code=\"%u\"} %llu\n", s->code,
                      (unsigned long long)atomic_load(&s->count));
    }
    vg_buf_adds(out, "# HELP vigil_http_request_duration_seconds Time from the request's arrival "
                     "at a worker to its response, by route pattern.\n"
                     "# TYPE vigil_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < FC_STATS_ROUTES; i++) {
        fc_stats_route_t *s = &fc_stats->routes[i];
        uint64_t cum = 0, count;

        if (atomic_load(&s->state) != FC_SLOT_READY)
            continue;
        count = atomic_load(&s->count);
        for (size_t b = 0; b < FC_STATS_BUCKETS; b++) {
            cum += atomic_load(&s->buckets[b]);
            vg_buf_adds(out, "vigil_http_request_duration_seconds_bucket{route=\"");
            fc_stats_label(out, s->route);
            vg_buf_printf(out, "\",le=\"%g\"} %llu\n", fc_stats_le[b], (unsigned long long)cum);
        }
        if (cum > count) /* another process counted between our loads */
            count = cum;
        vg_buf_adds(out, "vigil_http_request_duration_seconds_bucket{route=\"");
        fc_stats_label(out, s->route);
        vg_buf_printf(out, "\",le=\"+Inf\"} %llu\n", (unsigned long long)count);
        vg_buf_adds(out, "vigil_http_request_duration_seconds_sum{route=\"");
        fc_stats_label(out, s->route);
        vg_buf_printf(out, "\"} %.6f\n", (double)atomic_load(&s->sum_us) / 1e6);
        vg_buf_adds(out, "vigil_http_request_duration_seconds_count{route=\"");
        fc_stats_label(out, s->route);
        vg_buf_printf(out, "\"} %llu\n", (unsigned long long)count);
    }
    vg_buf_printf(out,
                  "# HELP vigil_worker_restarts_total Workers the master replaced after they "
                  "died.\n# TYPE vigil_worker_restarts_total counter\n"
                  "vigil_worker_restarts_total %llu\n"
                  "# HELP vigil_workers Worker processes the master is running.\n"
                  "# TYPE vigil_workers gauge\nvigil_workers %lld\n",
                  (unsigned long long)atomic_load(&fc_stats->worker_restarts),
                  (long long)atomic_load(&fc_stats->workers));
}
