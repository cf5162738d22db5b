/* query/promql/fetch.c - selection and point lookups for the evaluator.
 * SPDX-License-Identifier: MIT */
#include "fetch.h"

#include "core/time.h"

#include <string.h>

int pql_check_deadline(const pql_reader_t *r, const char *where, vg_err_t *err)
{
    if (r->deadline_us != 0 && vg_mono_us() >= r->deadline_us)
        return vg_fail(err, VG_ETIMEOUT, "query timed out in %s", where);
    return VG_OK;
}

int pql_fetch(pql_reader_t *r, const store_matcher_t *m, size_t nm, int64_t mint, int64_t maxt,
              pql_series_t **out, size_t *n, vg_err_t *err)
{
    store_series_t *s;
    size_t ns;
    pql_series_t *res;
    int rc;

    if ((rc = pql_check_deadline(r, "query preparation", err)) < 0)
        return rc;
    rc = store_series_select(r->st, r->txn, r->project, m, nm, r->a, &s, &ns, err);
    if (rc < 0)
        return rc;
    res = vg_arena_alloc(r->a, (ns ? ns : 1) * sizeof *res);
    for (size_t i = 0; i < ns; i++) {
        res[i].m = (pql_lset_t){s[i].labels, s[i].nlabels};
        rc = store_series_samples(r->st, r->txn, s[i].id, mint, maxt, r->a, &res[i].p, &res[i].n,
                                  err);
        if (rc < 0)
            return rc;
        r->loaded += res[i].n;
        if (r->max_samples != 0 && r->loaded > r->max_samples)
            return vg_fail(err, VG_ELIMIT,
                           "query processing would load too many samples into "
                           "memory in query execution");
        if ((i & 255) == 255 && (rc = pql_check_deadline(r, "query preparation", err)) < 0)
            return rc;
    }
    *out = res;
    *n = ns;
    return VG_OK;
}

size_t pql_lower_bound(const pql_series_t *s, int64_t t)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->p[mid].t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int pql_value_at(const pql_series_t *s, int64_t t, int64_t lookback, double *v, int64_t *pt)
{
    size_t i = pql_lower_bound(s, t);

    /* the last point at or before t */
    if (i < s->n && s->p[i].t == t)
        i++;
    if (i == 0)
        return 0;
    i--;
    if (s->p[i].t < t - lookback || ing_is_stale(s->p[i].v))
        return 0;
    *v = s->p[i].v;
    *pt = s->p[i].t;
    return 1;
}

size_t pql_window(const pql_series_t *s, int64_t from, int64_t to, store_sample_t *out)
{
    size_t k = 0;

    for (size_t i = pql_lower_bound(s, from); i < s->n && s->p[i].t <= to; i++)
        if (!ing_is_stale(s->p[i].v))
            out[k++] = s->p[i];
    return k;
}
