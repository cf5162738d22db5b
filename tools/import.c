/* tools/import.c - `vigilctl import`: Prometheus text 0.0.4, OpenMetrics or InfluxDB line protocol
 * from a file into the series store. The file is read in pieces of at most the batch size, each
 * cut at a line boundary and parsed by the same ingest parser as the HTTP endpoint, then written
 * in one streamed transaction (store_series_ingest); the arena is reset after each piece, so
 * memory follows the batch size, not the file's. Line protocol also goes to the stream log, as POST
 * /write does. SPDX-License-Identifier: MIT */
#include "core/arena.h"
#include "core/mem.h"
#include "core/time.h"
#include "ctl.h"
#include "ingest/expo.h"
#include "ingest/lineproto.h"
#include "store/series.h"
#include "store/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { CTL_FMT_AUTO, CTL_FMT_PROM, CTL_FMT_OM, CTL_FMT_LP } ctl_fmt_t;

#define CTL_IMP_TERM       "# EOF\n" /* closes an OpenMetrics piece that is not the last */
#define CTL_IMP_TERM_LEN   6
#define CTL_IMP_TICK_US    100000 /* the progress line is redrawn at most every 0.1 s */
#define CTL_IMP_MAX_REPORT 20     /* bad lines reported from one piece */
#define CTL_IMP_DETAIL_MAX 240    /* a longer problem text is shown as head ... tail */

typedef struct {
    store_t *st;
    const char *project, *db, *rp, *precision;
    const char *name; /* the file as messages call it */
    ctl_fmt_t fmt;
    int fd, at_eof, tty, seekable;
    char *buf; /* batch bytes plus room for CTL_IMP_TERM */
    size_t len, batch;
    uint64_t line;        /* the number of the line buf[0] starts */
    uint64_t eof_line;    /* OpenMetrics: the line holding `# EOF`, 0 until seen */
    uint64_t done, total; /* bytes stored; the file's size (0 when unknown) */
    uint64_t samples, batches;
    int64_t now_ms, t0_us, drawn_us;
    vg_arena_t arena; /* the parser's, reset before each piece */
    size_t cut;       /* the piece being written: buf[0..cut) */
    size_t om_plen;   /* what the OpenMetrics parser reads: cut, or cut + CTL_IMP_TERM_LEN */
} ctl_imp_t;

static int ctl_imp_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* True when p[0..n) (one line, no newline) is OpenMetrics's `# EOF` line as the parser reads it:
 * blanks, '#', blanks, the word EOF, then a blank or the end of the line. */
static int ctl_imp_is_eof(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && ctl_imp_blank(p[i]))
        i++;
    if (i == n || p[i++] != '#')
        return 0;
    while (i < n && ctl_imp_blank(p[i]))
        i++;
    if (n - i < 3 || memcmp(p + i, "EOF", 3) != 0)
        return 0;
    return n - i == 3 || ctl_imp_blank(p[i + 3]);
}

/* The offset of the first `# EOF` line in p[0..n), or n when there is none; *lines gets the
 * number of newlines before it. */
static size_t ctl_imp_find_eof(const char *p, size_t n, uint64_t *lines)
{
    size_t pos = 0;

    *lines = 0;
    while (pos < n) {
        const char *nl = memchr(p + pos, '\n', n - pos);
        size_t end = nl != NULL ? (size_t)(nl - p) : n;

        if (ctl_imp_is_eof(p + pos, end - pos))
            return pos;
        if (nl == NULL)
            break;
        pos = end + 1;
        (*lines)++;
    }
    return n;
}

