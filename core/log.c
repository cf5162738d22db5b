/* core/log.c - stderr logger. One write(2) per line so lines of concurrent workers never
 * interleave.
 * SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int vg_log_level = LOG_INFO;
static char vg_log_prog[32] = "vigil";
static char vg_log_reqid[40];

void vg_log_init(const char *prog, int level)
{
    if (prog != NULL)
        snprintf(vg_log_prog, sizeof vg_log_prog, "%s", prog);
    vg_log_level = level;
}

int vg_log_level_parse(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {
        {"error", LOG_ERR}, {"warn", LOG_WARNING}, {"info", LOG_INFO}, {"debug", LOG_DEBUG}};

    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcasecmp(s, levels[i].name) == 0)
            return levels[i].level;
    return -1;
}

void vg_log_set_request(const char *id)
{
    snprintf(vg_log_reqid, sizeof vg_log_reqid, "%s", id ? id : "");
}

int vg_log_enabled(int level)
{
    return level <= vg_log_level;
}

void vg_log(int level, const char *fmt, ...)
{
    static const char *names[] = {"emerg", "alert",  "crit", "error",
                                  "warn",  "notice", "info", "debug"};
    char line[2048];
    struct timeval tv;
    struct tm tm;
    va_list ap;
    int n;

    if (!vg_log_enabled(level))
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s[%d] %s%s%s ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(tv.tv_usec / 1000), vg_log_prog, (int)getpid(), names[level & 7],
                 vg_log_reqid[0] ? " req=" : "", vg_log_reqid);
    if (n < 0)
        return;
    va_start(ap, fmt);
    if ((size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    /* control characters from client input must not forge log lines */
    for (int i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20)
            line[i] = ' ';
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nothing sensible to do when stderr is gone */
    }
}
