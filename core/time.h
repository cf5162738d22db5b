/* core/time.h - clocks and RFC 3339. "Now" comes from VIGIL_FAKE_NOW (RFC 3339) when set, so
 * tests can pin every clock-dependent answer; the monotonic clock is never faked.
 * SPDX-License-Identifier: MIT */
#ifndef VG_TIME_H
#define VG_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock milliseconds since the epoch (or VIGIL_FAKE_NOW's value). */
int64_t vg_now_ms(void);
/* Wall-clock nanoseconds since the epoch (VIGIL_FAKE_NOW's value when set, in whole ms). */
int64_t vg_now_ns(void);
/* Monotonic microseconds, for durations. */
int64_t vg_mono_us(void);
/* Parses an RFC 3339 timestamp ("2024-01-02T03:04:05.123Z", "...+02:00") into epoch ms.
 * Returns 0, or -1 when s is not one. */
int vg_rfc3339_parse(const char *s, int64_t *ms);
/* Parses a time as the Prometheus API takes it: unix seconds with an optional fraction (rounded
 * to milliseconds) or RFC 3339. Returns 0, or -1 when s is neither. */
int vg_time_parse(const char *s, int64_t *ms);
/* Parses a Prometheus duration (model.ParseDuration): units y w d h m s ms, each at most once,
 * largest first, e.g. "1h30m", "5m", "100ms", or "0". Returns 0 and *ms, or -1 when s is not
 * one or it overflows. */
int vg_duration_parse(const char *s, int64_t *ms);
/* Writes a duration as Prometheus prints one (model.Duration's String: "1h30m", "2d", "0s"). */
void vg_duration_format(int64_t ms, char *out, size_t n);
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (the millisecond part only when non-zero). */
void vg_rfc3339_format(int64_t ms, char *out, size_t n);

#endif
