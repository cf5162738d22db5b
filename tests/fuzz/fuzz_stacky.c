/* tests/fuzz/fuzz_stacky.c - libFuzzer target for the StackTach ingest path: the input is split
 * by sk_body_split() both ways (whole values and per line) and every part goes through
 * sk_msg_parse() with the table inferred and with each table given. A message either parses
 * into fields whose time prints and reads back the same, or is refused with VG_EINVAL and a
 * message; the input as a string also goes through sk_time_parse() and the §3.3 checks, and its
 * first bytes through the duration formats. Never a crash, a leak or an overrun.
 * SPDX-License-Identifier: MIT */
#include "ingest/stacky.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fuzz_sk_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A time prints in under 40 bytes and, when it is a §1.4 time, reads back unchanged. */
static void fuzz_sk_check_time(int64_t us)
{
    char buf[SK_FMT_MAX];
    int64_t back;

    if (us == SK_NO_TIME)
        return;
    if (strlen(sk_fmt_date(buf, us)) >= 40 || strlen(sk_fmt_time(buf, us)) >= 40)
        abort();
    sk_fmt_when(buf, us);
    if (strlen(buf) >= 40 || sk_time_parse(buf, &back) != 0 || back != us)
        abort();
}

static void fuzz_sk_check_msg(const sk_msg_t *m, int table)
{
    if ((unsigned)m->table >= SK_NTABLES || (table >= 0 && (int)m->table != table))
        abort();
    if (m->routing_key == NULL || strlen(m->routing_key) > 50)
        abort();
    /* valid JSON holds no raw NUL byte, so the text is a C string of its length */
    if (m->json == NULL || strlen(m->json) != m->json_len || m->json[0] != '[')
        abort();
    if (m->publisher == NULL || m->event == NULL || m->service == NULL)
        abort();
    if (strncmp(m->publisher, m->service, strlen(m->service)) != 0)
        abort();
    if (m->host != NULL && m->host != m->publisher + strlen(m->service) + 1)
        abort();
    fuzz_sk_check_time(m->when_us);
    if (m->when_us == SK_NO_TIME)
        abort();
    fuzz_sk_check_time(m->launched_at_us);
    fuzz_sk_check_time(m->deleted_at_us);
    fuzz_sk_check_time(m->terminated_at_us);
    fuzz_sk_check_time(m->audit_begin_us);
    fuzz_sk_check_time(m->audit_end_us);
    fuzz_sk_check_time(m->created_at_us);
    fuzz_sk_check_time(m->image_deleted_at_us);
    for (size_t i = 0; i < m->nimages; i++) {
        fuzz_sk_check_time(m->images[i].created_at_us);
        fuzz_sk_check_time(m->images[i].deleted_at_us);
    }
}

static void fuzz_sk_parse(vg_arena_t *a, const sk_part_t *p, int table)
{
    sk_parse_opts_t o = {.table = table, .routing_key = NULL};
    sk_msg_t m;
    vg_err_t err = {0};
    int rc = sk_msg_parse(a, p->p, p->len, &o, &m, &err);

    if (rc == VG_OK)
        fuzz_sk_check_msg(&m, table);
    else if (rc != VG_EINVAL || err.code != VG_EINVAL || err.msg[0] == '\0')
        abort();
}

static void fuzz_sk_split(vg_arena_t *a, const char *body, size_t size, int ndjson)
{
    sk_part_t *parts;
    size_t n, line = 0;

    sk_body_split(a, body, size, ndjson, &parts, &n);
    for (size_t i = 0; i < n; i++) {
        const sk_part_t *p = &parts[i];

        if (p->len == 0 || p->p < body || p->p + p->len > body + size || p->line <= line)
            abort();
        if (fuzz_sk_space(p->p[0]) || fuzz_sk_space(p->p[p->len - 1]))
            abort();
        line = p->line;
        fuzz_sk_parse(a, p, -1);
        if (!ndjson)
            for (int t = 0; t < SK_NTABLES; t++)
                fuzz_sk_parse(a, p, t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char buf[SK_FMT_MAX];
    vg_arena_t a;
    int64_t us, v = 0;
    char *s;

    vg_arena_init(&a, 0);
    fuzz_sk_split(&a, body, size, 0);
    fuzz_sk_split(&a, body, size, 1);

    s = vg_arena_strndup(&a, body, size);
    if (sk_time_parse(s, &us) == 0)
        fuzz_sk_check_time(us);
    if (sk_uuid_like(s) && !sk_request_id_like(s))
        abort();

    memcpy(&v, data, size < sizeof v ? size : sizeof v);
    if (strlen(sk_fmt_dur_stored(buf, v)) >= 40 || strlen(sk_fmt_dur_int(buf, v)) >= 40 ||
        strlen(sk_fmt_sec_to_str(buf, v)) >= 40 || strlen(sk_fmt_when(buf, v)) >= 40)
        abort();
    {
        double d;

        memcpy(&d, &v, sizeof d);
        if (strlen(sk_fmt_dur_float(buf, d)) >= 40)
            abort();
    }
    vg_arena_fini(&a);
    return 0;
}
