/* tests/fuzz/fuzz_request.c - libFuzzer target for a whole request through fc_serve(): the
 * input's lines up to an empty line are FastCGI parameters ("NAME=value"), the rest is the
 * body. Covers parameter and query decoding, routing, body reading and error rendering; every
 * response must start with a Status line.
 * SPDX-License-Identifier: MIT */
#include "core/log.h"
#include "support/fake_req.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static conf_t conf;
    static int ready;
    char *text = malloc(size + 1), *p;
    const char *params[64];
    size_t n = 0;
    fc_worker_t w = {0};
    test_resp_t r;

    if (!ready) {
        conf_defaults(&conf);
        conf.fcgi_max_body_mb = 1;
        conf.fcgi_debug_routes = 1;
        vg_log_init("fuzz", LOG_EMERG); /* quiet */
        ready = 1;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (p = text; n < 63 && *p != '\0' && *p != '\n';) {
        char *nl = strchr(p, '\n');

        params[n++] = p;
        if (nl == NULL) {
            p += strlen(p);
            break;
        }
        *nl = '\0';
        p = nl + 1;
    }
    params[n] = NULL;
    if (*p == '\n')
        p++;
    w.conf = &conf;
    w.store_error = "no store while fuzzing";
    vg_arena_init(&w.arena, 0);
    test_serve(&w, params, p, size - (size_t)(p - text), &r);
    if (r.status < 200 || r.status > 599) /* every request gets a complete response */
        abort();
    test_resp_free(&r);
    vg_arena_fini(&w.arena);
    free(text);
    return 0;
}
