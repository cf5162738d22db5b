/* tools/vigilctl.c - the admin command line. It opens the same environment as the running
 * processes (joining them when they are up, recovering only when nobody is attached) and acts
 * on it in ordinary transactions, so it is safe against a live instance.
 * SPDX-License-Identifier: MIT */
#include "conf/conf.h"
#include "core/digest.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"
#include "ctl.h"
#include "store/resources.h"
#include "store/store.h"
#include "store/stream.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ctl_usage(FILE *f)
{
    fprintf(f,
            "usage: vigilctl [--config PATH] COMMAND [ARGS]\n"
            "  config                          print the effective configuration\n"
            "  status                          store statistics\n"
            "  checkpoint                      checkpoint and drop unneeded log files\n"
            "  compact                         fill the series databases' pages, free the rest\n"
            "  appkey add --project P --key K  register an appkey for project P\n"
            "  appkey list                     list appkeys (digests only)\n"
            "  import [--project P] [--format auto|prom|openmetrics|influx] [--db DB] [--rp RP]\n"
            "         [--precision n|u|ms|s|m|h] [--batch-mb N] FILE\n"
            "      store FILE (- for stdin) in project P (default: [store] default_project), in\n"
            "      batches of N MiB (default 4) cut at line ends, one transaction each. A batch\n"
            "      is parsed and stored as POST /prometheus/api/v1/import/prometheus would, or\n"
            "      for line protocol as POST /write would (--db is required, --rp and --precision\n"
            "      as there, the stream log records the batch). Missing timestamps are the time\n"
            "      the import started. --format auto: OpenMetrics if a `# EOF` line is in the\n"
            "      first batch or ends the file; else Prometheus text 0.0.4 if a `# HELP` or\n"
            "      `# TYPE` line comes first or the first data line (not blank, not `#`) is\n"
            "      `name{...} value` or `name value [ts]`; else line protocol if that line's\n"
            "      second space-separated token holds `=` (`measurement[,tags] field=value`).\n"
            "      Prometheus text on a pipe longer than one batch needs an explicit --format.\n"
            "      A bad line prints `FILE:LINE: problem` and exits 1; the batches before the\n"
            "      one holding it stay stored. A summary line ends the run on stderr, after a\n"
            "      progress line while stderr is a terminal.\n"
            "  dump [--project P] --match SELECTOR [--start T] [--end T]\n"
            "      print the samples of the matching series with start <= t <= end (RFC 3339 or\n"
            "      unix seconds; unbounded by default) as `name{label=\"value\",...} value ms`\n"
            "      lines, which import back to the same samples (metadata is not dumped).\n");
}

typedef struct {
    const char *project, *digest;
    char created[40];
} ctl_appkey_t;

static int ctl_appkey_put(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    ctl_appkey_t *a = arg;
    json_object *o = json_object_new_object();
    size_t len;
    const char *text;
    int rc;

    json_object_object_add(o, "project", json_object_new_string(a->project));
    json_object_object_add(o, "created", json_object_new_string(a->created));
    text = vg_json_text(o, &len);
    rc = store_res_put(st, txn, "appkey", a->digest, text, len, err);
    json_object_put(o);
    return rc;
}

static int ctl_appkey_print(const char *id, const char *doc, size_t len, void *arg)
{
    json_object *o = json_tokener_parse(doc), *p = NULL, *c = NULL;

    (void)len;
    (void)arg;
    if (o != NULL) {
        json_object_object_get_ex(o, "project", &p);
        json_object_object_get_ex(o, "created", &c);
    }
    printf("%-24s %-24s sha256:%.16s...\n", p ? json_object_get_string(p) : "?",
           c ? json_object_get_string(c) : "?", id);
    json_object_put(o);
    return 0;
}

static int ctl_appkey_list(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    (void)arg;
    printf("%-24s %-24s %s\n", "PROJECT", "CREATED", "KEY");
    return store_res_list(st, txn, "appkey", ctl_appkey_print, NULL, err);
}

