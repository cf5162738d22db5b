/* conf/conf.c - the key table and the INI parser. Sections and keys are lowercase; a key's
 * environment name is VIGIL_ + SECTION + _ + KEY in upper case, and the first underscore after
 * VIGIL_ ends the section (so sections never contain one).
 * SPDX-License-Identifier: MIT */
#include "conf.h"

#include "core/log.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char **environ;

/* CONF_T_HOURS: a report period, 0 (off), 1 or 24 */
typedef enum {
    CONF_T_STR,
    CONF_T_INT,
    CONF_T_BOOL,
    CONF_T_SYNC,
    CONF_T_LEVEL,
    CONF_T_HOURS
} conf_type_t;

typedef struct {
    const char *section, *key;
    conf_type_t type;
    size_t off;
    const char *def;
    long min, max; /* CONF_T_INT bounds */
    const char *doc;
} conf_key_t;

#define CONF_OFF(f) offsetof(conf_t, f)

static const conf_key_t conf_keys[] = {
    {"store", "home", CONF_T_STR, CONF_OFF(store_home), "/var/lib/vigil", 0, 0,
     "the Berkeley DB environment directory (created when missing)"},
    {"store", "default_project", CONF_T_STR, CONF_OFF(store_default_project), "default", 0, 0,
     "project (tenant) for paths that carry no appkey"},
    {"store", "cache_mb", CONF_T_INT, CONF_OFF(store_cache_mb), "256", 1, 65536,
     "Berkeley DB cache size in MiB, shared by all processes"},
    {"store", "sync", CONF_T_SYNC, CONF_OFF(store_sync), "write_nosync", 0, 0,
     "commit durability: sync (fsync per commit), write_nosync (survives a process crash), "
     "nosync"},
    {"store", "txn_retries", CONF_T_INT, CONF_OFF(store_txn_retries), "8", 0, 1000,
     "times a transaction is retried after losing a deadlock"},
    {"store", "lock_timeout_ms", CONF_T_INT, CONF_OFF(store_lock_timeout_ms), "10000", 0, 3600000,
     "longest wait for one lock before the transaction is retried (0 = no limit)"},
    {"store", "stream_max_mb", CONF_T_INT, CONF_OFF(store_stream_max_mb), "256", 1, 1048576,
     "size the compactor trims the line-protocol stream log to (oldest records first)"},
    {"fcgi", "listen", CONF_T_STR, CONF_OFF(fcgi_listen), "", 0, 0,
     "master mode socket: host:port or a unix socket path; empty = the socket on fd 0"},
    {"fcgi", "workers", CONF_T_INT, CONF_OFF(fcgi_workers), "0", 0, 1024,
     "worker processes in master mode (0 = 2 x cores)"},
    {"fcgi", "max_body_mb", CONF_T_INT, CONF_OFF(fcgi_max_body_mb), "32", 1, 4096,
     "request body limit in MiB (413 past it); web server limits must be set above it"},
    {"fcgi", "max_decoded_mb", CONF_T_INT, CONF_OFF(fcgi_max_decoded_mb), "256", 1, 65536,
     "largest body after decompression (gzip, snappy remote write) in MiB (413 past it)"},
    {"fcgi", "io_timeout_s", CONF_T_INT, CONF_OFF(fcgi_io_timeout_s), "30", 1, 3600,
     "a worker gives up on a web server connection idle this long mid-request"},
    {"fcgi", "backlog", CONF_T_INT, CONF_OFF(fcgi_backlog), "1024", 1, 65535,
     "listen backlog of the master mode socket"},
    {"fcgi", "debug_routes", CONF_T_BOOL, CONF_OFF(fcgi_debug_routes), "off", 0, 0,
     "serve /_vigil/echo and /_vigil/lock (web server and crash checks; never in production)"},
    {"prometheus", "admin_api", CONF_T_BOOL, CONF_OFF(prometheus_admin_api), "off", 0, 0,
     "serve /prometheus/api/v1/admin/tsdb/* (delete_series), as Prometheus's "
     "--web.enable-admin-api"},
    {"query", "timeout_s", CONF_T_INT, CONF_OFF(query_timeout_s), "120", 1, 86400,
     "longest a PromQL query may run (a smaller `timeout` parameter wins); 503 past it"},
    {"query", "max_samples", CONF_T_INT, CONF_OFF(query_max_samples), "50000000", 1, 2000000000,
     "most samples one query may load into memory; past it the query fails with 422"},
    {"query", "lookback_delta_s", CONF_T_INT, CONF_OFF(query_lookback_delta_s), "300", 1, 86400,
     "how far back an instant vector selector looks for a sample (Prometheus's 5 m)"},
    {"kapacitor", "default_retention_policy", CONF_T_STR, CONF_OFF(kapacitor_default_rp), "", 0, 0,
     "retention policy for line-protocol writes that name none"},
    {"log", "level", CONF_T_LEVEL, CONF_OFF(log_level), "info", 0, 0, "error, warn, info or debug"},
    {"compactor", "checkpoint_s", CONF_T_INT, CONF_OFF(compactor_checkpoint_s), "60", 1, 86400,
     "seconds between Berkeley DB checkpoints"},
    {"compactor", "failchk_s", CONF_T_INT, CONF_OFF(compactor_failchk_s), "5", 1, 3600,
     "seconds between checks for dead processes' locks"},
    {"compactor", "compact_s", CONF_T_INT, CONF_OFF(compactor_compact_s), "600", 1, 604800,
     "seconds between compactions of the series databases (filling pages, returning free ones)"},
    {"scraper", "interval_s", CONF_T_INT, CONF_OFF(scraper_interval_s), "15", 1, 86400,
     "seconds between two scrapes of a target, and between re-reads of the job/target list"},
    {"scraper", "timeout_s", CONF_T_INT, CONF_OFF(scraper_timeout_s), "10", 1, 86400,
     "a scrape is cut after this many seconds (at most interval_s)"},
    {"scraper", "max_body_mb", CONF_T_INT, CONF_OFF(scraper_max_body_mb), "16", 1, 4096,
     "largest scrape body after decompression in MiB; a larger one fails the scrape"},
    {"scraper", "max_concurrent", CONF_T_INT, CONF_OFF(scraper_max_concurrent), "64", 1, 10000,
     "scrapes in flight at once; a due target waits for a free slot"},
    {"concertim", "secret", CONF_T_STR, CONF_OFF(concertim_secret), "", 0, 0,
     "HS256 secret of the /mrd JWTs; empty: $JWT_SECRET, else the file $JWT_SECRET_FILE or "
     "secret_file"},
    {"concertim", "secret_file", CONF_T_STR, CONF_OFF(concertim_secret_file),
     "/opt/concertim/etc/secret", 0, 0,
     "file holding the secret (trailing newlines dropped) when secret and $JWT_SECRET are empty"},
    {"concertim", "step_s", CONF_T_INT, CONF_OFF(concertim_step_s), "15", 1, 3600,
     "seconds between processing runs (vigil-compactor), and the history's finest step"},
    {"concertim", "devices_file", CONF_T_STR, CONF_OFF(concertim_devices_file), "", 0, 0,
     "data-source-map JSON ({grid:{cluster:{host:device id}}}) re-read into the device table; "
     "empty: only `vigilctl devices load`"},
    {"concertim", "devices_refresh_s", CONF_T_INT, CONF_OFF(concertim_devices_refresh_s), "30", 1,
     86400,
     "seconds between re-reads of devices_file (an unknown device also forces one, at most "
     "every 5 s)"},
    {"concertim", "accept_any_device", CONF_T_BOOL, CONF_OFF(concertim_accept_any_device), "off", 0,
     0, "on: PUT /mrd/{id}/metrics accepts any device id (standalone use)"},
    {"concertim", "token_endpoint", CONF_T_BOOL, CONF_OFF(concertim_token_endpoint), "off", 0, 0,
     "on: the historical POST /mrd/token issues tokens to anyone (development only)"},
    {"stacky", "report_hours", CONF_T_HOURS, CONF_OFF(stacky_report_hours), "1", 0, 0,
     "hours of each StackTach summary report vigil-compactor makes: 1 (hourly), 24 (daily, "
     "from midnight UTC) or 0 (none)"},
    {"stacky", "report_delay_s", CONF_T_INT, CONF_OFF(stacky_report_delay_s), "60", 0, 86400,
     "seconds after a period ends before its report is made (late notifications get in)"},
    {"stacky", "report_region", CONF_T_STR, CONF_OFF(stacky_report_region), "", 0, 0,
     "the report covers the deployments whose name contains this (any case); empty: all"},
};

