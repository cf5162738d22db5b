/* core/log.h - one line per event to stderr: time, level, pid, request id, module-first message.
 * SPDX-License-Identifier: MIT */
#ifndef VG_LOG_H
#define VG_LOG_H

#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

/* Sets the highest level written (LOG_ERR .. LOG_DEBUG) and the process name in each line. */
void vg_log_init(const char *prog, int level);
/* Parses "error", "warn", "info", "debug"; returns -1 for anything else. */
int vg_log_level_parse(const char *s);
/* Sets the request id printed in every line until the next call (NULL or "" = none). */
void vg_log_set_request(const char *id);
int vg_log_enabled(int level);
void vg_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
