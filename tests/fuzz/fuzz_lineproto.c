/* tests/fuzz/fuzz_lineproto.c - libFuzzer target for ing_lp_parse(): the first byte picks the
 * precision, the rest is the body. Any body must parse into well-formed points that
 * ing_lp_to_samples() accepts, or be refused with one item per bad line; never crash or leak.
 * SPDX-License-Identifier: MIT */
#include "ingest/lineproto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_lp_check_points(const ing_batch_t *b)
{
    for (size_t p = 0; p < b->npoints; p++) {
        const ing_point_t *pt = &b->points[p];

        if (pt->measurement[0] == '\0' || pt->nfields == 0)
            abort();
        for (size_t i = 0; i < pt->ntags; i++)
            if (pt->tags[i].name[0] == '\0' || pt->tags[i].value[0] == '\0')
                abort();
        for (size_t i = 0; i < pt->nfields; i++) {
            if (pt->fields[i].key[0] == '\0')
                abort();
            for (size_t j = i + 1; j < pt->nfields; j++)
                if (strcmp(pt->fields[i].key, pt->fields[j].key) == 0)
                    abort(); /* a repeated key keeps only its last value */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *precisions[] = {NULL, "", "n", "u", "ms", "s", "m", "h"};
    vg_arena_t a;
    ing_batch_t b;
    vg_err_t err = {0};
    const char *prec = NULL;
    int rc;

    if (size > 0) {
        prec = precisions[data[0] % 8];
        data++;
        size--;
    }
    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    rc = ing_lp_parse(&b, (const char *)data, size, prec, INT64_C(1700000000123456789), &err);
    if (rc == VG_OK) {
        if (err.nitems != 0)
            abort();
        fuzz_lp_check_points(&b);
        if (ing_lp_to_samples(&b, &err) != VG_OK)
            abort(); /* points from the parser always make valid label sets */
    } else {
        if (rc != VG_EINVAL || err.code != VG_EINVAL || err.nitems == 0)
            abort(); /* every refusal lists its bad lines */
        if (strncmp(err.msg, "unable to parse '", 17) != 0)
            abort();
        for (size_t i = 0; i < err.nitems; i++)
            if (strncmp(err.items[i].detail, "unable to parse '", 17) != 0 ||
                err.items[i].title[0] == '\0' || err.items[i].source == NULL)
                abort();
    }
    vg_arena_fini(&a);
    return 0;
}
