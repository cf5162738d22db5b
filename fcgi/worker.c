/* fcgi/worker.c - libfcgi lives here. The listen socket is non-blocking and the worker waits in
 * ppoll() with its stop signals unblocked only there, so SIGTERM can never be lost between the
 * flag check and a blocking accept, and a request in progress always finishes.
 * SPDX-License-Identifier: MIT */
#include "worker.h"

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "serve.h"
#include "stats.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t fc_worker_stop;

static void fc_worker_on_stop(int sig)
{
    (void)sig;
    fc_worker_stop = 1;
}

/* SIGALRM only interrupts a read that stalls inside FCGX_Accept_r (see fc_worker_run) */
static void fc_worker_on_alarm(int sig)
{
    (void)sig;
}

static long fc_fcgx_read(void *ctx, char *buf, size_t n)
{
    FCGX_Request *r = ctx;
    int got = FCGX_GetStr(buf, n > INT_MAX ? INT_MAX : (int)n, r->in);

    if (got <= 0)
        return FCGX_GetError(r->in) != 0 ? -1 : 0;
    return got;
}

static int fc_fcgx_write(void *ctx, const char *buf, size_t n)
{
    FCGX_Request *r = ctx;

    while (n > 0) {
        int chunk = n > (1u << 20) ? 1 << 20 : (int)n;

        if (FCGX_PutStr(buf, chunk, r->out) != chunk)
            return -1;
        buf += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

/* (Re)opens the store; remembers why it failed so /healthz can say. */
static void fc_worker_open_store(fc_worker_t *w, store_mode_t mode, int64_t *last_try)
{
    vg_err_t err = {0};

    *last_try = vg_mono_us();
    if (store_open(w->conf, mode, &w->store, &err) == VG_OK) {
        free((char *)w->store_error);
        w->store_error = NULL;
        return;
    }
    vg_log(LOG_ERR, "worker: %s", err.msg);
    free((char *)w->store_error);
    w->store_error = vg_xstrdup(err.msg);
}

static void fc_worker_signals(sigset_t *waitmask)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fc_worker_on_stop; /* no SA_RESTART: ppoll must return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = fc_worker_on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, waitmask);
    sigdelset(waitmask, SIGTERM);
    sigdelset(waitmask, SIGINT);
    sigdelset(waitmask, SIGHUP);
}

int fc_worker_run(const conf_t *c, int listen_fd, store_mode_t mode)
{
    fc_worker_t w = {.conf = c};
    FCGX_Request r;
    sigset_t waitmask;
    int64_t last_try = 0;
    int status = 0;

    fc_worker_signals(&waitmask);
    /* several processes may share this socket (spawn-fcgi -F, or the master's workers): the
     * ones that lose the race after ppoll must get EAGAIN, not block with signals masked */
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    vg_arena_init(&w.arena, 0);
    fc_worker_open_store(&w, mode, &last_try);
    if (fc_stats_open(c->store_home) < 0)
        vg_log(LOG_WARNING, "worker: cannot map %s/vigil.stats: %s", c->store_home,
               strerror(errno));
    if (FCGX_Init() != 0) {
        vg_log(LOG_ERR, "worker: FCGX_Init failed");
        return 1;
    }
    FCGX_InitRequest(&r, listen_fd, 0);
    vg_log(LOG_INFO, "worker: ready (store %s)", w.store ? "open" : "unavailable");

    while (!fc_worker_stop) {
        /* a kept connection (FCGI_KEEP_CONN) carries the next request; else wait for a new one */
        struct pollfd pfd = {.fd = r.ipcFd >= 0 ? r.ipcFd : listen_fd, .events = POLLIN};
        int rc = ppoll(&pfd, 1, NULL, &waitmask);

        if (rc < 0) {
            if (errno == EINTR)
                continue;
            vg_log(LOG_ERR, "worker: poll: %s", strerror(errno));
            status = 1;
            break;
        }
        /* FCGX_Accept_r reads the request's parameters before we can set socket timeouts: a
         * peer that stalls there would hold this worker forever, so an alarm interrupts the
         * read (libfcgi then drops the connection and we go back to waiting) */
        alarm((unsigned)c->fcgi_io_timeout_s);
        rc = FCGX_Accept_r(&r);
        alarm(0);
        if (rc < 0) {
            /* another worker took the connection (EAGAIN), or the web server dropped it */
            if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR || rc == -ECONNABORTED)
                continue;
            vg_log(LOG_ERR, "worker: accept: %s", strerror(-rc));
            if (rc == -EBADF || rc == -ENOTSOCK || rc == -EINVAL) {
                status = 1;
                break;
            }
            continue;
        }
        struct timeval tv = {c->fcgi_io_timeout_s, 0};

        setsockopt(r.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(r.ipcFd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (w.store == NULL && vg_mono_us() - last_try > 1000000)
            fc_worker_open_store(&w, mode, &last_try);

        fc_conn_t conn = {.ctx = &r, .read = fc_fcgx_read, .write = fc_fcgx_write};
        size_t n = 0;

        while (r.envp[n] != NULL)
            n++;
        fc_serve(&w, r.envp, n, &conn);
        FCGX_Finish_r(&r);
        if (store_panicked(w.store)) {
            vg_log(LOG_ERR, "worker: the store needs recovery; exiting");
            status = 75;
            break;
        }
    }
    if (r.ipcFd >= 0 && r.ipcFd != listen_fd)
        close(r.ipcFd);
    store_close(w.store);
    free((char *)w.store_error);
    vg_arena_fini(&w.arena);
    vg_log(LOG_INFO, "worker: exiting");
    return status;
}

static long fc_cgi_read(void *ctx, char *buf, size_t n)
{
    ssize_t got;

    (void)ctx;
    do
        got = read(STDIN_FILENO, buf, n);
    while (got < 0 && errno == EINTR);
    return got;
}

static int fc_cgi_write(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    while (n > 0) {
        ssize_t put = write(STDOUT_FILENO, buf, n);

        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return -1;
        buf += put;
        n -= (size_t)put;
    }
    return 0;
}

int fc_cgi_run(const conf_t *c)
{
    fc_worker_t w = {.conf = c};
    fc_conn_t conn = {.ctx = NULL, .read = fc_cgi_read, .write = fc_cgi_write};
    int64_t last_try;

    signal(SIGPIPE, SIG_IGN);
    vg_arena_init(&w.arena, 0);
    fc_worker_open_store(&w, STORE_OPEN_AUTO, &last_try);
    fc_stats_open(c->store_home);
    fc_serve(&w, environ, (size_t)-1, &conn);
    store_close(w.store);
    free((char *)w.store_error);
    vg_arena_fini(&w.arena);
    return 0;
}
