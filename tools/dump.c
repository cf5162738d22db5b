/* tools/dump.c - `vigilctl dump`: every sample of the series a selector matches, as Prometheus
 * text exposition lines with millisecond timestamps, series by series in label-set order. The
 * output imports back (vigilctl import, /api/v1/import/prometheus) to the same samples, bit for
 * bit except for NaN payloads, which the text format cannot carry.
 * SPDX-License-Identifier: MIT */
#include "core/arena.h"
#include "core/buf.h"
#include "core/time.h"
#include "ctl.h"
#include "ingest/batch.h"
#include "query/promql/selector.h"
#include "store/series.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *project;
    store_matcher_t *m;
    size_t nm;
    int64_t mint, maxt;
    vg_arena_t list; /* the selected series, for one transaction attempt */
    vg_arena_t one;  /* one series' samples, reset before the next series */
    vg_arena_t keep; /* the last series printed, kept across attempts */
    store_series_t last;
    int have_last;
    vg_buf_t line; /* heap: the series' `name{...} ` prefix, then one sample line */
    uint64_t nseries, nsamples, unfit;
} ctl_dump_t;

/* Parses s as unix seconds (a fraction allowed, rounded to milliseconds) or RFC 3339. */
static int ctl_dump_time(const char *s, const char *opt, int64_t *ms, vg_err_t *err)
{
    if (vg_time_parse(s, ms) == 0)
        return VG_OK;
    return vg_fail(err, VG_EINVAL, "dump: %s \"%s\" is neither RFC 3339 nor unix seconds", opt, s);
}

static int ctl_dump_mstart(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int ctl_dump_lcont(unsigned char c)
{
    return ctl_dump_mstart(c) || (c >= '0' && c <= '9');
}

/* True when s is a name the exposition format can carry (metric = 1 allows ':'). */
static int ctl_dump_name_ok(const char *s, int metric)
{
    if (!(ctl_dump_mstart((unsigned char)*s) || (metric && *s == ':')))
        return 0;
    for (s++; *s != '\0'; s++)
        if (!(ctl_dump_lcont((unsigned char)*s) || (metric && *s == ':')))
            return 0;
    return 1;
}

/* Appends a label value with the exposition escapes: backslash, double quote, newline. */
static void ctl_dump_escape(vg_buf_t *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            vg_buf_add(b, "\\\\", 2);
        else if (*s == '"')
            vg_buf_add(b, "\\\"", 2);
        else if (*s == '\n')
            vg_buf_add(b, "\\n", 2);
        else
            vg_buf_addc(b, *s);
    }
}

/* Writes `name{l="v",...} ` for s into x->line; labels come sorted from the store. */
static void ctl_dump_prefix(ctl_dump_t *x, const store_series_t *s)
{
    const char *name = "";
    int open = 0, fit = 1;

    x->line.len = 0;
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i].name, "__name__") == 0)
            name = s->labels[i].value;
    fit = ctl_dump_name_ok(name, 1);
    vg_buf_adds(&x->line, name);
    for (size_t i = 0; i < s->nlabels; i++) {
        if (strcmp(s->labels[i].name, "__name__") == 0)
            continue;
        fit = fit && ctl_dump_name_ok(s->labels[i].name, 0);
        vg_buf_addc(&x->line, open ? ',' : '{');
        open = 1;
        vg_buf_adds(&x->line, s->labels[i].name);
        vg_buf_add(&x->line, "=\"", 2);
        ctl_dump_escape(&x->line, s->labels[i].value);
        vg_buf_addc(&x->line, '"');
    }
    if (open)
        vg_buf_addc(&x->line, '}');
    vg_buf_addc(&x->line, ' ');
    if (!fit)
        x->unfit++;
}

/* The value as the text format reads it back to the same double. */
static const char *ctl_dump_value(double v, char *buf, size_t n)
{
    if (ing_is_stale(v))
        return "stale";
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    snprintf(buf, n, "%.17g", v);
    return buf;
}

static void ctl_dump_series(ctl_dump_t *x, const store_series_t *s, const store_sample_t *smp,
                            size_t n)
{
    size_t plen;

    ctl_dump_prefix(x, s);
    plen = x->line.len;
    for (size_t i = 0; i < n; i++) {
        char vb[40];

        x->line.len = plen;
        vg_buf_printf(&x->line, "%s %lld\n", ctl_dump_value(smp[i].v, vb, sizeof vb),
                      (long long)smp[i].t);
        fwrite(x->line.p, 1, x->line.len, stdout);
    }
    x->nseries++;
    x->nsamples += n;
}

