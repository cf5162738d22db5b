/* ingest/remote.c - remote write decoding: snappy into the arena, protobuf-c unpacking with an
 * arena allocator (nothing to free on any path), then samples and metadata into the batch.
 * SPDX-License-Identifier: MIT */
#include "remote.h"

#include "ingest/remote.pb-c.h"

#include <snappy-c.h>
#include <string.h>

static void *ing_remote_alloc(void *data, size_t size)
{
    return vg_arena_alloc(data, size ? size : 1);
}

static void ing_remote_free(void *data, void *p)
{
    (void)data;
    (void)p; /* the arena releases everything at its reset */
}

static const char *ing_remote_type(int t)
{
    static const char *const words[] = {"unknown",        "counter", "gauge", "histogram",
                                        "gaugehistogram", "summary", "info",  "stateset"};

    return t >= 0 && t < (int)(sizeof words / sizeof words[0]) ? words[t] : "unknown";
}

/* Writes the series's labels as {a="b", ...} for an error message. */
static const char *ing_remote_labels_text(vg_arena_t *a, const Vigil__Remote__TimeSeries *ts)
{
    char *s = vg_arena_strdup(a, "{");

    for (size_t i = 0; i < ts->n_labels; i++)
        s = vg_arena_sprintf(a, "%s%s%s=\"%s\"", s, i ? ", " : "", ts->labels[i]->name,
                             ts->labels[i]->value);
    return vg_arena_sprintf(a, "%s}", s);
}

static int ing_remote_series(ing_batch_t *b, const Vigil__Remote__TimeSeries *ts, vg_err_t *err)
{
    ing_label_t *ls = vg_arena_alloc(b->arena, (ts->n_labels ? ts->n_labels : 1) * sizeof *ls);
    size_t n = 0;
    int rc;

    if (ts->n_samples == 0)
        return VG_OK;
    for (size_t i = 0; i < ts->n_labels; i++)
        if (ts->labels[i]->value[0] != '\0')
            ls[n++] = (ing_label_t){ts->labels[i]->name, ts->labels[i]->value};
    for (size_t i = 0; i < ts->n_samples; i++) {
        const Vigil__Remote__Sample *s = ts->samples[i];

        rc = i == 0 ? ing_batch_add_sample(b, ls, n, s->timestamp, s->value, err)
                    : ing_batch_add_same(b, s->timestamp, s->value);
        if (rc < 0) {
            const char *why = vg_arena_strdup(b->arena, err->msg);

            return vg_fail(err, rc, "invalid labels %s: %s", ing_remote_labels_text(b->arena, ts),
                           why);
        }
    }
    return VG_OK;
}

int ing_remote_parse(ing_batch_t *b, const void *body, size_t len, size_t max_decoded,
                     vg_err_t *err)
{
    ProtobufCAllocator alloc = {ing_remote_alloc, ing_remote_free, b->arena};
    Vigil__Remote__WriteRequest *wr;
    size_t dlen;
    char *plain;
    int rc;

    if (snappy_uncompressed_length(body, len, &dlen) != SNAPPY_OK)
        return vg_fail(err, VG_EINVAL, "snappy: corrupt input");
    if (dlen > max_decoded)
        return vg_fail(err, VG_ETOOBIG,
                       "snappy: decoded body of %zu bytes exceeds the limit of %zu bytes", dlen,
                       max_decoded);
    plain = vg_arena_alloc(b->arena, dlen ? dlen : 1);
    if (snappy_uncompress(body, len, plain, &dlen) != SNAPPY_OK)
        return vg_fail(err, VG_EINVAL, "snappy: corrupt input");
    wr = vigil__remote__write_request__unpack(&alloc, dlen, (const uint8_t *)plain);
    if (wr == NULL)
        return vg_fail(err, VG_EINVAL,
                       "proto: cannot unmarshal WriteRequest: malformed or truncated message");
    for (size_t i = 0; i < wr->n_timeseries; i++)
        if ((rc = ing_remote_series(b, wr->timeseries[i], err)) < 0)
            return rc;
    for (size_t i = 0; i < wr->n_metadata; i++) {
        const Vigil__Remote__MetricMetadata *md = wr->metadata[i];
        ing_meta_t *m;

        if (md->metric_family_name[0] == '\0')
            continue;
        m = ing_batch_meta(b, md->metric_family_name);
        m->type = ing_remote_type(md->type);
        if (md->help[0] != '\0')
            m->help = md->help;
        if (md->unit[0] != '\0')
            m->unit = md->unit;
    }
    return VG_OK;
}