static uint64_t ctl_imp_count_lines(const char *p, size_t n)
{
    uint64_t k = 0;
    const char *e = p + n;

    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* ---- progress ---- */

static void ctl_imp_progress(ctl_imp_t *x, int force)
{
    int64_t now = vg_mono_us();
    double secs, rate;

    if (!x->tty || (!force && now - x->drawn_us < CTL_IMP_TICK_US))
        return;
    x->drawn_us = now;
    secs = (double)(now - x->t0_us) / 1e6;
    rate = secs > 0 ? (double)x->samples / secs : 0;
    if (x->total > 0) {
        uint64_t done = x->done < x->total ? x->done : x->total;
        char bar[CTL_BAR + 1];
        int pct = ctl_bar(bar, done, x->total);

        fprintf(stderr, "\r[%s] %3d%%  %.1f/%.1f MiB  %llu samples  %.0f samples/s\033[K", bar, pct,
                (double)done / 1048576.0, (double)x->total / 1048576.0,
                (unsigned long long)x->samples, rate);
    } else {
        fprintf(stderr, "\r%.1f MiB  %llu samples  %.0f samples/s\033[K",
                (double)x->done / 1048576.0, (unsigned long long)x->samples, rate);
    }
    fflush(stderr);
}

/* ---- reading and cutting ---- */

/* Reads until the buffer holds a whole batch or the input ends. */
static int ctl_imp_fill(ctl_imp_t *x, vg_err_t *err)
{
    while (x->len < x->batch && !x->at_eof) {
        ssize_t n = read(x->fd, x->buf + x->len, x->batch - x->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vg_fail(err, VG_EINTERNAL, "import: read %s: %s", x->name, strerror(errno));
        if (n == 0)
            x->at_eof = 1;
        x->len += (size_t)n;
    }
    return VG_OK;
}

/* Where a Prometheus or OpenMetrics piece ends: after the last newline, moved back before any
 * `#` lines that end the piece, so HELP, TYPE and UNIT lines travel with the samples after them.
 * 0 when the buffer holds no newline. */
static size_t ctl_imp_cut_expo(const ctl_imp_t *x)
{
    const char *nl = memrchr(x->buf, '\n', x->len);
    size_t cut, c;

    if (nl == NULL)
        return 0;
    cut = c = (size_t)(nl - x->buf) + 1;
    while (c > 0) {
        size_t s = c - 1, i;

        while (s > 0 && x->buf[s - 1] != '\n')
            s--;
        for (i = s; i < c - 1 && ctl_imp_blank(x->buf[i]); i++)
            ;
        if (i == c - 1 || x->buf[i] != '#')
            break;
        c = s;
    }
    return c > 0 ? c : cut;
}

/* Where a line-protocol piece ends: after the last newline that ends a line by the parser's
 * rule (not escaped by a backslash, not inside a quoted field value). 0 when there is none. */
static size_t ctl_imp_cut_lp(const ctl_imp_t *x)
{
    const char *p = x->buf;
    size_t i = 0, n = x->len, cut = 0, equals = 0, commas = 0;
    int quoted = 0, fields = 0;

    while (i < n) {
        char c = p[i];

        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == ' ')
            fields = 1;
        if (fields && !quoted && c == '=') {
            equals++;
        } else if (fields && !quoted && c == ',') {
            commas++;
        } else if (fields && c == '"' && equals > commas) {
            quoted = !quoted;
        } else if (c == '\n' && !quoted) {
            cut = i + 1;
            equals = commas = 0;
            fields = 0;
        }
        i++;
    }
    return cut;
}

/* ---- format detection ---- */

static int ctl_imp_mstart(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int ctl_imp_mcont(unsigned char c)
{
    return ctl_imp_mstart(c) || (c >= '0' && c <= '9');
}

/* Classifies the first data line p[0..n): CTL_FMT_PROM, CTL_FMT_LP, or CTL_FMT_AUTO when it
 * looks like neither. */
static ctl_fmt_t ctl_imp_classify(const char *p, size_t n)
{
    size_t i = 0, name_end;
    int name_ok;

    while (i < n && ctl_imp_mcont((unsigned char)p[i]))
        i++;
    name_ok = i > 0 && ctl_imp_mstart((unsigned char)p[0]);
    name_end = i;
    while (i < n && ctl_imp_blank(p[i]))
        i++;
    if (name_ok && i < n && p[i] == '{')
        return CTL_FMT_PROM; /* name{...} value */
    /* line protocol's measurement and tags end at the first unescaped space */
    for (i = 0; i < n && p[i] != ' '; i++)
        if (p[i] == '\\')
            i++;
    while (i < n && p[i] == ' ')
        i++;
    for (; i < n && p[i] != ' '; i++)
        if (p[i] == '=')
            return CTL_FMT_LP; /* measurement[,tags] field=value */
    if (name_ok && name_end < n && ctl_imp_blank(p[name_end]))
        return CTL_FMT_PROM; /* name value [timestamp] */
    return CTL_FMT_AUTO;
}

/* True when the input's last line is `# EOF` (a regular file: its tail is read with pread). */
static int ctl_imp_tail_is_eof(const ctl_imp_t *x)
{
    char tail[256];
    off_t off = x->total > sizeof tail ? (off_t)(x->total - sizeof tail) : 0;
    ssize_t n = pread(x->fd, tail, sizeof tail, off);
    const char *nl;

    if (n <= 0)
        return 0;
    if (tail[n - 1] == '\n')
        n--; /* one newline may follow `# EOF` */
    nl = memrchr(tail, '\n', (size_t)n);
    if (nl == NULL && off > 0)
        return 0; /* a last line longer than the tail is not `# EOF` */
    nl = nl != NULL ? nl + 1 : tail;
    return ctl_imp_is_eof(nl, (size_t)(tail + n - nl));
}

/* Picks the format from the first buffer (and the file's tail): see the usage text. */
static int ctl_imp_detect(ctl_imp_t *x, vg_err_t *err)
{
    uint64_t lines;
    size_t pos = 0;
    ctl_fmt_t f = CTL_FMT_PROM;

    if (ctl_imp_find_eof(x->buf, x->len, &lines) < x->len ||
        (x->seekable && !x->at_eof && ctl_imp_tail_is_eof(x))) {
        x->fmt = CTL_FMT_OM;
        return VG_OK;
    }
    lines = x->line;
    while (pos < x->len) {
        const char *nl = memchr(x->buf + pos, '\n', x->len - pos);
        size_t end = nl != NULL ? (size_t)(nl - x->buf) : x->len, i = pos;

        if (nl == NULL && !x->at_eof)
            break; /* the line goes on past the buffer */
        while (i < end && (ctl_imp_blank(x->buf[i]) || x->buf[i] == '\r'))
            i++;
        if (i < end && x->buf[i] == '#') {
            for (i++; i < end && ctl_imp_blank(x->buf[i]); i++)
                ;
            if (end - i >= 4 &&
                (memcmp(x->buf + i, "HELP", 4) == 0 || memcmp(x->buf + i, "TYPE", 4) == 0))
                break; /* a Prometheus metadata line */
        } else if (i < end) {
            if ((f = ctl_imp_classify(x->buf + i, end - i)) == CTL_FMT_AUTO)
                return vg_fail(err, VG_EINVAL,
                               "import: %s:%llu: cannot tell the format from this line: use "
                               "--format prom, openmetrics or influx",
                               x->name, (unsigned long long)lines);
            break;
        }
        pos = end + 1;
        lines++;
    }
    if (f == CTL_FMT_PROM && !x->seekable && !x->at_eof)
        return vg_fail(err, VG_EINVAL,
                       "import: %s: Prometheus text and OpenMetrics differ only by the `# EOF` at "
                       "the end, which a pipe longer than one batch hides: use --format prom or "
                       "--format openmetrics",
                       x->name);
    x->fmt = f;
    return VG_OK;
}

/* ---- parsing and writing ---- */

/* Prints a parser's problem text on one line: newlines (line protocol quotes the bad line, which
 * a string value can spread over several) as \n, and a long text as its head and its tail,
 * where the reason is. */
static void ctl_imp_print_detail(const char *d)
{
    size_t n = strlen(d);

    for (size_t i = 0; i < n; i++) {
        if (n > CTL_IMP_DETAIL_MAX && i == CTL_IMP_DETAIL_MAX / 2) {
            fputs(" ... ", stderr);
            i = n - CTL_IMP_DETAIL_MAX / 2;
        }
        if (d[i] == '\n')
            fputs("\\n", stderr);
        else
            fputc(d[i], stderr);
    }
    fputc('\n', stderr);
}

/* Prints the parser's bad lines as FILE:LINE: problem, numbered from the start of the file. */
static int ctl_imp_report(ctl_imp_t *x, vg_err_t *err)
{
    size_t shown = 0;

    if (x->tty)
        fputs("\r\033[K", stderr);
    for (size_t i = 0; i < err->nitems; i++) {
        const vg_err_item_t *it = &err->items[i];
        unsigned long long rel;

        if (it->source == NULL || sscanf(it->source, "line %llu", &rel) != 1 || rel == 0)
            continue;
        if (shown++ == CTL_IMP_MAX_REPORT) {
            fprintf(stderr, "%s: ... and more bad lines\n", x->name);
            break;
        }
        fprintf(stderr, "%s:%llu: ", x->name, (unsigned long long)x->line + rel - 1);
        ctl_imp_print_detail(it->detail != NULL ? it->detail : err->msg);
    }
    if (shown == 0) /* no line to point at: the error as it is */
        fprintf(stderr, "%s:%llu: %s\n", x->name, (unsigned long long)x->line, err->msg);
    err->msg[0] = '\0';
    err->subcode = CTL_SUB_REPORTED;
    return VG_EINVAL;
}

/* Reports a problem on absolute line `line` that no parser found (the piece rules). */
static int ctl_imp_fail_line(ctl_imp_t *x, uint64_t line, const char *problem, vg_err_t *err)
{
    if (x->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "%s:%llu: %s\n", x->name, (unsigned long long)line, problem);
    err->msg[0] = '\0';
    err->subcode = CTL_SUB_REPORTED;
    return VG_EINVAL;
}

/* The streamed ingest's fill: parses the piece buf[0..cut) into b. Runs again if the
 * transaction is retried, so it changes nothing it does not put back. */
static int ctl_imp_parse(ing_batch_t *b, void *arg, vg_err_t *err)
{
    ctl_imp_t *x = arg;
    int rc;

    err->items = NULL;
    err->nitems = err->cap = 0;
    if (x->fmt == CTL_FMT_LP) {
        if ((rc = ing_lp_parse(b, x->buf, x->cut, x->precision, x->now_ms * 1000000, err)) < 0)
            return rc;
        return ing_lp_to_samples(b, err);
    }
    if (x->fmt == CTL_FMT_PROM || x->om_plen == x->cut)
        return ing_expo_parse(b, x->buf, x->cut, x->fmt == CTL_FMT_OM, x->now_ms, err);
    /* every OpenMetrics piece but the last needs the terminator the parser requires; the bytes
     * it covers belong to the next piece and are put back after parsing */
    char saved[CTL_IMP_TERM_LEN];

    memcpy(saved, x->buf + x->cut, CTL_IMP_TERM_LEN);
    memcpy(x->buf + x->cut, CTL_IMP_TERM, CTL_IMP_TERM_LEN);
    rc = ing_expo_parse(b, x->buf, x->om_plen, 1, x->now_ms, err);
    memcpy(x->buf + x->cut, saved, CTL_IMP_TERM_LEN);
    return rc;
}

/* Line protocol goes to the stream log too, in the same transaction, as POST /write does. */
static int ctl_imp_stream(store_t *st, store_txn_t *txn, const ing_batch_t *b, void *arg,
                          vg_err_t *err)
{
    ctl_imp_t *x = arg;
    uint64_t seq;

    if (x->fmt != CTL_FMT_LP || b->npoints == 0) /* comments only: nothing to route */
        return VG_OK;
    return store_stream_append(st, txn, x->db, x->rp, x->precision, x->now_ms * 1000000, x->buf,
                               x->cut, &seq, err);
}

/* Parses buf[0..cut) and writes it in one streamed transaction; final says no input follows. */
static int ctl_imp_piece(ctl_imp_t *x, size_t cut, int final, vg_err_t *err)
{
    store_ingest_t in = {
        .project = x->project, .fill = ctl_imp_parse, .after = ctl_imp_stream, .arg = x};
    uint64_t before = 0;
    size_t at = cut;
    int rc;

    x->cut = x->om_plen = cut;
    if (x->fmt == CTL_FMT_OM) {
        /* the whole file is one body to the parser: nothing may follow its # EOF */
        if (x->eof_line > 0)
            return ctl_imp_fail_line(x, x->eof_line + 1, "unexpected data after # EOF", err);
        at = ctl_imp_find_eof(x->buf, cut, &before);
        if (at == cut && !final)
            x->om_plen = cut + CTL_IMP_TERM_LEN;
    }
    vg_arena_reset(&x->arena);
    if ((rc = store_series_ingest(x->st, &in, &x->arena, err)) == VG_EINVAL)
        return ctl_imp_report(x, err);
    if (rc < 0)
        return rc;
    if (at < cut)
        x->eof_line = x->line + before;
    x->samples += in.samples;
    x->batches++;
    return VG_OK;
}

static int ctl_imp_run(ctl_imp_t *x, vg_err_t *err)
{
    int rc, first = 1;

    for (;;) {
        size_t cut;
        int final;

        if ((rc = ctl_imp_fill(x, err)) < 0)
            return rc;
        if (first && x->fmt == CTL_FMT_AUTO && (rc = ctl_imp_detect(x, err)) < 0)
            return rc;
        if (first && x->fmt == CTL_FMT_LP && (x->db == NULL || *x->db == '\0'))
            return vg_fail(err, VG_EINVAL,
                           "import: line protocol needs --db, which the stream log records with "
                           "each write (POST /write requires it too)");
        first = 0;
        if (x->len == 0)
            break;
        if (x->at_eof) {
            cut = x->len;
        } else {
            cut = x->fmt == CTL_FMT_LP ? ctl_imp_cut_lp(x) : ctl_imp_cut_expo(x);
            if (cut == 0) {
                /* an unbalanced quote makes the rest of the file one line: let the parser say so */
                if (x->fmt == CTL_FMT_LP) {
                    ing_batch_t b;

                    vg_arena_reset(&x->arena);
                    ing_batch_init(&b, &x->arena);
                    err->items = NULL;
                    err->nitems = err->cap = 0;
                    if (ing_lp_parse(&b, x->buf, x->len, x->precision, 0, err) < 0)
                        return ctl_imp_report(x, err);
                }
                return ctl_imp_fail_line(x, x->line,
                                         "line longer than the batch size: raise --batch-mb", err);
            }
        }
        final = x->at_eof && cut == x->len;
        if ((rc = ctl_imp_piece(x, cut, final, err)) < 0)
            return rc;
        x->line += ctl_imp_count_lines(x->buf, cut);
        x->done += cut;
        memmove(x->buf, x->buf + cut, x->len - cut);
        x->len -= cut;
        ctl_imp_progress(x, 0);
    }
    if (x->fmt == CTL_FMT_OM && x->eof_line == 0)
        return ctl_imp_fail_line(x, x->line, "data does not end with # EOF", err);
    return VG_OK;
}

static int ctl_imp_format(const char *s, ctl_fmt_t *f)
{
    static const struct {
        const char *name;
        ctl_fmt_t f;
    } names[] = {{"auto", CTL_FMT_AUTO},
                 {"prom", CTL_FMT_PROM},
                 {"prometheus", CTL_FMT_PROM},
                 {"openmetrics", CTL_FMT_OM},
                 {"influx", CTL_FMT_LP}};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            *f = names[i].f;
            return 0;
        }
    }
    return -1;
}

