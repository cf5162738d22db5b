/* core/arena.h - per-request region allocator. Everything a request allocates comes from one
 * arena that is reset after the response; deferred cleanups run at reset, last first (nginx's
 * pool cleanups). Never free() arena memory.
 * SPDX-License-Identifier: MIT */
#ifndef VG_ARENA_H
#define VG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct vg_arena_block vg_arena_block_t;
typedef struct vg_arena_defer vg_arena_defer_t;

typedef struct {
    vg_arena_block_t *head;   /* current block; older blocks follow */
    vg_arena_defer_t *defers; /* cleanups, newest first */
    size_t block_size;        /* size of ordinary blocks */
    size_t used;              /* bytes handed out since the last reset (for stats) */
} vg_arena_t;

/* Prepares an empty arena whose blocks are block_size bytes (0 = 16 KiB). */
void vg_arena_init(vg_arena_t *a, size_t block_size);
/* Runs the deferred cleanups and releases every block. The arena may be reused after init. */
void vg_arena_fini(vg_arena_t *a);
/* Runs the deferred cleanups and forgets all allocations, keeping the first block for reuse. */
void vg_arena_reset(vg_arena_t *a);

/* Returns n bytes aligned for any type, valid until the next reset. Aborts on OOM. */
void *vg_arena_alloc(vg_arena_t *a, size_t n);
/* As vg_arena_alloc, zero-filled. */
void *vg_arena_calloc(vg_arena_t *a, size_t n);
char *vg_arena_strdup(vg_arena_t *a, const char *s);
/* Copies n bytes of s and NUL-terminates them. */
char *vg_arena_strndup(vg_arena_t *a, const char *s, size_t n);
char *vg_arena_sprintf(vg_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *vg_arena_vsprintf(vg_arena_t *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* An array of n elements of size bytes at v with room for *cap, given room for one more: v
 * itself, or a copy twice as large (at least 16) in a, *cap updated. */
void *vg_arena_grow(vg_arena_t *a, void *v, size_t n, size_t *cap, size_t size);
/* Registers fn(p) to run at the next reset or fini (e.g. json_object_put for a tree). */
void vg_arena_defer(vg_arena_t *a, void (*fn)(void *), void *p);

#endif
