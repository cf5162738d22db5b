/* ingest/stacky.c - StackTach notifications (../shared/specs/stacktach.md §1, §3.3, §3.6-3.8).
 * A message is parsed with json-c into a scratch arena released before returning, so a long
 * stream keeps only the extracted fields and the message text; the fields follow upstream's
 * extraction rules to the letter (absent and null differ, truthiness is Python's). The
 * formatters print times and durations the way upstream's Python 2 printed them.
 * SPDX-License-Identifier: MIT */
#include "stacky.h"

#include "core/json.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SK_DEPTH           64 /* nesting levels a message may use */
#define SK_ROUTING_KEY_MAX 50 /* upstream's column width */
#define SK_FMT_LEN         40 /* the buffer size the formatters may rely on */
#define SK_US              INT64_C(1000000)
#define SK_DAY             INT64_C(86400)

static const char *const sk_table_names[SK_NTABLES] = {"nova", "glance", "generic"};

const char *sk_table_name(sk_table_t t)
{
    return (unsigned)t < SK_NTABLES ? sk_table_names[t] : "unknown";
}

int sk_table_parse(const char *s, sk_table_t *t)
{
    for (int i = 0; s != NULL && i < SK_NTABLES; i++) {
        if (strcmp(s, sk_table_names[i]) == 0) {
            *t = (sk_table_t)i;
            return 0;
        }
    }
    return -1;
}

/* ---- calendar ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t sk_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of sk_days_from_civil. */
static void sk_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned sk_month_days(int64_t y, unsigned m)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* n decimal digits at s as a number, or -1 when one of them is not a digit. */
static int sk_digits(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* ---- §1.4 timestamps ---- */

/* Upstream picks the formats by what the text contains: "Z" (then "T" and a final "Z"), "T",
 * or neither (a space between date and time); the fraction has 1-6 digits in every form. */
static int sk_time_parse_n(const char *s, size_t n, int64_t *us)
{
    bool has_z = memchr(s, 'Z', n) != NULL, has_t = memchr(s, 'T', n) != NULL;
    char sep = has_z || has_t ? 'T' : ' ';
    size_t end = n;
    int y, mo, d, h, mi, sec, frac = 0;

    if (has_z) {
        if (s[n - 1] != 'Z')
            return -1;
        end = n - 1;
    }
    if (end < 19 || s[4] != '-' || s[7] != '-' || s[10] != sep || s[13] != ':' || s[16] != ':')
        return -1;
    y = sk_digits(s, 4);
    mo = sk_digits(s + 5, 2);
    d = sk_digits(s + 8, 2);
    h = sk_digits(s + 11, 2);
    mi = sk_digits(s + 14, 2);
    sec = sk_digits(s + 17, 2);
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
        sec > 59 || (unsigned)d > sk_month_days(y, (unsigned)mo))
        return -1;
    if (end > 19) {
        size_t nf = end - 20;

        if (s[19] != '.' || nf < 1 || nf > 6 || (frac = sk_digits(s + 20, nf)) < 0)
            return -1;
        for (size_t i = nf; i < 6; i++)
            frac *= 10;
    }
    *us = ((sk_days_from_civil(y, (unsigned)mo, (unsigned)d) * SK_DAY + h * 3600 + mi * 60 + sec) *
           SK_US) +
          frac;
    return 0;
}

int sk_time_parse(const char *s, int64_t *us)
{
    return s == NULL ? -1 : sk_time_parse_n(s, strlen(s), us);
}

/* ---- §3.3 validation ---- */

static bool sk_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Upstream parses the text as a UUID and prints it back: only the canonical lowercase spelling
 * (with dashes, or 32 digits when the input had none) survives the round trip. */
size_t sk_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

int sk_deployment_ok(const char *name)
{
    return *name != '\0' && sk_chars(name) <= SK_DEPLOYMENT_MAX;
}

