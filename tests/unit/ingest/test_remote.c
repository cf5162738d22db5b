/* tests/unit/ingest/test_remote.c - ing_remote_parse(): WriteRequests built with the generated
 * packer and snappy come back as the batch they describe (labels sorted, empty values dropped,
 * special floats and negative timestamps exact, metadata words); unknown fields are skipped; a
 * corrupt, truncated, oversized or unnamed body is refused with its message.
 * SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/remote.h"
#include "ingest/remote.pb-c.h"
#include "support/bits.h"

#include <math.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err;
} test_rw_t;

static int test_rw_setup(void **state)
{
    test_rw_t *t = calloc(1, sizeof *t);

    vg_arena_init(&t->a, 0);
    ing_batch_init(&t->b, &t->a);
    *state = t;
    return 0;
}

static int test_rw_teardown(void **state)
{
    test_rw_t *t = *state;

    vg_arena_fini(&t->a);
    free(t);
    return 0;
}

/* Snappy-compresses raw[0..len) into a malloc'd buffer. */
static char *test_rw_snappy(const void *raw, size_t len, size_t *out_len)
{
    size_t cap = snappy_max_compressed_length(len);
    char *out = malloc(cap);

    assert_int_equal(snappy_compress(raw, len, out, &cap), SNAPPY_OK);
    *out_len = cap;
    return out;
}

/* Packs wr into a malloc'd buffer. */
static uint8_t *test_rw_pack(const Vigil__Remote__WriteRequest *wr, size_t *len)
{
    size_t n = vigil__remote__write_request__get_packed_size(wr);
    uint8_t *raw = malloc(n + 1);

    *len = vigil__remote__write_request__pack(wr, raw);
    assert_int_equal(*len, n);
    return raw;
}

static int test_rw_parse(test_rw_t *t, const void *raw, size_t len, size_t max)
{
    size_t clen;
    char *c = test_rw_snappy(raw, len, &clen);
    int rc = ing_remote_parse(&t->b, c, clen, max, &t->err);

    free(c);
    return rc;
}

static void test_rw_round_trip(void **state)
{
    test_rw_t *t = *state;
    Vigil__Remote__Label l[5];
    Vigil__Remote__Label *la[] = {&l[0], &l[1], &l[2]}, *lb[] = {&l[3], &l[4]};
    Vigil__Remote__Sample s[5];
    Vigil__Remote__Sample *sa[] = {&s[0], &s[1], &s[2]}, *sb[] = {&s[3], &s[4]};
    Vigil__Remote__TimeSeries ts[2];
    Vigil__Remote__TimeSeries *tsp[] = {&ts[0], &ts[1]};
    Vigil__Remote__MetricMetadata md;
    Vigil__Remote__MetricMetadata *mdp[] = {&md};
    Vigil__Remote__WriteRequest wr = VIGIL__REMOTE__WRITE_REQUEST__INIT;
    size_t len;
    uint8_t *raw;

    for (int i = 0; i < 5; i++) {
        vigil__remote__label__init(&l[i]);
        vigil__remote__sample__init(&s[i]);
    }
    /* labels out of order and one with an empty value */
    l[0].name = "zone", l[0].value = "eu";
    l[1].name = "gone", l[1].value = "";
    l[2].name = "__name__", l[2].value = "rw_a";
    l[3].name = "__name__", l[3].value = "rw_b";
    l[4].name = "job", l[4].value = "j";
    s[0].timestamp = -5000, s[0].value = 1.5;
    s[1].timestamp = 0, s[1].value = ing_stale_nan();
    s[2].timestamp = INT64_MAX, s[2].value = -INFINITY;
    s[3].timestamp = 1700000000000, s[3].value = NAN;
    s[4].timestamp = 1, s[4].value = 0.25;
    vigil__remote__time_series__init(&ts[0]);
    vigil__remote__time_series__init(&ts[1]);
    ts[0].n_labels = 3, ts[0].labels = la, ts[0].n_samples = 3, ts[0].samples = sa;
    ts[1].n_labels = 2, ts[1].labels = lb, ts[1].n_samples = 2, ts[1].samples = sb;
    vigil__remote__metric_metadata__init(&md);
    md.type = VIGIL__REMOTE__METRIC_METADATA__METRIC_TYPE__SUMMARY;
    md.metric_family_name = "rw_a", md.help = "An \"a\".", md.unit = "";
    wr.n_timeseries = 2, wr.timeseries = tsp, wr.n_metadata = 1, wr.metadata = mdp;
    raw = test_rw_pack(&wr, &len);
    assert_int_equal(test_rw_parse(t, raw, len, 1 << 20), VG_OK);
    free(raw);

    assert_int_equal(t->b.nsamples, 5);
    for (int i = 0; i < 3; i++) {
        const ing_sample_t *x = &t->b.samples[i];

        assert_int_equal(x->nlabels, 2);
        assert_string_equal(x->labels[0].name, "__name__");
        assert_string_equal(x->labels[0].value, "rw_a");
        assert_string_equal(x->labels[1].name, "zone");
        assert_int_equal(x->t_ms, s[i].timestamp);
        assert_true(test_bits(x->v) == test_bits(s[i].value));
    }
    assert_true(ing_is_stale(t->b.samples[1].v));
    assert_int_equal(t->b.samples[3].nlabels, 2);
    assert_string_equal(t->b.samples[3].labels[1].value, "j");
    assert_true(t->b.samples[4].v == 0.25);
    assert_int_equal(t->b.nmeta, 1);
    assert_string_equal(t->b.meta[0].metric, "rw_a");
    assert_string_equal(t->b.meta[0].type, "summary");
    assert_string_equal(t->b.meta[0].help, "An \"a\".");
    assert_null(t->b.meta[0].unit);
}

