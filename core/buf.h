/* core/buf.h - growable byte buffer, always NUL-terminated, heap or arena backed.
 * SPDX-License-Identifier: MIT */
#ifndef VG_BUF_H
#define VG_BUF_H

#include "arena.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *p;
    size_t len, cap;
    vg_arena_t *arena; /* NULL: heap (vg_buf_fini frees); else grows in the arena */
} vg_buf_t;

/* Starts an empty buffer; with a == NULL it lives on the heap and needs vg_buf_fini. */
void vg_buf_init(vg_buf_t *b, vg_arena_t *a);
void vg_buf_fini(vg_buf_t *b);
/* Makes room for n more bytes. */
void vg_buf_reserve(vg_buf_t *b, size_t n);
void vg_buf_add(vg_buf_t *b, const void *p, size_t n);
void vg_buf_adds(vg_buf_t *b, const char *s);
void vg_buf_addc(vg_buf_t *b, char c);
void vg_buf_printf(vg_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
