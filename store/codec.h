/* store/codec.h - explicit big-endian key encoding, so cursor order is numeric order and no
 * struct padding ever reaches disk.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_CODEC_H
#define STORE_CODEC_H

#include <stdint.h>

static inline void store_codec_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static inline uint64_t store_codec_u64(const void *data)
{
    const unsigned char *p = data;
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static inline void store_codec_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static inline uint32_t store_codec_u32(const void *data)
{
    const unsigned char *p = data;

    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
