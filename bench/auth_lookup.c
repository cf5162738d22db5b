/* bench/auth_lookup.c - what appkey authentication costs a request: fc_auth_appkey() (key from
 * the header or the Basic password, SHA-256, the store lookup, the project check) timed over
 * many requests against a store holding many keys, next to the same request's parsing alone
 * (the baseline every request pays anyway), and the HS256 JWT verification of /mrd reports.
 * Prints one line per case: mean, p50, p99 in µs.
 *
 *   bench-auth-lookup DIR KEYS LOOKUPS
 * SPDX-License-Identifier: MIT */
#include "core/jwt.h"
#include "core/log.h"
#include "fcgi/auth.h"
#include "store/inventory.h"
#include "store/store.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int from, to;
} bench_range_t;

static void bench_key(int i, char *out, size_t n)
{
    snprintf(out, n, "bench-appkey-%08d", i);
}

static int bench_fill(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    bench_range_t *r = arg;
    char key[64], project[32];
    int rc = VG_OK;

    for (int i = r->from; i < r->to && rc == VG_OK; i++) {
        bench_key(i, key, sizeof key);
        snprintf(project, sizeof project, "proj%d", i % 100);
        rc = inv_appkey_add(st, txn, project, key, 0, err);
    }
    return rc;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* how: 0 = parse only, 1 = header key, 2 = Basic password, 3 = unknown key */
static void bench_case(const char *name, int how, store_t *st, const conf_t *c, int keys, int n)
{
    double *us = malloc((size_t)n * sizeof *us), sum = 0;
    vg_arena_t a;
    int failed = 0;

    vg_arena_init(&a, 0);
    srand(7);
    for (int i = 0; i < n; i++) {
        int k = rand() % keys;
        char key[64], hdr[256], path[96], cred[96], b64[160];
        char *params[4] = {"REQUEST_METHOD=GET", path, hdr, NULL};
        req_t req;
        vg_err_t err = {0};

        bench_key(how == 3 ? keys + k : k, key, sizeof key);
        snprintf(path, sizeof path, "PATH_INFO=/v1.0/projects/proj%d/jobs", k % 100);
        if (how == 2) {
            snprintf(cred, sizeof cred, "user:%s", key);
            EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)cred, (int)strlen(cred));
            snprintf(hdr, sizeof hdr, "HTTP_AUTHORIZATION=Basic %s", b64);
        } else {
            snprintf(hdr, sizeof hdr, "HTTP_X_TC_APP_KEY=%s", key);
        }
        {
            struct timespec s, e;

            clock_gettime(CLOCK_MONOTONIC, &s);
            req_init(&req, &a, c);
            req.store = st;
            req_from_params(&req, params, (size_t)-1, &err);
            req_kvs_add(&a, &req.params, "projectId", vg_arena_sprintf(&a, "proj%d", k % 100));
            if (how > 0) {
                int rc = fc_auth_appkey(&req, &err);

                if ((how == 3) != (rc == VG_EAUTH))
                    failed++;
            }
            clock_gettime(CLOCK_MONOTONIC, &e);
            us[i] = (double)(e.tv_sec - s.tv_sec) * 1e6 + (double)(e.tv_nsec - s.tv_nsec) / 1e3;
        }
        sum += us[i];
        vg_arena_reset(&a);
    }
    qsort(us, (size_t)n, sizeof *us, bench_cmp);
    printf("%-22s mean %6.2f us  p50 %6.2f us  p99 %6.2f us  (%d requests, %d wrong answers)\n",
           name, sum / n, us[n / 2], us[(size_t)n * 99 / 100], n, failed);
    vg_arena_fini(&a);
    free(us);
}

/* The Concertim route's check: an HS256 token verified against the secret (§4.2). */
static void bench_jwt(int n)
{
    static const char secret[] = "bench-secret-0123456789abcdef";
    char *tok = vg_jwt_sign(secret, sizeof secret - 1, 1700000000, 86400);
    double *us = malloc((size_t)n * sizeof *us), sum = 0;
    int failed = 0;

    for (int i = 0; i < n; i++) {
        struct timespec s, e;

        clock_gettime(CLOCK_MONOTONIC, &s);
        if (vg_jwt_verify(tok, secret, sizeof secret - 1, 1700000000 + i % 3600) != VG_JWT_OK)
            failed++;
        clock_gettime(CLOCK_MONOTONIC, &e);
        us[i] = (double)(e.tv_sec - s.tv_sec) * 1e6 + (double)(e.tv_nsec - s.tv_nsec) / 1e3;
        sum += us[i];
    }
    qsort(us, (size_t)n, sizeof *us, bench_cmp);
    printf("%-22s mean %6.2f us  p50 %6.2f us  p99 %6.2f us  (%d requests, %d wrong answers)\n",
           "JWT HS256 verify", sum / n, us[n / 2], us[(size_t)n * 99 / 100], n, failed);
    free(us);
    free(tok);
}

int main(int argc, char **argv)
{
    conf_t c;
    store_t *st;
    vg_err_t err = {0};
    int keys, n;

    if (argc != 4 || (keys = atoi(argv[2])) < 1 || (n = atoi(argv[3])) < 1) {
        fprintf(stderr, "usage: bench-auth-lookup DIR KEYS LOOKUPS\n");
        return 2;
    }
    vg_log_init("bench-auth", LOG_WARNING);
    conf_defaults(&c);
    free(c.store_home);
    c.store_home = strdup(argv[1]);
    c.store_cache_mb = 64;
    if (store_open(&c, STORE_OPEN_FIRST, &st, &err) != VG_OK) {
        fprintf(stderr, "bench-auth-lookup: %s\n", err.msg);
        return 1;
    }
    for (int from = 0; from < keys; from += 1000) {
        bench_range_t r = {from, from + 1000 < keys ? from + 1000 : keys};

        if (store_txn_run(st, bench_fill, &r, &err) != VG_OK) {
            fprintf(stderr, "bench-auth-lookup: %s\n", err.msg);
            return 1;
        }
    }
    printf("%d appkeys in 100 projects; each case %d requests with random keys\n", keys, n);
    bench_case("request parse only", 0, st, &c, keys, n);
    bench_case("+ X-TC-APP-KEY auth", 1, st, &c, keys, n);
    bench_case("+ Basic auth", 2, st, &c, keys, n);
    bench_case("+ unknown key (401)", 3, st, &c, keys, n);
    bench_jwt(n);
    store_close(st);
    conf_fini(&c);
    return 0;
}
