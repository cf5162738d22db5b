/* tools/stacky.c - `vigilctl stacky`: StackTach notifications from a JSON-lines file into the
 * event store, one transaction per message as POST /stacky/ingest/ stores them (ingest), the
 * summary report made on demand (report), and the glance image usage tables (images).
 * SPDX-License-Identifier: MIT */
#include "core/arena.h"
#include "core/json.h"
#include "core/time.h"
#include "ctl.h"
#include "ingest/stacky.h"
#include "store/events.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CTL_SK_TICK_US 100000 /* the progress line is redrawn at most every 0.1 s */

#define CTL_SK_USAGE                                                                               \
    "usage: vigilctl stacky ingest [--deployment NAME] [--service nova|glance|generic] FILE\n"     \
    "       vigilctl stacky report [--hours N] [--region R] [--start T]\n"                         \
    "       vigilctl stacky images usage|deletes|exists"

/* ---- ingest ---- */

typedef struct {
    store_t *st;
    const char *project, *deployment, *name;
    sk_parse_opts_t opts;
    FILE *f;
    size_t max_line;
    int tty;
    uint64_t line, stored, done, total; /* done/total: bytes read, the file's size (0: unknown) */
    int64_t t0_us, drawn_us;
    vg_arena_t arena; /* one message's, reset before each line */
} ctl_sk_ingest_t;

static double ctl_sk_rate(const ctl_sk_ingest_t *x, double *secs)
{
    *secs = (double)(vg_mono_us() - x->t0_us) / 1e6;
    return *secs > 0 ? (double)x->stored / *secs : 0;
}

static void ctl_sk_progress(ctl_sk_ingest_t *x, int force)
{
    int64_t now = vg_mono_us();
    double secs, rate;

    if (!x->tty || (!force && now - x->drawn_us < CTL_SK_TICK_US))
        return;
    x->drawn_us = now;
    rate = ctl_sk_rate(x, &secs);
    if (x->total > 0) {
        char bar[CTL_BAR + 1];
        int pct = ctl_bar(bar, x->done, x->total);

        fprintf(stderr, "\r[%s] %3d%%  %llu messages  %.0f/s\033[K", bar, pct,
                (unsigned long long)x->stored, rate);
    } else {
        fprintf(stderr, "\r%llu messages  %.0f/s\033[K", (unsigned long long)x->stored, rate);
    }
    fflush(stderr);
}

/* Reports a failure on the current line and stops the run. */
static int ctl_sk_line_fail(ctl_sk_ingest_t *x, const char *msg, vg_err_t *err)
{
    if (x->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "vigilctl: %s: line %llu: %s (%llu ingested before it)\n", x->name,
            (unsigned long long)x->line, msg, (unsigned long long)x->stored);
    err->msg[0] = '\0';
    err->subcode = CTL_SUB_REPORTED;
    return VG_EINVAL;
}

/* Parses and stores one line (without its newline); blank lines are skipped. */
static int ctl_sk_ingest_line(ctl_sk_ingest_t *x, const char *p, size_t n, vg_err_t *err)
{
    sk_msg_t m;
    uint64_t id;
    int rc;

    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    if (n == 0)
        return VG_OK;
    vg_arena_reset(&x->arena);
    err->items = NULL;
    err->nitems = err->cap = 0;
    if ((rc = sk_msg_parse(&x->arena, p, n, &x->opts, &m, err)) < 0)
        return ctl_sk_line_fail(x, err->msg, err);
    if ((rc = sk_ingest(x->st, x->project, x->deployment, &m, vg_now_ms(), &id, err)) < 0)
        return ctl_sk_line_fail(x, err->msg, err);
    x->stored++;
    return VG_OK;
}

