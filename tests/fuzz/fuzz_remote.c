/* tests/fuzz/fuzz_remote.c - libFuzzer target for remote write decoding. The first byte picks
 * whether the rest is handed over as it is (fuzzing the snappy layer) or snappy-compressed
 * first (fuzzing the protobuf layer behind it). Any input must give VG_OK with well-formed
 * samples, or a refusal with a message; never a crash, a leak or an over-read.
 * SPDX-License-Identifier: MIT */
#include "ingest/remote.h"

#include <snappy-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vg_err_t err = {0};
    vg_arena_t a;
    ing_batch_t b;
    char *body;
    size_t len;
    int rc;

    if (size == 0)
        return 0;
    if (data[0] & 1) {
        len = snappy_max_compressed_length(size - 1);
        body = malloc(len ? len : 1);
        if (snappy_compress((const char *)data + 1, size - 1, body, &len) != SNAPPY_OK)
            abort();
    } else {
        len = size - 1;
        body = malloc(len ? len : 1);
        memcpy(body, data + 1, len);
    }
    vg_arena_init(&a, 0);
    ing_batch_init(&b, &a);
    rc = ing_remote_parse(&b, body, len, 1 << 20, &err);
    if (rc == VG_OK) {
        for (size_t i = 0; i < b.nsamples; i++) {
            const ing_sample_t *s = &b.samples[i];
            int named = 0;

            for (size_t j = 0; j < s->nlabels; j++) {
                if (s->labels[j].name[0] == '\0' || s->labels[j].value[0] == '\0')
                    abort();
                if (j > 0 && strcmp(s->labels[j - 1].name, s->labels[j].name) >= 0)
                    abort(); /* sorted, unique */
                named |= strcmp(s->labels[j].name, "__name__") == 0;
            }
            if (!named)
                abort();
        }
    } else if ((rc != VG_EINVAL && rc != VG_ETOOBIG) || err.msg[0] == '\0') {
        abort();
    }
    vg_arena_fini(&a);
    free(body);
    return 0;
}