#define CONF_NKEYS (sizeof conf_keys / sizeof conf_keys[0])

const char *conf_sync_name(conf_sync_t s)
{
    return s == CONF_SYNC_SYNC ? "sync" : s == CONF_SYNC_NOSYNC ? "nosync" : "write_nosync";
}

static const char *conf_level_name(int level)
{
    return level <= LOG_ERR       ? "error"
           : level == LOG_WARNING ? "warn"
           : level == LOG_INFO    ? "info"
                                  : "debug";
}

/* Stores the text v into key k of c; where names the origin for messages. */
static int conf_set(conf_t *c, const conf_key_t *k, const char *v, const char *where, vg_err_t *err)
{
    void *field = (char *)c + k->off;

    switch (k->type) {
    case CONF_T_STR: {
        char **s = field;

        free(*s);
        *s = vg_xstrdup(v);
        return VG_OK;
    }
    case CONF_T_INT: {
        char *end;
        long n;

        errno = 0;
        n = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno != 0)
            return vg_fail(err, VG_EINVAL, "%s: [%s] %s: \"%s\" is not an integer", where,
                           k->section, k->key, v);
        if (n < k->min || n > k->max)
            return vg_fail(err, VG_EINVAL, "%s: [%s] %s: %ld is outside %ld..%ld", where,
                           k->section, k->key, n, k->min, k->max);
        *(int *)field = (int)n;
        return VG_OK;
    }
    case CONF_T_HOURS:
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0 && strcmp(v, "24") != 0)
            return vg_fail(err, VG_EINVAL, "%s: [%s] %s: \"%s\" is not one of 0, 1, 24", where,
                           k->section, k->key, v);
        *(int *)field = atoi(v);
        return VG_OK;
    case CONF_T_BOOL:
        if (!strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
            !strcmp(v, "1")) {
            *(int *)field = 1;
        } else if (!strcasecmp(v, "off") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
                   !strcmp(v, "0")) {
            *(int *)field = 0;
        } else {
            return vg_fail(err, VG_EINVAL, "%s: [%s] %s: \"%s\" is not on/off", where, k->section,
                           k->key, v);
        }
        return VG_OK;
    case CONF_T_SYNC:
        if (!strcmp(v, "sync"))
            *(conf_sync_t *)field = CONF_SYNC_SYNC;
        else if (!strcmp(v, "write_nosync"))
            *(conf_sync_t *)field = CONF_SYNC_WRITE_NOSYNC;
        else if (!strcmp(v, "nosync"))
            *(conf_sync_t *)field = CONF_SYNC_NOSYNC;
        else
            return vg_fail(err, VG_EINVAL,
                           "%s: [%s] %s: \"%s\" is not one of sync, write_nosync, nosync", where,
                           k->section, k->key, v);
        return VG_OK;
    case CONF_T_LEVEL: {
        int level = vg_log_level_parse(v);

        if (level < 0)
            return vg_fail(err, VG_EINVAL,
                           "%s: [%s] %s: \"%s\" is not one of error, warn, info, debug", where,
                           k->section, k->key, v);
        *(int *)field = level;
        return VG_OK;
    }
    }
    return vg_fail(err, VG_EINTERNAL, "conf: bad key type");
}

