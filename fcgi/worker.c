/* fcgi/worker.c - libfcgi lives here. The worker accepts connections itself on a non-blocking
 * socket, sets their I/O timeouts and hands them to FCGX_Accept_r, so a peer that stalls at any
 * point cannot hold a worker. The only blocking wait is ppoll(), entered with the stop signals
 * blocked and unblocked by ppoll itself, so a stop is never lost; elsewhere the handlers only
 * set a flag (SA_RESTART), so a request in progress always finishes, and under load the loop
 * makes no signal-related system calls at all.
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
#include <sys/epoll.h>
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

/* Installs the stop handlers; *block gets the stop signals, *waitmask the mask to wait with. */
static void fc_worker_signals(sigset_t *block, sigset_t *waitmask)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fc_worker_on_stop;
    sa.sa_flags = SA_RESTART; /* I/O in a request resumes; ppoll still returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(block);
    sigaddset(block, SIGTERM);
    sigaddset(block, SIGINT);
    sigaddset(block, SIGHUP);
    sigprocmask(SIG_UNBLOCK, block, NULL);
    sigprocmask(SIG_BLOCK, NULL, waitmask); /* the mask now: stop signals deliverable */
}

/* Waits until fd is readable or a stop signal arrives. Returns 0, or -1 on a poll error. */
static int fc_worker_wait(int fd, const sigset_t *block, const sigset_t *waitmask)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    sigset_t old;
    int rc = 0;

    sigprocmask(SIG_BLOCK, block, &old);
    if (!fc_worker_stop && ppoll(&pfd, 1, NULL, waitmask) < 0 && errno != EINTR) {
        vg_log(LOG_ERR, "worker: poll: %s", strerror(errno));
        rc = -1;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* The listening socket's wait. Every worker waits on the same socket, and a poll wakes them all
 * for each connection (only one wins the accept; the rest wake, fail and wait again): with
 * nginx's one connection per request that cost each request a context switch per idle worker.
 * An exclusive epoll entry wakes one. ep < 0 (no epoll): the poll above. */
static int fc_worker_wait_listen(int ep, int fd, const sigset_t *block, const sigset_t *waitmask)
{
    struct epoll_event ev;
    sigset_t old;
    int rc = 0;

    if (ep < 0)
        return fc_worker_wait(fd, block, waitmask);
    sigprocmask(SIG_BLOCK, block, &old);
    if (!fc_worker_stop && epoll_pwait(ep, &ev, 1, -1, waitmask) < 0 && errno != EINTR) {
        vg_log(LOG_ERR, "worker: epoll_wait: %s", strerror(errno));
        rc = -1;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static int fc_worker_epoll(int listen_fd)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd};
    int ep = epoll_create1(EPOLL_CLOEXEC);

    if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
        vg_log(LOG_WARNING, "worker: epoll on the listening socket: %s; polling", strerror(errno));
        close(ep);
        ep = -1;
    }
    return ep;
}

static void fc_worker_timeouts(int fd, int secs)
{
    struct timeval tv = {secs, 0};

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int fc_worker_run(const conf_t *c, int listen_fd, store_mode_t mode)
{
    fc_worker_t w = {.conf = c};
    FCGX_Request r;
    sigset_t block, waitmask;
    int64_t last_try = 0;
    int status = 0, ep;

    fc_worker_signals(&block, &waitmask);
    /* several processes may share this socket (spawn-fcgi -F, or the master's workers): the
     * ones that lose the race for a connection get EAGAIN and wait again */
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    vg_arena_init(&w.arena, 0);
    fc_worker_open_store(&w, mode, &last_try);
    if (fc_stats_open(c->store_home) < 0)
        vg_log(LOG_WARNING, "worker: cannot map %s/vigil.stats: %s", c->store_home,
               strerror(errno));
    if (FCGX_Init() != 0) {
        vg_log(LOG_ERR, "worker: FCGX_Init failed");
        store_close(w.store);
        return 1;
    }
    FCGX_InitRequest(&r, listen_fd, 0);
    ep = fc_worker_epoll(listen_fd);
    vg_log(LOG_INFO, "worker: ready (store %s)", w.store ? "open" : "unavailable");

    while (!fc_worker_stop) {
        int fd, rc;

        if (r.ipcFd >= 0) {
            /* a kept connection (FCGI_KEEP_CONN) carries the next request */
            if (fc_worker_wait(r.ipcFd, &block, &waitmask) < 0) {
                status = 1;
                break;
            }
            if (fc_worker_stop)
                break;
            fd = r.ipcFd;
        } else {
            fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    if (fc_worker_wait_listen(ep, listen_fd, &block, &waitmask) < 0) {
                        status = 1;
                        break;
                    }
                    continue;
                }
                if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                    continue;
                vg_log(LOG_ERR, "worker: accept: %s", strerror(errno));
                if (errno == EBADF || errno == ENOTSOCK || errno == EINVAL) {
                    status = 1;
                    break;
                }
                if (fc_worker_wait(listen_fd, &block, &waitmask) < 0)
                    break;
                continue;
            }
            /* before libfcgi reads a byte: a peer stalling anywhere in the request, its
             * parameters included, costs this worker at most [fcgi] io_timeout_s */
            fc_worker_timeouts(fd, c->fcgi_io_timeout_s);
            r.ipcFd = fd;
            r.keepConnection = 1; /* FCGX_Accept_r must not close it before reading */
        }
        if ((rc = FCGX_Accept_r(&r)) < 0) {
            /* the peer sent no valid request (libfcgi closed it), or libfcgi found no other
             * connection waiting: back to the top */
            if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR && rc != -ECONNABORTED)
                vg_log(LOG_WARNING, "worker: dropped a connection: %s", strerror(-rc));
            continue;
        }
        if (r.ipcFd != fd) /* libfcgi accepted another connection itself after a bad one */
            fc_worker_timeouts(r.ipcFd, c->fcgi_io_timeout_s);
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
    if (ep >= 0)
        close(ep);
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
