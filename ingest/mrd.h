/* ingest/mrd.h - the Concertim metric reporting daemon's request bodies, decoded as upstream's
 * Go server decodes them (../shared/specs/concertim.md §3.2, §3.5, §5.1): a metric report into
 * a validated mrd_report_t with its canonical value, the data-source map into device ids, and
 * the historical token request. Pure functions: no store, everything in the caller's arena.
 * SPDX-License-Identifier: MIT */
#ifndef ING_MRD_H
#define ING_MRD_H

#include "core/arena.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    MRD_T_STRING,
    MRD_T_INT8,
    MRD_T_UINT8,
    MRD_T_INT16,
    MRD_T_UINT16,
    MRD_T_INT32,
    MRD_T_UINT32,
    MRD_T_FLOAT,
    MRD_T_DOUBLE,
    MRD_T_NTYPES
} mrd_type_t;

typedef enum {
    MRD_S_ZERO,
    MRD_S_POSITIVE,
    MRD_S_NEGATIVE,
    MRD_S_BOTH,
    MRD_S_DERIVATIVE,
    MRD_S_NSLOPES
} mrd_slope_t;

/* "string", "int8", ... and "zero", "positive", ... in enum order (the wire names). */
extern const char *const mrd_type_names[MRD_T_NTYPES];
extern const char *const mrd_slope_names[MRD_S_NSLOPES];

/* err->subcode of mrd_report_parse's failures: the renderer's 400 and 422 */
#define MRD_SUB_DECODE  0x6d7264 /* err->msg is Go's decoder message ("EOF", ...): 400 */
#define MRD_SUB_INVALID 0x6d7265 /* err->items are the failures (title, detail, source): 422 */

/* One valid report. */
typedef struct {
    const char *name;  /* as sent (not trimmed) */
    const char *value; /* canonical (§3.2.2): the string as sent; float/double with exactly 6
                          decimals ("20.123400"); integer types in decimal with their sign */
    double number;     /* the numeric value (0 for MRD_T_STRING) */
    mrd_type_t type;
    mrd_slope_t slope;
    const char *units; /* "" when absent */
    int64_t ttl_s;     /* >= 1 */
} mrd_report_t;

/* Decodes and validates a PUT /{device}/metrics body (body[0..len), not NUL-terminated) as
 * §3.2 says, byte for byte in its messages: VG_OK with *out filled (strings in a);
 * VG_EINVAL with subcode MRD_SUB_DECODE and Go's message for what does not decode;
 * VG_EINVAL with subcode MRD_SUB_INVALID and one err item per failing key (in the order name,
 * value, units, type, slope, ttl, then validtype) for what does not validate. */
int mrd_report_parse(const char *body, size_t len, vg_arena_t *a, mrd_report_t *out, vg_err_t *err);

/* The nature of a metric of this type and slope: "string_and_time", "constant" or
 * "volatile" (§3.3). */
const char *mrd_nature(mrd_type_t type, mrd_slope_t slope);

/* Parses a data-source map ({"grid":{"cluster":{"host":"device id"}}}, §5.1) into its device ids
 * (every string value at the third level; duplicates kept once), in a. VG_EINVAL with a reason
 * for anything else. */
int mrd_dsm_parse(const char *json, size_t len, vg_arena_t *a, const char ***ids, size_t *n,
                  vg_err_t *err);

/* Decodes the historical POST /token body ({"expires_in": <int nanoseconds>}, §3.5) with the
 * same decoder rules: *expires_s is the validity in whole seconds (24 h when missing or 0).
 * Errors as mrd_report_parse (subcode MRD_SUB_DECODE). */
int mrd_token_request_parse(const char *body, size_t len, int64_t *expires_s, vg_err_t *err);

#endif
