/* core/digest.h - SHA-256 (libcrypto), for storing secrets such as appkeys only as
 * digests, base64 for the credentials of HTTP Basic auth, and random bytes for new keys and ids.
 * SPDX-License-Identifier: MIT */
#ifndef VG_DIGEST_H
#define VG_DIGEST_H

#include <stddef.h>

/* Writes the lowercase hex SHA-256 of p[0..n) and a NUL into out. */
void vg_sha256_hex(const void *p, size_t n, char out[65]);

/* Fills p[0..n) from the kernel's random source (getrandom), retrying short reads. */
void vg_random_bytes(void *p, size_t n);
/* Decodes standard base64 (RFC 4648 alphabet, '=' padding required) into out, which holds cap
 * bytes (len / 4 * 3 suffice). Returns the decoded length, or -1 for bad input or too small an
 * out. */
long vg_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap);

#endif
