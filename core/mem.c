/* core/mem.c - aborting allocators (lighttpd's ck_malloc idea).
 * SPDX-License-Identifier: MIT */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vg_mem_oom(size_t n)
{
    fprintf(stderr, "vigil: out of memory allocating %zu bytes\n", n);
    abort();
}

void *vg_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        vg_mem_oom(n);
    return p;
}

void *vg_xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

    if (p == NULL)
        vg_mem_oom(nmemb * size);
    return p;
}

void *vg_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        vg_mem_oom(n);
    return q;
}

char *vg_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = vg_xmalloc(n);

    memcpy(p, s, n);
    return p;
}