static int ctl_appkey(store_t *st, int argc, char **argv, vg_err_t *err)
{
    static const struct option opts[] = {{"project", required_argument, NULL, 'p'},
                                         {"key", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    ctl_appkey_t a = {0};
    const char *key = NULL;
    char digest[65];
    int opt;

    if (argc < 2) {
        ctl_usage(stderr);
        return vg_fail(err, VG_EINVAL, "appkey: missing subcommand");
    }
    if (strcmp(argv[1], "list") == 0)
        return store_txn_run(st, ctl_appkey_list, NULL, err);
    if (strcmp(argv[1], "add") != 0)
        return vg_fail(err, VG_EINVAL, "appkey: unknown subcommand \"%s\"", argv[1]);
    optind = 2;
    while ((opt = getopt_long(argc, argv, "p:k:", opts, NULL)) != -1) {
        if (opt == 'p')
            a.project = optarg;
        else if (opt == 'k')
            key = optarg;
        else
            return vg_fail(err, VG_EINVAL, "appkey add: bad option");
    }
    if (a.project == NULL || *a.project == '\0' || key == NULL || *key == '\0')
        return vg_fail(err, VG_EINVAL, "appkey add needs --project and --key");
    if (strlen(key) < 8)
        return vg_fail(err, VG_EINVAL, "appkey add: a key needs at least 8 characters");
    vg_sha256_hex(key, strlen(key), digest);
    a.digest = digest;
    vg_rfc3339_format(vg_now_ms(), a.created, sizeof a.created);
    int rc = store_txn_run(st, ctl_appkey_put, &a, err);

    if (rc == VG_OK)
        printf("appkey for project %s stored (sha256:%.16s...)\n", a.project, digest);
    return rc;
}

static int ctl_compact(store_t *st, vg_err_t *err)
{
    uint64_t freed = 0;
    int rc = store_compact(st, &freed, err);

    if (rc == VG_OK)
        printf("compacted; %llu pages given back\n", (unsigned long long)freed);
    return rc;
}

static int ctl_stream_size_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    return store_stream_size(st, txn, arg, err);
}

static int ctl_status(store_t *st, vg_err_t *err)
{
    store_stats_t s;
    uint64_t stream = 0;
    int rc = store_stats(st, STORE_STATS_ALL, &s, err);

    if (rc == VG_OK)
        rc = store_txn_run(st, ctl_stream_size_txn, &stream, err);
    if (rc != VG_OK)
        return rc;
    printf("home                 %s\n", store_home(st));
    printf("cache_hits           %llu\n", (unsigned long long)s.cache_hits);
    printf("cache_misses         %llu\n", (unsigned long long)s.cache_misses);
    printf("lock_requests        %llu\n", (unsigned long long)s.lock_requests);
    printf("lock_waits           %llu\n", (unsigned long long)s.lock_waits);
    printf("deadlocks            %llu\n", (unsigned long long)s.deadlocks);
    printf("active_transactions  %u\n", s.active_txns);
    printf("commits              %llu\n", (unsigned long long)s.commits);
    printf("log_bytes            %llu\n", (unsigned long long)s.log_bytes);
    printf("last_checkpoint      %lld\n", (long long)s.last_checkpoint_s);
    printf("stream_bytes         %llu\n", (unsigned long long)stream);
    return VG_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *cmd;
    vg_err_t err = {0};
    store_t *st = NULL;
    conf_t c;
    int opt, rc;

    /* options end at the command: its own options are parsed by the command */
    while ((opt = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        if (opt == 'c') {
            config = optarg;
        } else if (opt == 'h') {
            ctl_usage(stdout);
            return 0;
        } else {
            ctl_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        ctl_usage(stderr);
        return 2;
    }
    cmd = argv[optind];
    if (conf_load(&c, conf_default_path(config), config != NULL || getenv("VIGIL_CONFIG"), &err) !=
        VG_OK) {
        fprintf(stderr, "vigilctl: %s\n", err.msg);
        return 1;
    }
    vg_log_init("vigilctl", c.log_level < LOG_WARNING ? c.log_level : LOG_WARNING);
    if (strcmp(cmd, "config") == 0) {
        conf_dump(&c, stdout);
        conf_fini(&c);
        return 0;
    }
    if (strcmp(cmd, "status") != 0 && strcmp(cmd, "checkpoint") != 0 &&
        strcmp(cmd, "compact") != 0 && strcmp(cmd, "appkey") != 0 && strcmp(cmd, "import") != 0 &&
        strcmp(cmd, "dump") != 0) {
        fprintf(stderr, "vigilctl: unknown command \"%s\"\n", cmd);
        ctl_usage(stderr);
        conf_fini(&c);
        return 2;
    }
    if (store_open(&c, STORE_OPEN_AUTO, &st, &err) != VG_OK) {
        fprintf(stderr, "vigilctl: %s\n", err.msg);
        conf_fini(&c);
        return 1;
    }
    if (strcmp(cmd, "status") == 0)
        rc = ctl_status(st, &err);
    else if (strcmp(cmd, "checkpoint") == 0)
        rc = store_checkpoint(st, 1, &err);
    else if (strcmp(cmd, "compact") == 0)
        rc = ctl_compact(st, &err);
    else if (strcmp(cmd, "import") == 0)
        rc = ctl_import(&c, st, argc - optind, argv + optind, &err);
    else if (strcmp(cmd, "dump") == 0)
        rc = ctl_dump(&c, st, argc - optind, argv + optind, &err);
    else
        rc = ctl_appkey(st, argc - optind, argv + optind, &err);
    if (rc != VG_OK && err.subcode != CTL_SUB_REPORTED)
        fprintf(stderr, "vigilctl: %s\n", err.msg);
    store_close(st);
    conf_fini(&c);
    if (rc == VG_OK)
        return 0;
    return rc == VG_EINVAL && err.subcode != CTL_SUB_REPORTED ? 2 : 1;
}
