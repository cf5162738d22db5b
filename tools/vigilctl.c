/* tools/vigilctl.c - the admin command line. It opens the same environment as the running
 * processes (joining them when they are up, recovering only when nobody is attached) and acts
 * on it in ordinary transactions, so it is safe against a live instance.
 * SPDX-License-Identifier: MIT */
#include "conf/conf.h"
#include "core/log.h"
#include "core/time.h"
#include "ctl.h"
#include "store/store.h"
#include "store/stream.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_bar(char *bar, uint64_t done, uint64_t total)
{
    int fill;

    if (done > total)
        done = total;
    fill = (int)(done * CTL_BAR / total);
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(CTL_BAR - fill));
    bar[CTL_BAR] = '\0';
    return (int)(done * 100 / total);
}

static void ctl_usage(FILE *f)
{
    fprintf(f,
            "usage: vigilctl [--config PATH] COMMAND [ARGS]\n"
            "  config                          print the effective configuration\n"
            "  status                          store statistics\n"
            "  checkpoint                      checkpoint and drop unneeded log files\n"
            "  compact                         fill the series databases' pages, free the rest\n"
            "  appkey create --project P       make a random appkey for project P; prints it last\n"
            "  appkey add --project P --key K  register a chosen key (8+ characters) for P\n"
            "  appkey list                     list appkeys (projects and digest prefixes)\n"
            "  appkey revoke KEY|sha256:HEX    revoke a key, by itself or by its digest prefix\n"
            "  server add [--project P] --host-id H --name N --ip IP [--instance-id I]\n"
            "         [--region kr|kr2|us|jp]\n"
            "      add or replace a host of P (default: [store] default_project) that the\n"
            "      sysmon API lists and targets scrape (region default kr)\n"
            "  server remove [--project P] --host-id H\n"
            "  server list [--project P]\n"
            "  devices load FILE               the Concertim device table becomes the ids of a\n"
            "                                  data-source map ({grid:{cluster:{host:id}}})\n"
            "  token create [--ttl 24h]        print an HS256 JWT for /mrd signed with the\n"
            "                                  [concertim] secret ($JWT_SECRET, secret_file)\n"
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
            "      lines, which import back to the same samples (metadata is not dumped).\n"
            "  stacky ingest [--deployment NAME] [--service nova|glance|generic] FILE\n"
            "      store the StackTach notifications of FILE (- for stdin), one per line\n"
            "      ([routing_key, body] or the body alone), as POST /stacky/ingest/ would, for\n"
            "      deployment NAME (default `default`; the service is inferred when absent),\n"
            "      one transaction each. The first bad line prints `line N: problem (K\n"
            "      ingested before it)` and exits 1. A summary line ends the run on stderr,\n"
            "      after a progress bar while stderr is a terminal.\n"
            "  stacky report [--hours N] [--region R] [--start T]\n"
            "      make and store the `summary for region: R|all` report of the N hours\n"
            "      (default 1) from T (unix seconds or \"YYYY-MM-DD HH:MM\", UTC, a whole hour;\n"
            "      default: the last ended period of N hours) over the deployments whose name\n"
            "      contains R (any case; default all); prints the new report's id.\n"
            "  stacky images usage|deletes|exists\n"
            "      print the glance image usage, delete or exists rows as a JSON array.\n");
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
    if (strcmp(cmd, "token") == 0) {
        rc = ctl_token(&c, argc - optind, argv + optind, &err);
        if (rc != VG_OK)
            fprintf(stderr, "vigilctl: %s\n", err.msg);
        conf_fini(&c);
        return rc == VG_OK ? 0 : rc == VG_EINVAL ? 2 : 1;
    }
    if (strcmp(cmd, "status") != 0 && strcmp(cmd, "checkpoint") != 0 &&
        strcmp(cmd, "compact") != 0 && strcmp(cmd, "appkey") != 0 && strcmp(cmd, "import") != 0 &&
        strcmp(cmd, "dump") != 0 && strcmp(cmd, "server") != 0 && strcmp(cmd, "devices") != 0 &&
        strcmp(cmd, "stacky") != 0) {
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
    else if (strcmp(cmd, "devices") == 0)
        rc = ctl_devices(&c, st, argc - optind, argv + optind, &err);
    else if (strcmp(cmd, "server") == 0)
        rc = ctl_server(&c, st, argc - optind, argv + optind, &err);
    else if (strcmp(cmd, "stacky") == 0)
        rc = ctl_stacky(&c, st, argc - optind, argv + optind, &err);
    else
        rc = ctl_appkey(&c, st, argc - optind, argv + optind, &err);
    if (rc != VG_OK && err.subcode != CTL_SUB_REPORTED)
        fprintf(stderr, "vigilctl: %s\n", err.msg);
    store_close(st);
    conf_fini(&c);
    if (rc == VG_OK)
        return 0;
    return rc == VG_EINVAL && err.subcode != CTL_SUB_REPORTED ? 2 : 1;
}