/* Keeps a copy of s as the last series printed, for a retried transaction to resume after. */
static void ctl_dump_remember(ctl_dump_t *x, const store_series_t *s)
{
    vg_arena_reset(&x->keep);
    x->last.id = s->id;
    x->last.nlabels = s->nlabels;
    x->last.labels = vg_arena_alloc(&x->keep, (s->nlabels ? s->nlabels : 1) * sizeof *s->labels);
    for (size_t i = 0; i < s->nlabels; i++)
        x->last.labels[i] = (ing_label_t){vg_arena_strdup(&x->keep, s->labels[i].name),
                                          vg_arena_strdup(&x->keep, s->labels[i].value)};
    x->have_last = 1;
}

static int ctl_dump_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_dump_t *x = arg;
    store_series_t *ss;
    size_t n, done = 0;
    int rc;

    vg_arena_reset(&x->list);
    if ((rc = store_series_select(st, txn, x->project, x->m, x->nm, &x->list, &ss, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        store_sample_t *smp;
        size_t ns;

        /* a deadlock retry runs this again: what an earlier attempt printed stays printed */
        if (x->have_last && store_series_cmp(&ss[i], &x->last) <= 0)
            continue;
        vg_arena_reset(&x->one);
        rc = store_series_samples(st, txn, ss[i].id, x->mint, x->maxt, &x->one, &smp, &ns, err);
        if (rc < 0)
            break;
        if (ns > 0)
            ctl_dump_series(x, &ss[i], smp, ns);
        done = i + 1;
        if (ferror(stdout)) {
            /* a reader that went away (`| head`) needs no message; other failures do */
            if (errno == EPIPE) {
                err->msg[0] = '\0';
                err->subcode = CTL_SUB_REPORTED;
                return VG_EINTERNAL;
            }
            return vg_fail(err, VG_EINTERNAL, "dump: writing the output: %s", strerror(errno));
        }
    }
    if (rc < 0 && done > 0)
        ctl_dump_remember(x, &ss[done - 1]);
    return rc;
}

int ctl_dump(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"project", required_argument, NULL, 'p'},
                                         {"match", required_argument, NULL, 'm'},
                                         {"start", required_argument, NULL, 's'},
                                         {"end", required_argument, NULL, 'e'},
                                         {NULL, 0, NULL, 0}};
    ctl_dump_t x = {.project = c->store_default_project, .mint = INT64_MIN, .maxt = INT64_MAX};
    const char *match = NULL;
    vg_arena_t sel;
    int opt, rc;

    optind = 0; /* a fresh scan of the command's own argv */
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'p')
            x.project = optarg;
        else if (opt == 'm')
            match = optarg;
        else if (opt == 's' && (rc = ctl_dump_time(optarg, "--start", &x.mint, err)) < 0)
            return rc;
        else if (opt == 'e' && (rc = ctl_dump_time(optarg, "--end", &x.maxt, err)) < 0)
            return rc;
        else if (opt != 's' && opt != 'e')
            return vg_fail(err, VG_EINVAL, "dump: bad option");
    }
    if (optind != argc)
        return vg_fail(err, VG_EINVAL, "dump: unexpected argument \"%s\"", argv[optind]);
    if (match == NULL)
        return vg_fail(err, VG_EINVAL, "dump needs --match SELECTOR");
    if (x.project == NULL || *x.project == '\0')
        return vg_fail(err, VG_EINVAL, "dump: the project is empty");
    if (x.mint > x.maxt)
        return vg_fail(err, VG_EINVAL, "dump: --end is before --start");
    vg_arena_init(&sel, 0);
    if ((rc = pql_parse_selector(&sel, match, &x.m, &x.nm, err)) < 0) {
        char msg[sizeof err->msg];

        snprintf(msg, sizeof msg, "%s", err->msg);
        vg_arena_fini(&sel);
        err->subcode = 0;
        return vg_fail(err, rc, "dump: --match: %s", msg);
    }
    vg_arena_init(&x.list, 0);
    vg_arena_init(&x.one, 64 * 1024);
    vg_arena_init(&x.keep, 0);
    vg_buf_init(&x.line, NULL);
    /* a closed pipe shows as a write error, so the read transaction still ends properly */
    signal(SIGPIPE, SIG_IGN);

    rc = store_txn_run(st, ctl_dump_txn, &x, err);
    if (rc == VG_OK && fflush(stdout) != 0 && errno != EPIPE)
        rc = vg_fail(err, VG_EINTERNAL, "dump: writing the output: %s", strerror(errno));
    if (rc == VG_OK && x.unfit > 0)
        fprintf(stderr,
                "vigilctl: dump: %llu series have a metric or label name outside the exposition "
                "format's syntax: those lines will not import back\n",
                (unsigned long long)x.unfit);

    vg_buf_fini(&x.line);
    vg_arena_fini(&x.keep);
    vg_arena_fini(&x.one);
    vg_arena_fini(&x.list);
    vg_arena_fini(&sel);
    return rc;
}