/* A TimeSeries with an exemplar (field 3) and a native histogram (field 4) beside its sample:
 * both are read past. Hand-written wire bytes. */
static void test_rw_unknown_fields(void **state)
{
    test_rw_t *t = *state;
    uint8_t raw[128];
    size_t n = 0;
    /* label __name__="m" */
    const uint8_t label[] = {0x0a, 0x0d, 0x0a, 0x08, '_',  '_',  'n', 'a',
                             'm',  'e',  '_',  '_',  0x12, 0x01, 'm'};
    /* sample value 2.0 at t=7 */
    const uint8_t sample[] = {0x12, 0x0b, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x10, 0x07};
    /* exemplar: a message with one varint field; histogram: an empty message */
    const uint8_t exemplar[] = {0x1a, 0x02, 0x10, 0x05}, histogram[] = {0x22, 0x00};
    size_t body = sizeof label + sizeof sample + sizeof exemplar + sizeof histogram;

    raw[n++] = 0x0a; /* WriteRequest.timeseries */
    raw[n++] = (uint8_t)body;
    memcpy(raw + n, label, sizeof label), n += sizeof label;
    memcpy(raw + n, exemplar, sizeof exemplar), n += sizeof exemplar;
    memcpy(raw + n, sample, sizeof sample), n += sizeof sample;
    memcpy(raw + n, histogram, sizeof histogram), n += sizeof histogram;
    assert_int_equal(test_rw_parse(t, raw, n, 1 << 20), VG_OK);
    assert_int_equal(t->b.nsamples, 1);
    assert_string_equal(t->b.samples[0].labels[0].value, "m");
    assert_int_equal(t->b.samples[0].t_ms, 7);
    assert_true(t->b.samples[0].v == 2.0);
}

static void test_rw_refusals(void **state)
{
    test_rw_t *t = *state;
    Vigil__Remote__Label l[3];
    Vigil__Remote__Label *la[] = {&l[0], &l[1], &l[2]};
    Vigil__Remote__Sample s, *sp[] = {&s};
    Vigil__Remote__TimeSeries ts, *tsp[] = {&ts};
    Vigil__Remote__WriteRequest wr = VIGIL__REMOTE__WRITE_REQUEST__INIT;
    size_t len, clen;
    uint8_t *raw;
    char *c;

    /* not snappy, and nothing at all */
    assert_int_equal(ing_remote_parse(&t->b, "\xff\xff\xff\xff\xff\xff", 6, 1 << 20, &t->err),
                     VG_EINVAL);
    assert_string_equal(t->err.msg, "snappy: corrupt input");
    assert_int_equal(ing_remote_parse(&t->b, "", 0, 1 << 20, &t->err), VG_EINVAL);
    assert_string_equal(t->err.msg, "snappy: corrupt input");

    for (int i = 0; i < 3; i++)
        vigil__remote__label__init(&l[i]);
    vigil__remote__sample__init(&s);
    vigil__remote__time_series__init(&ts);
    l[0].name = "job", l[0].value = "a";
    l[1].name = "__name__", l[1].value = "m";
    l[2].name = "job", l[2].value = "b";
    ts.n_labels = 3, ts.labels = la, ts.n_samples = 1, ts.samples = sp;
    wr.n_timeseries = 1, wr.timeseries = tsp;
    raw = test_rw_pack(&wr, &len);

    /* valid snappy around a protobuf cut short */
    assert_int_equal(test_rw_parse(t, raw, len - 2, 1 << 20), VG_EINVAL);
    assert_string_equal(t->err.msg,
                        "proto: cannot unmarshal WriteRequest: malformed or truncated message");
    /* a snappy block that announces more than the limit */
    c = test_rw_snappy(raw, len, &clen);
    assert_int_equal(ing_remote_parse(&t->b, c, clen, len - 1, &t->err), VG_ETOOBIG);
    free(c);
    /* a repeated label name */
    assert_int_equal(test_rw_parse(t, raw, len, 1 << 20), VG_EINVAL);
    assert_string_equal(t->err.msg, "invalid labels {job=\"a\", __name__=\"m\", job=\"b\"}: "
                                    "duplicate label name \"job\"");
    free(raw);
    /* no metric name */
    ts.n_labels = 1;
    raw = test_rw_pack(&wr, &len);
    assert_int_equal(test_rw_parse(t, raw, len, 1 << 20), VG_EINVAL);
    assert_string_equal(t->err.msg, "invalid labels {job=\"a\"}: sample without a metric name");
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rw_round_trip, test_rw_setup, test_rw_teardown),
        cmocka_unit_test_setup_teardown(test_rw_unknown_fields, test_rw_setup, test_rw_teardown),
        cmocka_unit_test_setup_teardown(test_rw_refusals, test_rw_setup, test_rw_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
