/* ingest/stacky.h - StackTach notifications (../shared/specs/stacktach.md §1): splitting an
 * ingest body into messages, parsing one message into the fields StackTach extracts (§1.4-1.7
 * plus what usage and reports need), and the text formats stacky answers use (§3.6-3.8).
 * Pure functions: no store, everything in the caller's arena.
 * SPDX-License-Identifier: MIT */
#ifndef ING_STACKY_H
#define ING_STACKY_H

#include "core/arena.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* "no time": an absent, empty or unparseable date */
#define SK_NO_TIME INT64_MIN

/* image_type null (§1.6: a glance error's payload is a string). Only the sign bit is set, so
 * every test of the §1.5 bits reads it as no bits. */
#define SK_NULL_IMAGE_TYPE INT64_MIN

/* The raw tables (the "exchange"), each with its own id sequence. */
typedef enum { SK_NOVA = 0, SK_GLANCE = 1, SK_GENERIC = 2, SK_NTABLES = 3 } sk_table_t;

/* "nova", "glance", "generic" */
const char *sk_table_name(sk_table_t t);
/* 0 and *t for "nova", "glance" or "generic"; -1 for anything else. */
int sk_table_parse(const char *s, sk_table_t *t);

/* One element of a glance image.exists payload's "images" (§2.7). */
typedef struct {
    const char *uuid;                     /* element "id" (NULL when absent) */
    int64_t created_at_us, deleted_at_us; /* SK_NO_TIME when absent */
    int64_t size;
    int has_size;
} sk_image_t;

/* Every string is NUL-terminated in the arena; NULL is JSON null (or absent where the spec says
 * absent is null). Strings that index keys are built from (event, host, request_id, instance,
 * tenant, uuid) never contain a NUL byte: the parser refuses such messages. */
typedef struct {
    sk_table_t table;
    const char *routing_key; /* as received or chosen (§1.3) */
    const char *json;        /* the text of [routing_key, body], verbatim: what show prints */
    size_t json_len;
    int64_t when_us; /* UTC unix microseconds (§1.4) */
    const char *publisher, *event, *service;
    const char *host;       /* NULL when the publisher has no dot */
    const char *request_id; /* "" when absent */

    /* nova and generic (§1.5, §1.7); glance: instance = payload.properties.instance_uuid */
    const char *tenant, *instance;
    /* nova: "" when the key is absent, NULL when JSON null */
    const char *state, *old_state, *old_task, *task;
    const char *os_architecture, *os_distro, *os_version, *rax_options; /* "" when absent */
    int64_t image_type; /* nova and glance; SK_NULL_IMAGE_TYPE for a glance string payload */
    /* glance (§1.6): NULL when the payload is not a dict */
    const char *status, *uuid, *owner;
    const char *message_id; /* body.message_id (every table; a generic column) */

    /* usage inputs (§1.5), nova: type and flavour ids as strings ("2" for 2), NULL when absent */
    const char *instance_type_id, *instance_flavor_id, *new_instance_type_id;
    int64_t launched_at_us, deleted_at_us, terminated_at_us; /* SK_NO_TIME when absent/empty */
    int64_t audit_begin_us, audit_end_us;
    int has_message;     /* payload has a "message" key */
    const char *message; /* its text, NULL when it is not a string */
    int64_t bandwidth_public_out;
    int64_t error_code; /* payload.exception.kwargs.code when an integer (or digits), else 0 */

    /* glance usage inputs (§2.7) */
    int64_t size;
    int has_size;
    int64_t created_at_us;       /* payload.created_at */
    int64_t image_deleted_at_us; /* body.deleted_at, else payload.deleted_at */
    sk_image_t *images;          /* payload.images elements (exists) */
    size_t nimages;
} sk_msg_t;

typedef struct {
    int table;               /* sk_table_t, or -1 to infer it (§1.3) */
    const char *routing_key; /* for a body-only message; NULL: from body.priority */
} sk_parse_opts_t;

/* Parses one message: a [routing_key, body] pair or a body object (text of len bytes, no NUL
 * needed). VG_EINVAL with a precise message for malformed JSON, a pair that is not
 * [string, object], a missing or non-string publisher_id or event_type, a missing or
 * unparseable timestamp, a NUL inside an indexed string or a routing key over 50 bytes;
 * nothing is half-filled that the caller could store. */
int sk_msg_parse(vg_arena_t *a, const char *text, size_t len, const sk_parse_opts_t *o, sk_msg_t *m,
                 vg_err_t *err);

/* One message of an ingest body. */
typedef struct {
    const char *p;
    size_t len;
    size_t line; /* 1-based line where it starts */
} sk_part_t;

/* Splits an ingest body into messages: one JSON value (which may span lines) or, with ndjson
 * set or when each line holds a whole value, one message per non-blank line, in order. Never
 * fails on content (each part is checked by sk_msg_parse); *n is 0 for a blank body. */
void sk_body_split(vg_arena_t *a, const char *body, size_t len, int ndjson, sk_part_t **parts,
                   size_t *n);

/* §1.4 timestamps: "YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z", "YYYY-MM-DDTHH:MM:SS[.f{1,6}]",
 * "YYYY-MM-DD HH:MM:SS[.f{1,6}]", all UTC. 0 and *us, or -1. */
int sk_time_parse(const char *s, int64_t *us);

/* Characters (UTF-8 code points, not bytes) of s. */
size_t sk_chars(const char *s);
/* §1.1: a deployment name has 1 to SK_DEPLOYMENT_MAX characters. 1 or 0. */
#define SK_DEPLOYMENT_MAX 50
int sk_deployment_ok(const char *name);

/* §3.3 validation: lowercase canonical UUID (8-4-4-4-12 or 32 hex digits). 1 or 0. */
int sk_uuid_like(const char *s);
/* "req-" optional, then uuid-like. */
int sk_request_id_like(const char *s);

/* Formats (§3.6, §3.7); each writes a NUL-terminated string into buf (>= 40 bytes) and returns
 * buf. */
#define SK_FMT_MAX 64
/* "YYYY-MM-DD HH:MM:SS.ffffff", without the fraction when the microseconds are 0 */
char *sk_fmt_when(char *buf, int64_t us);
/* watch's two halves: "YYYY-MM-DD" and "HH:MM:SS.ffffff" (no fraction when 0) */
char *sk_fmt_date(char *buf, int64_t us);
char *sk_fmt_time(char *buf, int64_t us);
/* a stored duration: "0d 00:00:55.50" (two digits of the fraction, truncated) */
char *sk_fmt_dur_stored(char *buf, int64_t us);
/* summary Min/Max: Python 2 str() of the float's fractional part, "0d 00:00:55.5" */
char *sk_fmt_dur_float(char *buf, double secs);
/* summary Avg: whole seconds, "0d 00:00:15" */
char *sk_fmt_dur_int(char *buf, int64_t secs);
/* the report generator's sec_to_str: "5s", "5:44s", "01:41:14" (whole seconds, truncated) */
char *sk_fmt_sec_to_str(char *buf, int64_t secs);

#endif