static int ctl_sk_ingest_run(ctl_sk_ingest_t *x, vg_err_t *err)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = VG_OK;

    errno = 0;
    while ((n = getline(&buf, &cap, x->f)) >= 0) {
        x->line++;
        x->done += (uint64_t)n;
        if ((size_t)n > x->max_line) {
            char msg[96];

            snprintf(msg, sizeof msg, "message larger than %zu MiB ([fcgi] max_body_mb)",
                     x->max_line >> 20);
            rc = ctl_sk_line_fail(x, msg, err);
            break;
        }
        if (n > 0 && buf[n - 1] == '\n')
            n--;
        if ((rc = ctl_sk_ingest_line(x, buf, (size_t)n, err)) < 0)
            break;
        ctl_sk_progress(x, 0);
    }
    if (rc == VG_OK && ferror(x->f))
        rc = vg_fail(err, VG_EINTERNAL, "stacky ingest: reading %s: %s", x->name, strerror(errno));
    free(buf);
    return rc;
}

static int ctl_sk_ingest(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"deployment", required_argument, NULL, 'd'},
                                         {"service", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    ctl_sk_ingest_t x = {.st = st,
                         .project = c->store_default_project,
                         .deployment = "default",
                         .opts = {.table = -1},
                         .max_line = (size_t)c->fcgi_max_body_mb << 20};
    struct stat sb;
    double secs, rate;
    int opt, rc;

    optind = 2;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'd') {
            x.deployment = optarg;
        } else if (opt == 's') {
            sk_table_t t;

            if (sk_table_parse(optarg, &t) < 0)
                return vg_fail(err, VG_EINVAL,
                               "stacky ingest: --service must be nova, glance or generic, not "
                               "\"%s\"",
                               optarg);
            x.opts.table = (int)t;
        } else {
            return vg_fail(err, VG_EINVAL, "stacky ingest: bad option\n%s", CTL_SK_USAGE);
        }
    }
    if (optind != argc - 1)
        return vg_fail(err, VG_EINVAL, "stacky ingest: give one FILE (or - for stdin)");
    if (!sk_deployment_ok(x.deployment))
        return vg_fail(err, VG_EINVAL,
                       "stacky ingest: --deployment takes a name of 1 to %d characters",
                       SK_DEPLOYMENT_MAX);
    if (strcmp(argv[optind], "-") == 0) {
        x.f = stdin;
        x.name = "<stdin>";
    } else if ((x.f = fopen(argv[optind], "r")) == NULL) {
        return vg_fail(err, VG_EINVAL, "stacky ingest: %s: %s", argv[optind], strerror(errno));
    } else {
        x.name = argv[optind];
    }
    if (fstat(fileno(x.f), &sb) == 0 && S_ISREG(sb.st_mode))
        x.total = (uint64_t)sb.st_size;
    x.tty = isatty(2);
    x.t0_us = vg_mono_us();
    vg_arena_init(&x.arena, 64 * 1024);

    rc = ctl_sk_ingest_run(&x, err);

    if (x.tty) {
        ctl_sk_progress(&x, 1);
        fputs("\r\033[K", stderr);
    }
    rate = ctl_sk_rate(&x, &secs);
    if (rc == VG_OK)
        fprintf(stderr, "ingested %llu messages in %.2f s (%.0f/s)\n", (unsigned long long)x.stored,
                secs, rate);
    vg_arena_fini(&x.arena);
    if (x.f != stdin)
        fclose(x.f);
    return rc;
}

/* ---- report ---- */

/* --start: unix seconds, or "YYYY-MM-DD HH:MM" (also with a 'T'), UTC. */
static int ctl_sk_start(const char *s, int64_t *out_s)
{
    int y, mo, d, h, mi, used = 0;
    char sep;
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (*s >= '0' && *s <= '9' && *end == '\0' && errno == 0) {
        *out_s = v;
        return 0;
    }
    if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &used) != 6 ||
        s[used] != '\0' || (sep != ' ' && sep != 'T') || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h > 23 || mi > 59 || h < 0 || mi < 0)
        return -1;

    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};

    *out_s = (int64_t)timegm(&tm);
    return tm.tm_mday == d ? 0 : -1; /* timegm normalised a day past the month's end */
}