int ctl_import(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"project", required_argument, NULL, 'p'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"rp", required_argument, NULL, 'r'},
                                         {"precision", required_argument, NULL, 'P'},
                                         {"batch-mb", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    static const char *const precisions[] = {"n", "u", "ms", "s", "m", "h"};
    ctl_imp_t x = {.st = st, .project = c->store_default_project, .batch = 4u << 20};
    const char *path;
    struct stat sb;
    int opt, rc;

    optind = 0; /* a fresh scan of the command's own argv */
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'p') {
            x.project = optarg;
        } else if (opt == 'f') {
            if (ctl_imp_format(optarg, &x.fmt) < 0)
                return vg_fail(err, VG_EINVAL, "import: unknown --format \"%s\"", optarg);
        } else if (opt == 'd') {
            x.db = optarg;
        } else if (opt == 'r') {
            x.rp = optarg;
        } else if (opt == 'P') {
            size_t i = 0;

            while (i < sizeof precisions / sizeof precisions[0] && strcmp(optarg, precisions[i]))
                i++;
            if (i == sizeof precisions / sizeof precisions[0])
                return vg_fail(err, VG_EINVAL, "import: --precision must be n, u, ms, s, m or h");
            x.precision = optarg;
        } else if (opt == 'b') {
            char *end;
            long mb = strtol(optarg, &end, 10);

            if (end == optarg || *end != '\0' || mb < 1 || mb > 1024)
                return vg_fail(err, VG_EINVAL, "import: --batch-mb takes 1 to 1024");
            x.batch = (size_t)mb << 20;
        } else {
            return vg_fail(err, VG_EINVAL, "import: bad option");
        }
    }
    if (optind != argc - 1)
        return vg_fail(err, VG_EINVAL, "import: give one FILE (or - for stdin)");
    if (x.project == NULL || *x.project == '\0')
        return vg_fail(err, VG_EINVAL, "import: the project is empty");
    path = argv[optind];
    if (strcmp(path, "-") == 0) {
        x.fd = 0;
        x.name = "<stdin>";
    } else if ((x.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return vg_fail(err, VG_EINVAL, "import: %s: %s", path, strerror(errno));
    } else {
        x.name = path;
    }
    if (fstat(x.fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        x.total = (uint64_t)sb.st_size;
        x.seekable = 1;
    }
    /* what POST /write stores for absent parameters */
    if (x.rp == NULL)
        x.rp = "";
    if (x.precision == NULL)
        x.precision = "";
    x.tty = isatty(2);
    x.line = 1;
    x.now_ms = vg_now_ms();
    x.t0_us = vg_mono_us();
    x.buf = vg_xmalloc(x.batch + CTL_IMP_TERM_LEN);
    vg_arena_init(&x.arena, 64 * 1024);

    rc = ctl_imp_run(&x, err);

    if (x.tty) {
        ctl_imp_progress(&x, 1);
        fputs("\r\033[K", stderr);
    }
    if (rc == VG_OK || err->subcode == CTL_SUB_REPORTED || x.batches > 0)
        fprintf(stderr, "imported %llu samples in %llu batches from %s (%llu bytes) in %.2f s%s\n",
                (unsigned long long)x.samples, (unsigned long long)x.batches, x.name,
                (unsigned long long)x.done, (double)(vg_mono_us() - x.t0_us) / 1e6,
                rc == VG_OK ? "" : ", then stopped: the batches before the error stay stored");
    vg_arena_fini(&x.arena);
    free(x.buf);
    if (x.fd != 0)
        close(x.fd);
    return rc;
}