void conf_defaults(conf_t *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < CONF_NKEYS; i++) {
        vg_err_t err = {0};
        int rc = conf_set(c, &conf_keys[i], conf_keys[i].def, "default", &err);

        if (rc != VG_OK) { /* a bad entry in conf_keys: a programming error */
            fprintf(stderr, "conf: bad built-in default: %s\n", err.msg);
            abort();
        }
    }
}

void conf_fini(conf_t *c)
{
    for (size_t i = 0; i < CONF_NKEYS; i++)
        if (conf_keys[i].type == CONF_T_STR) {
            char **s = (char **)((char *)c + conf_keys[i].off);

            free(*s);
            *s = NULL;
        }
    free(c->path);
    c->path = NULL;
}

static const conf_key_t *conf_find(const char *section, size_t slen, const char *key, size_t klen)
{
    for (size_t i = 0; i < CONF_NKEYS; i++)
        if (strlen(conf_keys[i].section) == slen &&
            !strncasecmp(conf_keys[i].section, section, slen) && strlen(conf_keys[i].key) == klen &&
            !strncasecmp(conf_keys[i].key, key, klen))
            return &conf_keys[i];
    return NULL;
}

static int conf_section_known(const char *section, size_t slen)
{
    for (size_t i = 0; i < CONF_NKEYS; i++)
        if (strlen(conf_keys[i].section) == slen &&
            !strncasecmp(conf_keys[i].section, section, slen))
            return 1;
    return 0;
}