int sk_uuid_like(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 32)
        return sk_lower_hex(s, 32);
    if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return 0;
    return sk_lower_hex(s, 8) && sk_lower_hex(s + 9, 4) && sk_lower_hex(s + 14, 4) &&
           sk_lower_hex(s + 19, 4) && sk_lower_hex(s + 24, 12);
}

int sk_request_id_like(const char *s)
{
    if (s != NULL && strncmp(s, "req-", 4) == 0)
        s += 4;
    return sk_uuid_like(s);
}

/* ---- §3.6, §3.7 formats ---- */

/* Splits us into whole days since the epoch and the time of day (floor division, so a time
 * before 1970 still has a time of day in range). */
static void sk_split_us(int64_t us, int64_t *days, int64_t *sod, int64_t *frac)
{
    int64_t secs = us / SK_US, f = us % SK_US;

    if (f < 0) {
        f += SK_US;
        secs--;
    }
    *days = secs / SK_DAY;
    *sod = secs % SK_DAY;
    if (*sod < 0) {
        *sod += SK_DAY;
        (*days)--;
    }
    *frac = f;
}

char *sk_fmt_date(char *buf, int64_t us)
{
    int64_t days, sod, frac, y;
    unsigned m, d;

    sk_split_us(us, &days, &sod, &frac);
    sk_civil_from_days(days, &y, &m, &d);
    snprintf(buf, SK_FMT_LEN, "%04lld-%02u-%02u", (long long)y, m, d);
    return buf;
}

char *sk_fmt_time(char *buf, int64_t us)
{
    int64_t days, sod, frac;
    int n;

    sk_split_us(us, &days, &sod, &frac);
    n = snprintf(buf, SK_FMT_LEN, "%02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60),
                 (int)(sod % 60));
    if (frac != 0) /* Python prints a datetime without microseconds that way */
        snprintf(buf + n, SK_FMT_LEN - (size_t)n, ".%06d", (int)frac);
    return buf;
}

char *sk_fmt_when(char *buf, int64_t us)
{
    size_t n;

    sk_fmt_date(buf, us);
    n = strlen(buf);
    buf[n++] = ' ';
    sk_fmt_time(buf + n, us); /* at most 15 bytes after a date of at most 16 */
    return buf;
}

/* "<D>d HH:MM:SS" of a count of whole seconds, with a '-' in front of a negative one (upstream
 * printed nonsense there, §3.7). Returns the length written. */
