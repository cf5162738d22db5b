/* core/secret.h - the Concertim JWT secret (specs/concertim.md §4.2), found where upstream looks:
 * [concertim] secret, else $JWT_SECRET (verbatim), else the file $JWT_SECRET_FILE or
 * [concertim] secret_file with trailing newlines removed.
 * SPDX-License-Identifier: MIT */
#ifndef VG_SECRET_H
#define VG_SECRET_H

#include "conf/conf.h"

#include <stddef.h>

#define VG_SECRET_MAX 4096

/* Fills out (cap bytes) with the secret and returns its length; 0 when there is none (then
 * *where names what was tried, for a message). */
size_t vg_concertim_secret(const conf_t *c, char *out, size_t cap, const char **where);

#endif