static void conf_trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

int conf_parse(conf_t *c, const char *name, const char *text, vg_err_t *err)
{
    char section[64] = "";
    int lineno = 0;
    const char *p = text;

    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        const char *s = p, *e = eol ? eol : p + strlen(p);
        char where[512];

        p = eol ? eol + 1 : e;
        lineno++;
        snprintf(where, sizeof where, "%s:%d", name, lineno);
        conf_trim(&s, &e);
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            const char *ns, *ne;

            if (e[-1] != ']')
                return vg_fail(err, VG_EINVAL, "%s: section header without closing ']'", where);
            ns = s + 1;
            ne = e - 1;
            conf_trim(&ns, &ne);
            if (!conf_section_known(ns, (size_t)(ne - ns)))
                return vg_fail(err, VG_EINVAL, "%s: unknown section [%.*s]", where, (int)(ne - ns),
                               ns);
            snprintf(section, sizeof section, "%.*s", (int)(ne - ns), ns);
            for (char *q = section; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            continue;
        }
        const char *eq = memchr(s, '=', (size_t)(e - s));
        const char *ks = s, *ke, *vs, *ve = e;

        if (eq == NULL)
            return vg_fail(err, VG_EINVAL, "%s: expected key = value", where);
        if (section[0] == '\0')
            return vg_fail(err, VG_EINVAL, "%s: key outside any [section]", where);
        ke = eq;
        vs = eq + 1;
        conf_trim(&ks, &ke);
        conf_trim(&vs, &ve);
        /* a value may be quoted to keep leading/trailing spaces or '#' */
        if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
            vs++;
            ve--;
        } else {
            /* an unquoted value ends at " #" or " ;" (inline comment) */
            for (const char *q = vs; q < ve; q++)
                if ((*q == '#' || *q == ';') && q > vs && isspace((unsigned char)q[-1])) {
                    ve = q;
                    conf_trim(&vs, &ve);
                    break;
                }
        }
        const conf_key_t *k = conf_find(section, strlen(section), ks, (size_t)(ke - ks));

        if (k == NULL)
            return vg_fail(err, VG_EINVAL, "%s: unknown key \"%.*s\" in [%s]", where,
                           (int)(ke - ks), ks, section);
        char *v = vg_xmalloc((size_t)(ve - vs) + 1);

        memcpy(v, vs, (size_t)(ve - vs));
        v[ve - vs] = '\0';
        int rc = conf_set(c, k, v, where, err);

        free(v);
        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

