/* core/mem.h - allocation that never returns NULL. Out of memory is not an input error: sizes
 * taken from input are checked against limits before allocating, so OOM here aborts.
 * SPDX-License-Identifier: MIT */
#ifndef VG_MEM_H
#define VG_MEM_H

#include <stddef.h>

void *vg_xmalloc(size_t n);
void *vg_xcalloc(size_t nmemb, size_t size);
void *vg_xrealloc(void *p, size_t n);
char *vg_xstrdup(const char *s);

#endif
