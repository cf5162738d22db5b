/* ingest/expo.h - the Prometheus text exposition format (0.0.4) and OpenMetrics 1.0 text, as
 * POSTed to the import endpoint: one pass over the body into an ing_batch_t, metadata included.
 * SPDX-License-Identifier: MIT */
#ifndef ING_EXPO_H
#define ING_EXPO_H

#include "core/err.h"
#include "ingest/batch.h"

#include <stddef.h>
#include <stdint.h>

/* The bits every NaN value read from text gets: Prometheus's value.NormalNaN. It is not the
 * staleness marker (ING_STALE_BITS), which only the value token `stale` produces. */
#define ING_EXPO_NAN_BITS 0x7ff8000000000001ull

/* Parses body[0..len) (need not be NUL-terminated) into b: every sample line becomes a sample
 * whose labels include __name__, and # TYPE / # HELP (and, in OpenMetrics, # UNIT) lines fill
 * ing_batch_meta(b, family) with arena strings ("untyped" is stored as "unknown").
 *
 * openmetrics = 0: text format 0.0.4. `name{l="v",...} value [timestamp]`; the timestamp is an
 * int64 in milliseconds, now_ms when absent. Blank lines, leading and trailing blanks and tabs
 * are allowed; `#` lines other than HELP and TYPE are comments. As in prometheus/common expfmt,
 * a family gets at most one HELP and one TYPE line, and a TYPE line after the family's samples
 * is an error (a sample's family is its own name, or for _sum/_count/_bucket the declared
 * summary or histogram it belongs to).
 * openmetrics = 1: OpenMetrics 1.0. Timestamps are in seconds with an optional fraction
 * and become milliseconds (truncated toward zero, as Prometheus does); exemplars after ` # ` are
 * checked and dropped; the body must end with `# EOF` (one newline may follow, nothing else).
 * This parser is more lenient than the OpenMetrics ABNF: it takes blank lines, extra blanks and
 * `#` comments there too.
 *
 * In both, a value is a float (strtod syntax without hex, as Go's strconv.ParseFloat takes it),
 * `NaN` (stored with ING_EXPO_NAN_BITS), `Inf`/`+Inf`/`-Inf`, or, as vigil's documented
 * extension, the case-sensitive token `stale`, stored as ing_stale_nan(). Metric names are
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; label values and help texts
 * take the escapes \\ \" \n and must be UTF-8 without NUL. Timestamps are never range-checked.
 *
 * Returns VG_OK, or VG_EINVAL at the first bad line: err->msg is "text format parsing error in
 * line N: <problem>" in expfmt's words, and one item (title "text format parsing error", detail
 * <problem>, source "line N") is added to err in b's arena. On failure b keeps the samples of the
 * lines before the bad one: the caller discards the batch. */
int ing_expo_parse(ing_batch_t *b, const char *body, size_t len, int openmetrics, int64_t now_ms,
                   vg_err_t *err);

/* Picks the format for a Content-Type header value (NULL or empty = absent): returns 1 for
 * application/openmetrics-text with any parameters, 0 for text/plain without a version parameter
 * or with version=0.0.4 (other parameters are ignored), and for an absent header; -1 for anything
 * else. Media type and parameter names are case-insensitive. */
int ing_expo_format_from_content_type(const char *ct);

#endif
