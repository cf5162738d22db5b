/* tools/ctl.h - what vigilctl's command files share with tools/vigilctl.c: each command gets the
 * loaded configuration, the open store and its own argv (argv[0] is the command's name), and
 * returns VG_OK or a VG_E* code with the message in err.
 * SPDX-License-Identifier: MIT */
#ifndef CTL_H
#define CTL_H

#include "conf/conf.h"
#include "core/err.h"
#include "store/store.h"

#include <stdint.h>

/* err->subcode of a failure the command has already reported on stderr in its own form (such as
 * FILE:LINE: lines): main prints nothing more and exits 1. Distinct from the subcodes the
 * layers below set. */
#define CTL_SUB_REPORTED 0x63746c

/* The progress bar of a long command: CTL_BAR characters of '#' and '.' for done of total
 * (total > 0) into bar (CTL_BAR + 1 bytes); returns the percentage. */
#define CTL_BAR 24
int ctl_bar(char *bar, uint64_t done, uint64_t total);

/* `vigilctl import`: a file of Prometheus text, OpenMetrics or line protocol into the store, in
 * batches of one transaction each (tools/import.c has the rules). */
int ctl_import(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err);

/* `vigilctl dump`: the samples of the series a selector matches, as Prometheus text with
 * millisecond timestamps on stdout. */
int ctl_dump(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err);

/* `vigilctl appkey create|add|list|revoke` and `vigilctl server add|remove|list`
 * (tools/sysmon.c). */
int ctl_appkey(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err);
int ctl_server(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err);

/* `vigilctl devices load FILE` and `vigilctl token create [--ttl D]` (tools/concertim.c). */
int ctl_devices(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err);
int ctl_token(const conf_t *c, int argc, char **argv, vg_err_t *err);

/* `vigilctl stacky ingest|report|images` (tools/stacky.c): StackTach notifications from a
 * JSON-lines file, the summary report on demand, the glance image usage tables. */
int ctl_stacky(const conf_t *c, store_t *st, int argc, char **argv, vg_err_t *err);

#endif
