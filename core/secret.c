/* core/secret.c - see secret.h.
 * SPDX-License-Identifier: MIT */
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t vg_secret_copy(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);

    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    return n;
}

size_t vg_concertim_secret(const conf_t *c, char *out, size_t cap, const char **where)
{
    const char *env = getenv("JWT_SECRET"), *file = getenv("JWT_SECRET_FILE");
    size_t n;
    FILE *f;

    *where = "[concertim] secret";
    if (c->concertim_secret != NULL && *c->concertim_secret)
        return vg_secret_copy(c->concertim_secret, out, cap);
    *where = "$JWT_SECRET";
    if (env != NULL && *env)
        return vg_secret_copy(env, out, cap);
    if (file == NULL || *file == '\0')
        file = c->concertim_secret_file;
    *where = file != NULL && *file ? file : "[concertim] secret_file";
    if (file == NULL || *file == '\0' || (f = fopen(file, "rb")) == NULL)
        return 0;
    n = fread(out, 1, cap - 1, f);
    fclose(f);
    while (n > 0 && out[n - 1] == '\n')
        n--;
    return n;
}