static int ctl_sk_report(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"hours", required_argument, NULL, 'H'},
                                         {"region", required_argument, NULL, 'r'},
                                         {"start", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *region = NULL;
    int hours = 1, have_start = 0, opt, rc;
    int64_t start = 0;
    uint64_t id;
    vg_arena_t a;

    (void)c;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'H') {
            char *end;
            long n = strtol(optarg, &end, 10);

            if (end == optarg || *end != '\0' || n < 1 || n > 24 * 366)
                return vg_fail(err, VG_EINVAL, "stacky report: --hours takes 1 to %d, not \"%s\"",
                               24 * 366, optarg);
            hours = (int)n;
        } else if (opt == 'r') {
            region = optarg;
        } else if (opt == 's') {
            if (ctl_sk_start(optarg, &start) < 0)
                return vg_fail(err, VG_EINVAL,
                               "stacky report: --start takes unix seconds or \"YYYY-MM-DD HH:MM\" "
                               "(UTC), not \"%s\"",
                               optarg);
            have_start = 1;
        } else {
            return vg_fail(err, VG_EINVAL, "stacky report: bad option\n%s", CTL_SK_USAGE);
        }
    }
    if (optind != argc)
        return vg_fail(err, VG_EINVAL, "stacky report: unexpected argument \"%s\"", argv[optind]);
    if (!have_start) {
        /* the last period that has ended, aligned to its length: the last hour, yesterday */
        int64_t len = (int64_t)hours * 3600, now = vg_now_ms() / 1000;

        start = (now / len) * len - len;
    }
    if (start % 3600 != 0)
        return vg_fail(err, VG_EINVAL, "stacky report: --start must be a whole UTC hour");
    vg_arena_init(&a, 0);
    rc = sk_report_summary(st, &a, start * 1000000, hours, region, vg_now_ns() / 1000, &id, err);
    if (rc == VG_OK)
        printf("%llu\n", (unsigned long long)id);
    vg_arena_fini(&a);
    return rc;
}

/* ---- images ---- */

typedef struct {
    sk_image_kind_t kind;
    json_object *out;
} ctl_sk_images_t;

static int ctl_sk_images_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_sk_images_t *x = arg;

    json_object_put(x->out); /* from a retried attempt */
    x->out = NULL;
    return sk_images(st, txn, x->kind, &x->out, err);
}

static int ctl_sk_images(store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct {
        const char *name;
        sk_image_kind_t kind;
    } kinds[] = {{"usage", SK_IMG_USAGE}, {"deletes", SK_IMG_DELETES}, {"exists", SK_IMG_EXISTS}};
    ctl_sk_images_t x = {.out = NULL};
    size_t i = 0, len;
    int rc;

    while (argc == 3 && i < sizeof kinds / sizeof kinds[0] && strcmp(argv[2], kinds[i].name) != 0)
        i++;
    if (argc != 3 || i == sizeof kinds / sizeof kinds[0])
        return vg_fail(err, VG_EINVAL, "usage: vigilctl stacky images usage|deletes|exists");
    x.kind = kinds[i].kind;
    if ((rc = store_txn_run(st, ctl_sk_images_txn, &x, err)) == VG_OK) {
        const char *text = vg_json_text(x.out, &len);

        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
    }
    json_object_put(x.out);
    return rc;
}

int ctl_stacky(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    if (argc >= 2 && strcmp(argv[1], "ingest") == 0)
        return ctl_sk_ingest(c, st, argc, argv, err);
    if (argc >= 2 && strcmp(argv[1], "report") == 0)
        return ctl_sk_report(c, st, argc, argv, err);
    if (argc >= 2 && strcmp(argv[1], "images") == 0)
        return ctl_sk_images(st, argc, argv, err);
    if (argc < 2)
        return vg_fail(err, VG_EINVAL, "stacky: missing subcommand (ingest, report, images)\n%s",
                       CTL_SK_USAGE);
    return vg_fail(err, VG_EINVAL, "stacky: unknown subcommand \"%s\"\n%s", argv[1], CTL_SK_USAGE);
}
