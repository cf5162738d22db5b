/* handlers/stacky/reports.c - the stored reports (../shared/specs/stacktach.md §4.16-4.18): the
 * list by creation time, the search by id, name, period and creation day with Django's field
 * errors, and one report's text verbatim. Reports are few (one an hour), so both lists filter
 * the reports table in one pass.
 * SPDX-License-Identifier: MIT */
#include "ingest/stacky.h"
#include "stacky_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACKY_FIELDS_NOTE "Note: The field names of database are case-sensitive."

typedef struct {
    vg_arena_t *a;
    /* the filter */
    int64_t created_min, created_max; /* inclusive (SK_NO_TIME: open) */
    int has_id, has_start, has_end;
    uint64_t id;
    const char *name;
    int64_t start_us, end_us;
    int descending;
    size_t offset, limit;
    /* the answer */
    sk_report_t *rows;
    size_t n;
} stacky_reports_t;

static int stacky_report_keep(const sk_report_t *r, void *arg)
{
    const stacky_reports_t *q = arg;

    return (q->created_min == SK_NO_TIME || r->created_us >= q->created_min) &&
           (q->created_max == SK_NO_TIME || r->created_us <= q->created_max) &&
           (!q->has_id || r->id == q->id) &&
           (q->name == NULL || (r->name != NULL && strcmp(r->name, q->name) == 0)) &&
           (!q->has_start || r->period_start_us == q->start_us) &&
           (!q->has_end || r->period_end_us == q->end_us);
}

static int stacky_reports_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_reports_t *q = arg;

    return sk_reports(st, txn, q->a, stacky_report_keep, q, q->descending, q->offset, q->limit,
                      &q->rows, &q->n, err);
}

/* Unix seconds as a float that prints as its decimal text: 1389726000.0, 1389730212.94745. */
static json_object *stacky_unix_float(int64_t us)
{
    char buf[48];
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    int len = snprintf(buf, sizeof buf, "%s%llu.%06llu", us < 0 ? "-" : "",
                       (unsigned long long)(mag / STACKY_US_PER_S),
                       (unsigned long long)(mag % STACKY_US_PER_S));

    while (len > 2 && buf[len - 1] == '0' && buf[len - 2] != '.')
        buf[--len] = '\0';
    return json_object_new_double_s((double)us / (double)STACKY_US_PER_S, buf);
}

/* "YYYY-MM-DD HH:MM:SS", without the fraction */
static json_object *stacky_report_time(int64_t us)
{
    char buf[SK_FMT_MAX];

    sk_fmt_when(buf, us);
    buf[19] = '\0';
    return json_object_new_string(buf);
}

static json_object *stacky_reports_json(const stacky_reports_t *q, int as_text)
{
    static const char *const titles[] = {"Id", "Start", "End", "Created", "Name", "Version", NULL};
    json_object *root = json_object_new_array_ext((int)q->n + 1);
    json_object *(*t)(int64_t) = as_text ? stacky_report_time : stacky_unix_float;

    json_object_array_add(root, stacky_titles(titles));
    for (size_t i = 0; i < q->n; i++) {
        const sk_report_t *r = &q->rows[i];
        json_object *row = json_object_new_array_ext(6);

        json_object_array_add(row, json_object_new_uint64(r->id));
        json_object_array_add(row, t(r->period_start_us));
        json_object_array_add(row, t(r->period_end_us));
        json_object_array_add(row, t(r->created_us));
        json_object_array_add(row, stacky_str(r->name));
        json_object_array_add(row, json_object_new_int(r->version));
        json_object_array_add(root, row);
    }
    return root;
}

/* GET /stacky/reports/[?created_from=][&created_to=]: by id, created within the last day unless
 * the bounds say otherwise (§4.16) */
