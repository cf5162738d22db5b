/* core/buf.c - vg_buf_t.
 * SPDX-License-Identifier: MIT */
#include "buf.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_buf_init(vg_buf_t *b, vg_arena_t *a)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->arena = a;
    vg_buf_reserve(b, 0);
}

void vg_buf_fini(vg_buf_t *b)
{
    if (b->arena == NULL)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void vg_buf_reserve(vg_buf_t *b, size_t n)
{
    size_t need = b->len + n + 1;
    size_t cap;

    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (b->arena == NULL) {
        b->p = vg_xrealloc(b->p, cap);
    } else {
        char *p = vg_arena_alloc(b->arena, cap);

        if (b->len)
            memcpy(p, b->p, b->len);
        b->p = p;
    }
    b->p[b->len] = '\0';
    b->cap = cap;
}

void vg_buf_add(vg_buf_t *b, const void *p, size_t n)
{
    vg_buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void vg_buf_adds(vg_buf_t *b, const char *s)
{
    vg_buf_add(b, s, strlen(s));
}

void vg_buf_addc(vg_buf_t *b, char c)
{
    vg_buf_add(b, &c, 1);
}

void vg_buf_printf(vg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        vg_buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}
