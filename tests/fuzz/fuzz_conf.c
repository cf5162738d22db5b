/* tests/fuzz/fuzz_conf.c - libFuzzer target for the INI parser: any text must give VG_OK or a
 * VG_EINVAL with a message, and never crash or leak.
 * SPDX-License-Identifier: MIT */
#include "conf/conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    vg_err_t err = {0};
    conf_t c;

    memcpy(text, data, size);
    text[size] = '\0';
    conf_defaults(&c);
    if (conf_parse(&c, "fuzz", text, &err) != VG_OK && err.msg[0] == '\0')
        abort(); /* every refusal says why */
    conf_fini(&c);
    free(text);
    return 0;
}