int stacky_reports(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_reports_t q = {.a = req->arena};
    int64_t now_us = req->now_ms * 1000;
    int rc;

    if ((rc = stacky_time_arg(req, "created_from", STACKY_CEIL, now_us - STACKY_DAY_US,
                              &q.created_min, err)) != VG_OK ||
        (rc = stacky_time_arg(req, "created_to", STACKY_FLOOR, now_us, &q.created_max, err)) !=
            VG_OK ||
        (rc = stacky_paging(req, &q.offset, &q.limit, err)) != VG_OK)
        return rc;
    if (q.limit > 0 && (rc = store_txn_run(req->store, stacky_reports_txn, &q, err)) != VG_OK)
        return rc;
    return resp_json(resp, 200, stacky_reports_json(&q, 0));
}

/* ---- GET /stacky/reports/search/ (§4.17) ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (valid dates only). */
static int64_t stacky_days(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int stacky_date_valid(int64_t y, int64_t m, int64_t d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] + (m == 2 && leap);
}

/* Between min and max digits at *s into *v; advances *s. */
static int stacky_digits(const char **s, size_t min, size_t max, int64_t *v)
{
    size_t n = 0;

    *v = 0;
    while (n < max && **s >= '0' && **s <= '9') {
        *v = *v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n >= min ? 0 : -1;
}

/* "YYYY-M[M]-D[D]" at *s (advanced) into days since the epoch. */
static int stacky_parse_date(const char **s, int64_t *days)
{
    int64_t y, m, d;

    if (stacky_digits(s, 4, 4, &y) != 0 || *(*s)++ != '-' || stacky_digits(s, 1, 2, &m) != 0 ||
        *(*s)++ != '-' || stacky_digits(s, 1, 2, &d) != 0 || !stacky_date_valid(y, m, d))
        return -1;
    *days = stacky_days(y, m, d);
    return 0;
}

/* Django's datetime field: "YYYY-MM-DD[( |T)HH:MM[:ss[.uuuuuu]][Z|±HH[:MM]]]" to microseconds. */
static int stacky_parse_datetime(const char *s, int64_t *us)
{
    int64_t days, h = 0, mi = 0, sec = 0, frac = 0, oh = 0, om = 0, sign = 0;

    if (stacky_parse_date(&s, &days) != 0)
        return -1;
    *us = days * STACKY_DAY_US;
    if (*s == '\0')
        return 0;
    if ((*s != ' ' && *s != 'T') || (s++, stacky_digits(&s, 1, 2, &h)) != 0 || *s++ != ':' ||
        stacky_digits(&s, 1, 2, &mi) != 0)
        return -1;
    if (*s == ':') {
        s++;
        if (stacky_digits(&s, 1, 2, &sec) != 0)
            return -1;
        if (*s == '.') {
            const char *f = ++s;
            int64_t extra;

            if (stacky_digits(&s, 1, 6, &frac) != 0)
                return -1;
            for (size_t n = (size_t)(s - f); n < 6; n++)
                frac *= 10;
            stacky_digits(&s, 0, 6, &extra); /* Django ignores digits past the sixth */
        }
    }
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '-' ? -1 : 1;
        if (stacky_digits(&s, 2, 2, &oh) != 0)
            return -1;
        if ((*s == ':' || *s != '\0') && (s += *s == ':', stacky_digits(&s, 2, 2, &om)) != 0)
            return -1;
    }
    if (*s != '\0' || h > 23 || mi > 59 || sec > 59 || om > 59)
        return -1;
    *us += ((h * 60 + mi) * 60 + sec) * STACKY_US_PER_S + frac;
    *us -= sign * (oh * 60 + om) * 60 * STACKY_US_PER_S; /* to UTC */
    return 0;
}

