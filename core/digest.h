/* core/digest.h - SHA-256 (libcrypto), for storing secrets such as appkeys only as digests.
 * SPDX-License-Identifier: MIT */
#ifndef VG_DIGEST_H
#define VG_DIGEST_H

#include <stddef.h>

/* Writes the lowercase hex SHA-256 of p[0..n) and a NUL into out. */
void vg_sha256_hex(const void *p, size_t n, char out[65]);

#endif