static int sk_fmt_dhms(char *buf, bool neg, uint64_t secs)
{
    return snprintf(buf, SK_FMT_LEN, "%s%llud %02u:%02u:%02u", neg ? "-" : "",
                    (unsigned long long)(secs / 86400), (unsigned)(secs / 3600 % 24),
                    (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

char *sk_fmt_dur_stored(char *buf, int64_t us)
{
    bool neg = us < 0;
    uint64_t u = neg ? 0 - (uint64_t)us : (uint64_t)us;
    int n = sk_fmt_dhms(buf, neg, u / 1000000);

    /* str(Decimal) of the 6-place fraction, characters 1..3: two digits, truncated */
    snprintf(buf + n, SK_FMT_LEN - (size_t)n, ".%02u", (unsigned)(u % 1000000 / 10000));
    return buf;
}

char *sk_fmt_dur_float(char *buf, double secs)
{
    bool neg = secs < 0;
    double v = fabs(secs), whole;
    char frac[32];
    size_t fl;
    int n;

    if (!isfinite(secs) || v >= 9.0e15) { /* no whole-second count to print */
        snprintf(buf, SK_FMT_LEN, "%.12g", secs);
        return buf;
    }
    whole = trunc(v);
    /* Python 2's str(float): "%.12g", plus ".0" when that looks like an integer */
    snprintf(frac, sizeof frac, "%.12g", v - whole);
    if (strpbrk(frac, ".e") == NULL)
        strcat(frac, ".0");
    fl = strlen(frac);
    n = sk_fmt_dhms(buf, neg, (uint64_t)whole);
    snprintf(buf + n, SK_FMT_LEN - (size_t)n, "%.*s", (int)(fl < 4 ? fl - 1 : 3), frac + 1);
    return buf;
}

char *sk_fmt_dur_int(char *buf, int64_t secs)
{
    bool neg = secs < 0;

    sk_fmt_dhms(buf, neg, neg ? 0 - (uint64_t)secs : (uint64_t)secs);
    return buf;
}

char *sk_fmt_sec_to_str(char *buf, int64_t secs)
{
    if (secs < 60) /* negative ones too, as upstream */
        snprintf(buf, SK_FMT_LEN, "%llds", (long long)secs);
    else if (secs < 3600)
        snprintf(buf, SK_FMT_LEN, "%lld:%02llds", (long long)(secs / 60), (long long)(secs % 60));
    else
        snprintf(buf, SK_FMT_LEN, "%02lld:%02lld:%02lld", (long long)(secs / 3600),
                 (long long)(secs / 60 % 60), (long long)(secs % 60));
    return buf;
}

/* ---- reading the JSON tree ---- */

/* obj[key]: true when obj is an object with that key (*v is NULL for a JSON null), false when
 * the key is absent or obj is not an object (*v NULL). */
static bool sk_get(json_object *obj, const char *key, json_object **v)
{
    *v = NULL;
    return obj != NULL && json_object_is_type(obj, json_type_object) &&
           json_object_object_get_ex(obj, key, v);
}

/* obj[key] when it is an object, else NULL: upstream's .get(key, {}) on values we treat as
 * {} when they are anything else. */
static json_object *sk_dict(json_object *obj, const char *key)
{
    json_object *v;

    return sk_get(obj, key, &v) && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* Python's truthiness: null, false, 0, "", [] and {} are false. */
static bool sk_truthy(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return false;
    case json_type_boolean:
        return json_object_get_boolean(v);
    case json_type_int:
        return json_object_get_int64(v) != 0; /* a huge one clamps, still non-zero */
    case json_type_double:
        return json_object_get_double(v) != 0.0;
    case json_type_string:
        return json_object_get_string_len(v) > 0;
    case json_type_array:
        return json_object_array_length(v) > 0;
    case json_type_object:
        return json_object_object_length(v) > 0;
    }
    return false;
}

static bool sk_streq(json_object *v, const char *s)
{
    size_t n = strlen(s);

    return json_object_is_type(v, json_type_string) && (size_t)json_object_get_string_len(v) == n &&
           memcmp(json_object_get_string(v), s, n) == 0;
}

/* v as a stored string, copied into a: a string's bytes, any other value's JSON text (42 for
 * 42); NULL for null. *n gets the length (a string may hold a NUL). */
static const char *sk_text(vg_arena_t *a, json_object *v, size_t *n)
{
    const char *s;
    size_t len;

    *n = 0;
    if (v == NULL)
        return NULL;
    if (json_object_is_type(v, json_type_string)) {
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
    } else {
        s = vg_json_text(v, &len);
    }
    *n = len;
    return vg_arena_strndup(a, s, len);
}

/* sk_text for a column that keys an index: a NUL inside is refused, naming the field. */
static int sk_key_text(vg_arena_t *a, json_object *v, const char *field, const char **out,
                       vg_err_t *err)
{
    size_t n;
    const char *s = sk_text(a, v, &n);

    if (s != NULL && memchr(s, '\0', n) != NULL)
        return vg_fail(err, VG_EINVAL, "NUL byte in %s", field);
    *out = s;
    return VG_OK;
}

/* obj[key] as text; "" when the key is absent, NULL when it is null (nova's state columns). */
static const char *sk_text_or_empty(vg_arena_t *a, json_object *obj, const char *key)
{
    json_object *v;
    size_t n;

    if (!sk_get(obj, key, &v))
        return "";
    return sk_text(a, v, &n);
}

/* obj[key] as a time; SK_NO_TIME when absent, not a string or not one of §1.4's forms. */
static int64_t sk_time_of(json_object *obj, const char *key)
{
    json_object *v;
    int64_t us;

    if (!sk_get(obj, key, &v) || !json_object_is_type(v, json_type_string) ||
        json_object_get_string_len(v) == 0 ||
        sk_time_parse_n(json_object_get_string(v), (size_t)json_object_get_string_len(v), &us) < 0)
        return SK_NO_TIME;
    return us;
}

/* obj[key] when it is a JSON integer: 1 and *out; else 0. */
static int sk_int_of(json_object *obj, const char *key, int64_t *out)
{
    json_object *v;

    if (!sk_get(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    *out = json_object_get_int64(v);
    return 1;
}

/* ---- the fields of §1.4-1.7 ---- */

/* §1.5 image_type bit field of a nova payload (glance: of the image payload). */
static int64_t sk_image_type(json_object *payload)
{
    json_object *meta = sk_dict(payload, "image_meta"), *v;
    int64_t t = 0;

    sk_get(meta, "image_type", &v);
    if (sk_streq(v, "base"))
        t |= 0x1;
    else if (sk_streq(v, "snapshot"))
        t |= 0x2;
    else if (sk_streq(v, "import"))
        t |= 0x3;
    if (!sk_get(meta, "os_type", &v))
        sk_get(payload, "os_type", &v);
    if (sk_streq(v, "linux"))
        t |= 0x10;
    else if (sk_streq(v, "windows"))
        t |= 0x20;
    else if (sk_streq(v, "freebsd"))
        t |= 0x40;
    sk_get(meta, "os_distro", &v);
    if (sk_streq(v, "ubuntu"))
        t |= 0x100;
    else if (sk_streq(v, "debian"))
        t |= 0x200;
    else if (sk_streq(v, "centos"))
        t |= 0x400;
    else if (sk_streq(v, "rhel"))
        t |= 0x800;
    return t;
}

/* §1.5 instance, exactly as upstream chains its lookups: instance_uuid (when the key exists)
 * overrides instance_id, and each fallback only runs while the value so far is falsy. */
static json_object *sk_instance_value(json_object *payload)
{
    json_object *v, *u;

    sk_get(payload, "instance_id", &v);
    if (sk_get(payload, "instance_uuid", &u))
        v = u;
    if (!sk_truthy(v))
        sk_get(sk_dict(sk_dict(payload, "exception"), "kwargs"), "uuid", &v);
    if (!sk_truthy(v))
        sk_get(sk_dict(payload, "instance"), "uuid", &v);
    return v;
}

/* §1.5 tenant and instance (nova and generic). */
static int sk_tenant_instance(vg_arena_t *a, json_object *body, json_object *payload, sk_msg_t *m,
                              vg_err_t *err)
{
    json_object *v;
    int rc;

    if (!sk_get(payload, "tenant_id", &v))
        sk_get(body, "_context_project_id", &v);
    if ((rc = sk_key_text(a, v, "tenant", &m->tenant, err)) < 0)
        return rc;
    return sk_key_text(a, sk_instance_value(payload), "instance", &m->instance, err);
}

/* payload.exception.kwargs.code: an integer, or a string of digits; 0 otherwise. */
static int64_t sk_error_code(json_object *payload)
{
    json_object *v;
    const char *s;
    size_t n;

    sk_get(sk_dict(sk_dict(payload, "exception"), "kwargs"), "code", &v);
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (!json_object_is_type(v, json_type_string))
        return 0;
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
        return 0;
    return strtoll(s, NULL, 10);
}

/* §1.5 columns and usage inputs of a nova raw. */
static int sk_nova(vg_arena_t *a, json_object *body, json_object *payload, sk_msg_t *m,
                   vg_err_t *err)
{
    json_object *meta = sk_dict(payload, "image_meta"), *v;
    size_t n;
    int rc;

    if ((rc = sk_tenant_instance(a, body, payload, m, err)) < 0)
        return rc;
    m->state = sk_text_or_empty(a, payload, "state");
    m->old_state = sk_text_or_empty(a, payload, "old_state");
    m->old_task = sk_text_or_empty(a, payload, "old_task_state");
    m->task = sk_text_or_empty(a, payload, "new_task_state");
    m->os_architecture = sk_text_or_empty(a, meta, "org.openstack__1__architecture");
    m->os_distro = sk_text_or_empty(a, meta, "org.openstack__1__os_distro");
    m->os_version = sk_text_or_empty(a, meta, "org.openstack__1__os_version");
    m->rax_options = sk_text_or_empty(a, meta, "com.rackspace__1__options");
    m->image_type = sk_image_type(payload);

    sk_get(payload, "instance_type_id", &v);
    m->instance_type_id = sk_text(a, v, &n);
    sk_get(payload, "instance_flavor_id", &v);
    m->instance_flavor_id = sk_text(a, v, &n);
    sk_get(payload, "new_instance_type_id", &v);
    m->new_instance_type_id = sk_text(a, v, &n);
    m->launched_at_us = sk_time_of(payload, "launched_at");
    m->deleted_at_us = sk_time_of(payload, "deleted_at");
    m->terminated_at_us = sk_time_of(payload, "terminated_at");
    m->audit_begin_us = sk_time_of(payload, "audit_period_beginning");
    m->audit_end_us = sk_time_of(payload, "audit_period_ending");
    m->has_message = sk_get(payload, "message", &v);
    if (json_object_is_type(v, json_type_string))
        m->message = sk_text(a, v, &n);
    sk_int_of(sk_dict(sk_dict(payload, "bandwidth"), "public"), "bw_out", &m->bandwidth_public_out);
    m->error_code = sk_error_code(payload);
    return VG_OK;
}

/* payload.images of a glance image.exists: one entry per element that is an object. */
static int sk_images(vg_arena_t *a, json_object *payload, sk_msg_t *m, vg_err_t *err)
{
    json_object *list, *id;
    size_t len;
    int rc;

    if (!sk_get(payload, "images", &list) || !json_object_is_type(list, json_type_array))
        return VG_OK;
    len = json_object_array_length(list);
    m->images = vg_arena_calloc(a, (len ? len : 1) * sizeof *m->images);
    for (size_t i = 0; i < len; i++) {
        json_object *el = json_object_array_get_idx(list, i);
        sk_image_t *im = &m->images[m->nimages];

        if (!json_object_is_type(el, json_type_object))
            continue;
        sk_get(el, "id", &id);
        if ((rc = sk_key_text(a, id, "images[].id", &im->uuid, err)) < 0)
            return rc;
        im->created_at_us = sk_time_of(el, "created_at");
        im->deleted_at_us = sk_time_of(el, "deleted_at");
        im->has_size = sk_int_of(el, "size", &im->size);
        m->nimages++;
    }
    return VG_OK;
}

/* §1.6: a glance raw's columns and usage inputs; all null when the payload is not an object
 * (glance errors carry a string). */
static int sk_glance(vg_arena_t *a, json_object *body, json_object *payload, sk_msg_t *m,
                     vg_err_t *err)
{
    json_object *v;
    size_t n;
    int rc;

    if (payload == NULL) {
        m->image_type = SK_NULL_IMAGE_TYPE;
        return VG_OK;
    }
    sk_get(payload, "status", &v);
    m->status = sk_text(a, v, &n);
    sk_get(payload, "id", &v);
    if ((rc = sk_key_text(a, v, "uuid", &m->uuid, err)) < 0)
        return rc;
    sk_get(payload, "owner", &v);
    m->owner = sk_text(a, v, &n);
    sk_get(sk_dict(payload, "properties"), "instance_uuid", &v);
    if ((rc = sk_key_text(a, v, "instance", &m->instance, err)) < 0)
        return rc;
    m->image_type = sk_image_type(payload);
    m->has_size = sk_int_of(payload, "size", &m->size);
    m->created_at_us = sk_time_of(payload, "created_at");
    m->audit_begin_us = sk_time_of(payload, "audit_period_beginning");
    m->audit_end_us = sk_time_of(payload, "audit_period_ending");
    if (sk_get(body, "deleted_at", &v) && sk_truthy(v))
        m->image_deleted_at_us = sk_time_of(body, "deleted_at");
    else
        m->image_deleted_at_us = sk_time_of(payload, "deleted_at");
    return sk_images(a, payload, m, err);
}

/* §1.3: the table a message goes to when the request does not say. */
static sk_table_t sk_infer_table(const sk_msg_t *m)
{
    static const char *const nova_services[] = {"compute", "scheduler", "api", "conductor",
                                                "network"};

    if (strncmp(m->event, "image.", 6) == 0 || strstr(m->routing_key, "glance") != NULL)
        return SK_GLANCE;
    if (strncmp(m->event, "compute.", 8) == 0 || strncmp(m->event, "scheduler.", 10) == 0)
        return SK_NOVA;
    for (size_t i = 0; i < sizeof nova_services / sizeof nova_services[0]; i++)
        if (strcmp(m->service, nova_services[i]) == 0)
            return SK_NOVA;
    return SK_GENERIC;
}

/* §1.4 when: body.timestamp, or body._context_timestamp when that is absent or empty. */
static int sk_when(json_object *body, int64_t *us, vg_err_t *err)
{
    json_object *v;
    const char *s;
    size_t n;

    if (!sk_get(body, "timestamp", &v) || !sk_truthy(v))
        sk_get(body, "_context_timestamp", &v);
    if (!sk_truthy(v))
        return vg_fail(err, VG_EINVAL, "missing timestamp");
    if (json_object_is_type(v, json_type_string)) {
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        if (sk_time_parse_n(s, n, us) == 0)
            return VG_OK;
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)s[i] < 0x20) { /* show control bytes escaped, without quotes */
                s = vg_json_text(v, &n) + 1;
                n -= 2;
                break;
            }
        }
    } else {
        s = vg_json_text(v, &n);
    }
    return vg_fail(err, VG_EINVAL, "unparseable timestamp '%.*s'", n > 64 ? 64 : (int)n, s);
}

/* §1.4: the fields every table has, then the table's own (§1.5-1.7). */
static int sk_fields(vg_arena_t *a, json_object *body, int table, sk_msg_t *m, vg_err_t *err)
{
    json_object *v, *payload, *pub, *ev;
    const char *dot;
    size_t n;
    int rc;

    if (!sk_get(body, "publisher_id", &pub) || !json_object_is_type(pub, json_type_string))
        return vg_fail(err, VG_EINVAL, "missing publisher_id");
    if (!sk_get(body, "event_type", &ev) || !json_object_is_type(ev, json_type_string))
        return vg_fail(err, VG_EINVAL, "missing event_type");
    if ((rc = sk_when(body, &m->when_us, err)) < 0)
        return rc;
    if ((rc = sk_key_text(a, pub, "publisher", &m->publisher, err)) < 0 ||
        (rc = sk_key_text(a, ev, "event", &m->event, err)) < 0)
        return rc;
    dot = strchr(m->publisher, '.');
    m->service =
        dot ? vg_arena_strndup(a, m->publisher, (size_t)(dot - m->publisher)) : m->publisher;
    m->host = dot ? dot + 1 : NULL;
    if (!sk_get(body, "_context_request_id", &v))
        m->request_id = "";
    else if ((rc = sk_key_text(a, v, "request_id", &m->request_id, err)) < 0)
        return rc;
    sk_get(body, "message_id", &v);
    m->message_id = sk_text(a, v, &n);

    m->table = table >= 0 ? (sk_table_t)table : sk_infer_table(m);
    sk_get(body, "payload", &payload);
    if (!json_object_is_type(payload, json_type_object))
        payload = NULL; /* upstream treats anything else as {} (glance: as "no payload") */
    switch (m->table) {
    case SK_NOVA:
        return sk_nova(a, body, payload, m, err);
    case SK_GLANCE:
        return sk_glance(a, body, payload, m, err);
    default:
        return sk_tenant_instance(a, body, payload, m, err);
    }
}

/* ---- messages ---- */

static bool sk_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Narrows [*p, *p + *len) to its non-blank middle. */
static void sk_trim(const char **p, size_t *len)
{
    while (*len > 0 && sk_space((*p)[0])) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && sk_space((*p)[*len - 1]))
        (*len)--;
}

/* The pair text for a body-only message: [<routing key as a JSON string>, <body>]. */
static const char *sk_pair_text(vg_arena_t *a, const char *rk, const char *body, size_t blen,
                                size_t *len)
{
    size_t rn = strlen(rk), n = 0;
    char *out = vg_arena_alloc(a, 1 + 2 + rn * 6 + 2 + blen + 2);

    out[n++] = '[';
    out[n++] = '"';
    for (size_t i = 0; i < rn; i++) {
        unsigned char c = (unsigned char)rk[i];

        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, 7, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    memcpy(out + n, "\", ", 3);
    n += 3;
    memcpy(out + n, body, blen);
    n += blen;
    out[n++] = ']';
    out[n] = '\0';
    *len = n;
    return out;
}

/* body.priority equal to "ERROR" ignoring case: the error queue's routing key (§1.3). */
static const char *sk_default_routing_key(json_object *body)
{
    json_object *v;

    if (sk_get(body, "priority", &v) && json_object_is_type(v, json_type_string) &&
        json_object_get_string_len(v) == 5 &&
        strncasecmp(json_object_get_string(v), "ERROR", 5) == 0)
        return "monitor.error";
    return "monitor.info";
}

/* sk_msg_parse with the JSON tree in tmp. */
static int sk_msg_parse_tree(vg_arena_t *a, vg_arena_t *tmp, const char *text, size_t len,
                             const sk_parse_opts_t *o, sk_msg_t *m, vg_err_t *err)
{
    json_object *root, *body, *rk;
    vg_err_t jerr = {0};
    size_t rn;
    int rc;

    sk_trim(&text, &len);
    /* only an array or an object can be a message (json-c could not even finish a bare number
     * or literal without something after it) */
    if (len > 0 && text[0] != '[' && text[0] != '{')
        return vg_fail(err, VG_EINVAL, "expected [routing_key, body] or a body object");
    if ((rc = vg_json_parse(tmp, text, len, SK_DEPTH, &root, &jerr)) < 0)
        return vg_fail(err, rc, "malformed JSON: %s", jerr.msg);
    if (json_object_is_type(root, json_type_array)) {
        if (json_object_array_length(root) != 2)
            return vg_fail(err, VG_EINVAL, "expected [routing_key, body], got an array of %zu",
                           json_object_array_length(root));
        rk = json_object_array_get_idx(root, 0);
        body = json_object_array_get_idx(root, 1);
        if (!json_object_is_type(rk, json_type_string))
            return vg_fail(err, VG_EINVAL, "routing key is not a string");
        if (!json_object_is_type(body, json_type_object))
            return vg_fail(err, VG_EINVAL, "message body is not an object");
        rn = (size_t)json_object_get_string_len(rk);
        if (memchr(json_object_get_string(rk), '\0', rn) != NULL)
            return vg_fail(err, VG_EINVAL, "NUL byte in routing_key");
        m->routing_key = vg_arena_strndup(a, json_object_get_string(rk), rn);
        m->json = vg_arena_strndup(a, text, len);
        m->json_len = len;
    } else if (json_object_is_type(root, json_type_object)) {
        body = root;
        m->routing_key = o->routing_key != NULL ? vg_arena_strdup(a, o->routing_key)
                                                : sk_default_routing_key(body);
        rn = strlen(m->routing_key);
        m->json = sk_pair_text(a, m->routing_key, text, len, &m->json_len);
    } else {
        return vg_fail(err, VG_EINVAL, "expected [routing_key, body] or a body object");
    }
    if (rn > SK_ROUTING_KEY_MAX)
        return vg_fail(err, VG_EINVAL, "routing key longer than %d bytes", SK_ROUTING_KEY_MAX);
    return sk_fields(a, body, o->table, m, err);
}

int sk_msg_parse(vg_arena_t *a, const char *text, size_t len, const sk_parse_opts_t *o, sk_msg_t *m,
                 vg_err_t *err)
{
    static const sk_parse_opts_t defaults = {.table = -1, .routing_key = NULL};
    vg_arena_t tmp;
    sk_msg_t r = {
        .launched_at_us = SK_NO_TIME,
        .deleted_at_us = SK_NO_TIME,
        .terminated_at_us = SK_NO_TIME,
        .audit_begin_us = SK_NO_TIME,
        .audit_end_us = SK_NO_TIME,
        .created_at_us = SK_NO_TIME,
        .image_deleted_at_us = SK_NO_TIME,
    };
    int rc;

    if (o == NULL)
        o = &defaults;
    if (o->table >= SK_NTABLES)
        return vg_fail(err, VG_EINVAL, "unknown table %d", o->table);
    /* the tree lives only here: what the message keeps is copied into a */
    vg_arena_init(&tmp, 256);
    rc = sk_msg_parse_tree(a, &tmp, text, len, o, &r, err);
    vg_arena_fini(&tmp);
    if (rc == VG_OK)
        *m = r;
    return rc;
}

/* ---- bodies ---- */

/* Whether [p, p + n) alone is one complete JSON value. */
static bool sk_is_value(const char *p, size_t n)
{
    vg_arena_t tmp;
    json_object *obj;
    vg_err_t err = {0};
    bool ok;

    vg_arena_init(&tmp, 256);
    ok = vg_json_parse(&tmp, p, n, SK_DEPTH, &obj, &err) == VG_OK;
    vg_arena_fini(&tmp);
    return ok;
}

/* The line [*p, *p + *len) starting at body + off, trimmed; off moves past its newline. */
static void sk_next_line(const char *body, size_t len, size_t *off, const char **p, size_t *n)
{
    const char *s = body + *off, *nl = memchr(s, '\n', len - *off);
    size_t l = nl != NULL ? (size_t)(nl - s) : len - *off;

    *off += l + (nl != NULL);
    *p = s;
    *n = l;
    sk_trim(p, n);
}

void sk_body_split(vg_arena_t *a, const char *body, size_t len, int ndjson, sk_part_t **parts,
                   size_t *n)
{
    const char *p = body, *lp;
    size_t plen = len, off, line = 1, ln, lines = 1, first;
    bool per_line;

    *parts = NULL;
    *n = 0;
    sk_trim(&p, &plen);
    if (plen == 0)
        return;
    off = (size_t)(p - body);
    for (size_t i = 0; i < off; i++)
        line += body[i] == '\n';
    for (const char *q = p; (q = memchr(q, '\n', plen - (size_t)(q - p))) != NULL; q++)
        lines++;
    while (off > 0 && body[off - 1] != '\n')
        off--; /* the start of the first non-blank line */
    /* one value over many lines, unless the first line is a whole value by itself */
    first = off;
    per_line = ndjson;
    if (!per_line && lines > 1) {
        sk_next_line(body, len, &first, &lp, &ln);
        per_line = sk_is_value(lp, ln);
    }
    if (!per_line) {
        *parts = vg_arena_alloc(a, sizeof **parts);
        (*parts)[0] = (sk_part_t){.p = p, .len = plen, .line = line};
        *n = 1;
        return;
    }
    /* lines bounds the non-blank lines: they all lie inside the trimmed body */
    *parts = vg_arena_alloc(a, lines * sizeof **parts);
    while (off < len) {
        sk_next_line(body, len, &off, &lp, &ln);
        if (ln > 0)
            (*parts)[(*n)++] = (sk_part_t){.p = lp, .len = ln, .line = line};
        line++;
    }
}