static int stacky_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every parameter that is not a searchable field, sorted: the check that runs first. */
static int stacky_search_fields(req_t *req, vg_err_t *err)
{
    static const char *const allowed[] = {"id",      "name",  "period_start", "period_end",
                                          "created", "limit", "offset",       NULL};
    const char **bad = vg_arena_alloc(req->arena, (req->args.n + 1) * sizeof *bad);
    size_t n = 0, i, j;
    char *list;

    for (i = 0; i < req->args.n; i++) {
        const char *name = req->args.v[i].name;

        for (j = 0; allowed[j] != NULL && strcmp(allowed[j], name) != 0; j++)
            ;
        if (allowed[j] == NULL)
            bad[n++] = name;
    }
    if (n == 0)
        return VG_OK;
    qsort(bad, n, sizeof *bad, stacky_cmp_str);
    list = vg_arena_strdup(req->arena, "");
    for (i = 0; i < n; i++)
        if (i == 0 || strcmp(bad[i], bad[i - 1]) != 0) /* a repeated name once */
            list = vg_arena_sprintf(req->arena, "%s%s%s", list, *list ? ", " : "", bad[i]);
    return vg_fail(err, VG_EINVAL,
                   "The requested fields either do not exist for the corresponding object or are "
                   "not searchable: %.300s. " STACKY_FIELDS_NOTE,
                   list);
}

static int stacky_invalid(vg_err_t *err, const char *value, const char *format)
{
    return vg_fail(err, VG_EINVAL, "'%.200s' value has an invalid format. It must be in %s format.",
                   value, format);
}

static int stacky_search_filter(req_t *req, stacky_reports_t *q, vg_err_t *err)
{
    static const char dt_format[] = "YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]";
    const char *id = req_arg(req, "id"), *start = req_arg(req, "period_start"),
               *end = req_arg(req, "period_end"), *created = req_arg(req, "created");

    q->created_min = q->created_max = SK_NO_TIME;
    q->name = req_arg(req, "name");
    if ((q->has_id = id != NULL) && stacky_parse_u64(id, &q->id) != 0)
        return stacky_invalid(err, id, "integer");
    if ((q->has_start = start != NULL) && stacky_parse_datetime(start, &q->start_us) != 0)
        return stacky_invalid(err, start, dt_format);
    if ((q->has_end = end != NULL) && stacky_parse_datetime(end, &q->end_us) != 0)
        return stacky_invalid(err, end, dt_format);
    if (created != NULL) {
        const char *s = created;
        int64_t days;

        if (stacky_parse_date(&s, &days) != 0 || *s != '\0')
            return stacky_invalid(err, created, "YYYY-MM-DD");
        /* strictly after that midnight and strictly before the next */
        q->created_min = days * STACKY_DAY_US + 1;
        q->created_max = (days + 1) * STACKY_DAY_US - 1;
    }
    return VG_OK;
}

int stacky_reports_search(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_reports_t q = {.a = req->arena, .descending = 1};
    int rc;

    if ((rc = stacky_search_fields(req, err)) != VG_OK ||
        (rc = stacky_search_filter(req, &q, err)) != VG_OK ||
        (rc = stacky_paging(req, &q.offset, &q.limit, err)) != VG_OK)
        return rc;
    if (q.limit > 0 && (rc = store_txn_run(req->store, stacky_reports_txn, &q, err)) != VG_OK)
        return rc;
    return resp_json(resp, 200, stacky_reports_json(&q, 1));
}

/* ---- GET /stacky/report/<id>/ (§4.18) ---- */

typedef struct {
    vg_arena_t *a;
    uint64_t id;
    sk_report_t r;
} stacky_report_t;

static int stacky_report_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    stacky_report_t *p = arg;

    return sk_report_get(st, txn, p->a, p->id, &p->r, err);
}

int stacky_report(req_t *req, resp_t *resp, vg_err_t *err)
{
    stacky_report_t p = {.a = req->arena};
    int rc;

    if ((rc = stacky_path_id(req, "id", &p.id, err)) != VG_OK)
        return rc;
    rc = p.id == UINT64_MAX ? VG_ENOTFOUND : store_txn_run(req->store, stacky_report_txn, &p, err);
    if (rc == VG_ENOTFOUND)
        return vg_fail(err, VG_ENOTFOUND, "Report %s not found", req_param(req, "id"));
    if (rc != VG_OK)
        return rc;
    return resp_text(resp, 200, "application/json", p.r.json, p.r.json_len);
}
