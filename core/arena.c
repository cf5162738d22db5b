/* core/arena.c - bump allocator over a chain of blocks; large requests get their own block.
 * SPDX-License-Identifier: MIT */
#include "arena.h"

#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define VG_ARENA_ALIGN   16
#define VG_ARENA_DEFAULT (16 * 1024)

struct vg_arena_block {
    vg_arena_block_t *next;
    size_t size; /* usable bytes in data */
    size_t off;  /* next free byte */
    _Alignas(VG_ARENA_ALIGN) unsigned char data[];
};

struct vg_arena_defer {
    vg_arena_defer_t *next;
    void (*fn)(void *);
    void *p;
};

void vg_arena_init(vg_arena_t *a, size_t block_size)
{
    memset(a, 0, sizeof *a);
    a->block_size = block_size ? block_size : VG_ARENA_DEFAULT;
}

static void vg_arena_run_defers(vg_arena_t *a)
{
    while (a->defers != NULL) {
        vg_arena_defer_t *d = a->defers;

        a->defers = d->next; /* unlink first: fn may allocate nothing, but must not see itself */
        d->fn(d->p);
    }
}

void vg_arena_fini(vg_arena_t *a)
{
    vg_arena_run_defers(a);
    while (a->head != NULL) {
        vg_arena_block_t *b = a->head;

        a->head = b->next;
        free(b);
    }
    a->used = 0;
}

void vg_arena_reset(vg_arena_t *a)
{
    vg_arena_block_t *keep = NULL;

    vg_arena_run_defers(a);
    /* keep the one ordinary-sized block so a steady request load does no malloc at all */
    while (a->head != NULL) {
        vg_arena_block_t *b = a->head;

        a->head = b->next;
        if (keep == NULL && b->size == a->block_size)
            keep = b;
        else
            free(b);
    }
    if (keep != NULL) {
        keep->next = NULL;
        keep->off = 0;
        a->head = keep;
    }
    a->used = 0;
}

static vg_arena_block_t *vg_arena_block_new(size_t size)
{
    vg_arena_block_t *b = vg_xmalloc(sizeof *b + size);

    b->next = NULL;
    b->size = size;
    b->off = 0;
    return b;
}

void *vg_arena_alloc(vg_arena_t *a, size_t n)
{
    vg_arena_block_t *b = a->head;
    size_t need = (n + VG_ARENA_ALIGN - 1) & ~(size_t)(VG_ARENA_ALIGN - 1);

    if (need < n) { /* wrapped around: no such allocation can succeed */
        fprintf(stderr, "vigil: arena allocation of %zu bytes overflows\n", n);
        abort();
    }
    if (need == 0)
        need = VG_ARENA_ALIGN;
    if (b == NULL || b->size - b->off < need) {
        if (need > a->block_size / 4) {
            /* big allocation: its own block, linked behind the current one so the current
             * block's free space stays usable */
            vg_arena_block_t *big = vg_arena_block_new(need);

            if (b == NULL) {
                a->head = big;
            } else {
                big->next = b->next;
                b->next = big;
            }
            big->off = need;
            a->used += need;
            return big->data;
        }
        b = vg_arena_block_new(a->block_size);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->off;

    b->off += need;
    a->used += need;
    return p;
}

void *vg_arena_calloc(vg_arena_t *a, size_t n)
{
    void *p = vg_arena_alloc(a, n);

    memset(p, 0, n);
    return p;
}

char *vg_arena_strndup(vg_arena_t *a, const char *s, size_t n)
{
    char *p = vg_arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *vg_arena_strdup(vg_arena_t *a, const char *s)
{
    return vg_arena_strndup(a, s, strlen(s));
}

char *vg_arena_vsprintf(vg_arena_t *a, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    char *p;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return vg_arena_strdup(a, "");
    p = vg_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *vg_arena_sprintf(vg_arena_t *a, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = vg_arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void vg_arena_defer(vg_arena_t *a, void (*fn)(void *), void *p)
{
    vg_arena_defer_t *d = vg_arena_alloc(a, sizeof *d);

    d->fn = fn;
    d->p = p;
    d->next = a->defers;
    a->defers = d;
}

void *vg_arena_grow(vg_arena_t *a, void *v, size_t n, size_t *cap, size_t size)
{
    void *nv;

    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 16;
    nv = vg_arena_alloc(a, *cap * size);
    if (n > 0)
        memcpy(nv, v, n * size);
    return nv;
}
