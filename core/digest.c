/* core/digest.c - SHA-256 through OpenSSL's EVP interface.
 * SPDX-License-Identifier: MIT */
#include "digest.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

void vg_sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32) {
        fprintf(stderr, "vigil: SHA-256 failed\n");
        abort();
    }
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

long vg_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t pad = 0;
    int n;

    if (len == 0)
        return 0;
    if (len % 4 != 0 || len / 4 * 3 > cap || len > (size_t)INT32_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == '=') {
            /* padding only at the end, at most two */
            if (i < len - 2 || (i == len - 2 && in[len - 1] != '='))
                return -1;
            pad++;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/')) {
            return -1;
        }
    }
    n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0 || (size_t)n < pad)
        return -1;
    return (long)((size_t)n - pad);
}

void vg_random_bytes(void *p, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = getrandom((unsigned char *)p + got, n - got, 0);

        if (r > 0)
            got += (size_t)r;
    }
}