int conf_apply_env(conf_t *c, char *const *envp, vg_err_t *err)
{
    for (; envp != NULL && *envp != NULL; envp++) {
        const char *var = *envp, *us, *eq;

        if (strncmp(var, "VIGIL_", 6) != 0 || (eq = strchr(var, '=')) == NULL)
            continue;
        us = memchr(var + 6, '_', (size_t)(eq - (var + 6)));
        if (us == NULL || !conf_section_known(var + 6, (size_t)(us - (var + 6))))
            continue; /* VIGIL_CONFIG, VIGIL_FAKE_NOW and friends are not config keys */
        const conf_key_t *k =
            conf_find(var + 6, (size_t)(us - (var + 6)), us + 1, (size_t)(eq - (us + 1)));
        char where[160];

        snprintf(where, sizeof where, "environment %.*s", (int)(eq - var), var);
        if (k == NULL)
            return vg_fail(err, VG_EINVAL, "%s: no such key", where);
        int rc = conf_set(c, k, eq + 1, where, err);

        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

const char *conf_default_path(const char *explicit_path)
{
    const char *env;

    if (explicit_path != NULL && *explicit_path != '\0')
        return explicit_path;
    env = getenv("VIGIL_CONFIG");
    if (env != NULL && *env != '\0')
        return env;
    return "/etc/vigil/vigil.conf";
}

/* Reads a whole small file; config files past 1 MiB are refused. */
static int conf_read_file(const char *path, char **out, int must_exist, vg_err_t *err)
{
    FILE *f = fopen(path, "r");
    char *text;
    size_t n;

    *out = NULL;
    if (f == NULL) {
        if (errno == ENOENT && !must_exist)
            return VG_OK;
        return vg_fail(err, VG_EINVAL, "%s: cannot open: %s", path, strerror(errno));
    }
    text = vg_xmalloc(1024 * 1024 + 1);
    n = fread(text, 1, 1024 * 1024 + 1, f);
    if (ferror(f)) {
        fclose(f);
        free(text);
        return vg_fail(err, VG_EINVAL, "%s: read error", path);
    }
    fclose(f);
    if (n > 1024 * 1024) {
        free(text);
        return vg_fail(err, VG_EINVAL, "%s: larger than 1 MiB", path);
    }
    if (memchr(text, '\0', n) != NULL) {
        free(text);
        return vg_fail(err, VG_EINVAL, "%s: contains a NUL byte", path);
    }
    text[n] = '\0';
    *out = text;
    return VG_OK;
}

int conf_load(conf_t *c, const char *path, int must_exist, vg_err_t *err)
{
    char *text = NULL;
    int rc;

    conf_defaults(c);
    if (path != NULL) {
        if ((rc = conf_read_file(path, &text, must_exist, err)) != VG_OK)
            return rc;
        if (text != NULL) {
            c->path = vg_xstrdup(path);
            rc = conf_parse(c, path, text, err);
            free(text);
            if (rc != VG_OK)
                return rc;
        }
    }
    return conf_apply_env(c, environ, err);
}

int conf_workers(const conf_t *c)
{
    long n;

    if (c->fcgi_workers > 0)
        return c->fcgi_workers;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(2 * n) : 2;
}

void conf_dump(const conf_t *c, FILE *out)
{
    const char *section = "";

    fprintf(out, "# vigil configuration. Every key may be overridden by VIGIL_<SECTION>_<KEY>.\n");
    for (size_t i = 0; i < CONF_NKEYS; i++) {
        const conf_key_t *k = &conf_keys[i];
        const void *field = (const char *)c + k->off;

        if (strcmp(section, k->section) != 0) {
            fprintf(out, "\n[%s]\n", k->section);
            section = k->section;
        }
        fprintf(out, "# %s (default: %s)\n%s = ", k->doc, *k->def ? k->def : "\"\"", k->key);
        switch (k->type) {
        case CONF_T_STR: {
            const char *s = *(char *const *)field;

            /* quote what the parser would otherwise trim or cut */
            if (*s == '\0' || isspace((unsigned char)s[0]) ||
                isspace((unsigned char)s[strlen(s) - 1]) || strpbrk(s, "#;\""))
                fprintf(out, "\"%s\"\n", s);
            else
                fprintf(out, "%s\n", s);
            break;
        }
        case CONF_T_INT:
        case CONF_T_HOURS:
            fprintf(out, "%d\n", *(const int *)field);
            break;
        case CONF_T_BOOL:
            fprintf(out, "%s\n", *(const int *)field ? "on" : "off");
            break;
        case CONF_T_SYNC:
            fprintf(out, "%s\n", conf_sync_name(*(const conf_sync_t *)field));
            break;
        case CONF_T_LEVEL:
            fprintf(out, "%s\n", conf_level_name(*(const int *)field));
            break;
        }
    }
}
