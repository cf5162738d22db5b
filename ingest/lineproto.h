/* ingest/lineproto.h - InfluxDB 1.x line protocol (specs/kapacitor.md §3.1) into batch points,
 * and points into samples (DESIGN.md, "Data model"). Used by the Kapacitor /write handler and
 * anything else that accepts line protocol.
 * SPDX-License-Identifier: MIT */
#ifndef ING_LINEPROTO_H
#define ING_LINEPROTO_H

#include "batch.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* Parses the whole body (len bytes, NUL bytes allowed) into points appended to b, one per line,
 * with upstream's rules: measurement escapes `\,` `\ `; tag keys, tag values and field keys
 * escapes `\,` `\ ` `\=`; string values `\"` `\\` (other backslashes stay as written); floats,
 * `42i`, `42u` (uint64), booleans t T true True TRUE f F false False FALSE; an optional
 * integer timestamp in precision units. Lines end at a '\n' outside a string value, a trailing
 * '\r' is dropped (CRLF bodies); blank lines and lines whose first non-blank byte is '#' are
 * skipped.
 *
 * precision: "u", "ms", "s", "m", "h"; NULL, "", "n", "ns" and any other value mean
 * nanoseconds, as upstream does (the spec: "Unrecognised values silently behave as n"), so it
 * never fails. A line without a timestamp gets now_ns truncated (floored) to the precision.
 *
 * Each point lives in b's arena: strings are unescaped and NUL-terminated, tags keep the order
 * written (duplicate tag keys are an error), fields keep the order written with a repeated field
 * key keeping its last value (upstream's field map does the same; the spec is silent).
 *
 * Returns VG_OK, or VG_EINVAL when any line is bad. Every line is parsed, and each bad one adds
 * one item to err (in b's arena): title = the reason ("missing fields"), detail = upstream's text
 * "unable to parse '<line>': <reason>" (the line without leading blanks and line end), source =
 * "line N" (1-based line of the body where it starts). err->msg is the first item's detail
 * (cut at sizeof err->msg). The write endpoint's 400 body (spec §3 step 2) is every item's
 * detail joined with "\n", followed by one "\n": the renderer builds it from the items, not from
 * msg. On error b may already hold the points of the lines before the first bad one (none are
 * added after it): the caller discards b, since the spec writes nothing then.
 *
 * Reasons are upstream's words: missing measurement, missing fields, missing tag key, missing
 * tag value, invalid tag format, duplicate tags, missing field key, missing field value,
 * invalid field format, unbalanced quotes, invalid number, invalid float, invalid boolean,
 * "unable to parse integer N: strconv.ParseInt: parsing "N": value out of range" (the same with
 * unsigned / ParseUint), bad timestamp, "strconv.ParseInt: parsing "T": value out of range",
 * "time outside range -9223372036854775806 - 9223372036854775806", point is invalid (bytes after
 * the timestamp), "max key length exceeded: N > 65535". Where upstream accepts nonsense that it
 * cannot store, vigil refuses: bytes after a closing quote before the next ',' or ' ' and an
 * empty field key after a tab are "invalid field format" / "missing field key", and a NUL byte in
 * a name, tag value or string value is "invalid NUL byte" (names are C strings here). */
int ing_lp_parse(ing_batch_t *b, const char *body, size_t len, const char *precision,
                 int64_t now_ns, vg_err_t *err);

/* Appends one sample per numeric field of every point in b: the series is named
 * "<measurement>_<field>", or "<measurement>" for the field "value"; the tags become labels;
 * floats, integers and unsigned integers become float samples (large integers round), booleans
 * 1 or 0; string fields make no sample. The timestamp is t_ns / 1e6 floored (also below 0).
 * A tag named "__name__" is dropped: the name comes from measurement and field. Names are kept
 * as written (dots included). Returns VG_OK or ing_batch_add_sample's error (not expected for
 * points from ing_lp_parse). */
int ing_lp_to_samples(ing_batch_t *b, vg_err_t *err);

#endif
