/* tests/fuzz/fuzz_expo.c - libFuzzer target for the exposition parser: the first byte picks text
 * 0.0.4 or OpenMetrics, the rest is the body (not NUL-terminated, so over-reads show). Any input
 * must give VG_OK with well-formed samples, or VG_EINVAL with a message and one item; the same
 * bytes as a Content-Type must give -1, 0 or 1.
 * SPDX-License-Identifier: MIT */
#include "ingest/expo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vg_err_t err = {0};
    vg_arena_t a;
    ing_batch_t b;
    char *ct;
    int rc;

    if (size == 0)
        return 0;
    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    rc = ing_expo_parse(&b, (const char *)data + 1, size - 1, data[0] & 1, 42, &err);
    if (rc == VG_OK) {
        for (size_t i = 0; i < b.nsamples; i++) {
            const ing_sample_t *s = &b.samples[i];
            int named = 0;

            for (size_t j = 0; j < s->nlabels; j++) {
                if (s->labels[j].name[0] == '\0')
                    abort();
                named |= strcmp(s->labels[j].name, "__name__") == 0;
            }
            if (!named)
                abort();
        }
    } else if (rc != VG_EINVAL || err.msg[0] == '\0' || err.nitems != 1) {
        abort(); /* every refusal says why, once */
    }
    vg_arena_fini(&a);

    ct = malloc(size);
    memcpy(ct, data + 1, size - 1);
    ct[size - 1] = '\0';
    rc = ing_expo_format_from_content_type(ct);
    if (rc < -1 || rc > 1)
        abort();
    free(ct);
    return 0;
}
