/* core/gzip.h - gzip request bodies (Content-Encoding: gzip) inflated into the arena.
 * SPDX-License-Identifier: MIT */
#ifndef VG_GZIP_H
#define VG_GZIP_H

#include "core/arena.h"
#include "core/err.h"

#include <stddef.h>

/* Inflates the gzip stream in[0..len) (concatenated members allowed) into a NUL-terminated
 * arena buffer. Fails with VG_ETOOBIG once the output passes max bytes, and with VG_EINVAL in
 * the words Go's compress/gzip uses, which upstream servers answer with: "gzip: invalid
 * header", "unexpected EOF" (truncated stream), "flate: corrupt input before offset N",
 * "gzip: invalid checksum". */
int vg_gunzip(vg_arena_t *a, const void *in, size_t len, size_t max, char **out, size_t *outlen,
              vg_err_t *err);

#endif
