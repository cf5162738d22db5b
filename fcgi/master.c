/* fcgi/master.c - the supervisor. It opens the store first (DB_REGISTER|DB_RECOVER), forks the
 * workers, and when one dies reaps it, runs failchk so the dead process's locks are freed, and
 * forks a replacement after a back-off that grows while workers keep dying young. If failchk
 * says the environment needs recovery, every worker is stopped, the store recovered and the
 * pool started again. SIGHUP re-reads the config and rolls the workers; SIGTERM stops them
 * gracefully (requests in flight finish).
 * SPDX-License-Identifier: MIT */
#include "master.h"

#include "core/fs.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "stats.h"
#include "store/store.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FC_MAX_WORKERS      1024
#define FC_BACKOFF_MIN      100000   /* us */
#define FC_BACKOFF_MAX      10000000 /* us */
#define FC_YOUNG_US         2000000  /* a worker dying sooner than this grows the back-off */
#define FC_STOP_GRACE_US    30000000 /* SIGKILL after this long in a graceful stop */
#define FC_RECOVER_GRACE_US 2000000  /* and before recovery */

typedef struct {
    pid_t pid;
    int64_t started_us;
    int retiring; /* told to stop by a reload: not replaced when it exits */
} fc_child_t;

typedef struct {
    conf_t *conf;
    char *config_path;
    int listen_fd;
    char *unix_path; /* unlinked at exit */
    store_t *store;
    fc_child_t kids[FC_MAX_WORKERS];
    int nkids;
    int64_t backoff_us;
    int64_t next_spawn_us; /* no spawn before this (back-off) */
} fc_master_t;

int fc_listen(const char *addr, int backlog, vg_err_t *err)
{
    int fd, one = 1;

    if (addr[0] == '/' || addr[0] == '.') {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};

        if (strlen(addr) >= sizeof sun.sun_path)
            return vg_fail(err, VG_EINVAL, "unix socket path too long: %s", addr), -1;
        strcpy(sun.sun_path, addr);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return vg_fail(err, VG_EINTERNAL, "socket: %s", strerror(errno)), -1;
        /* a stale socket file is removed only when nobody answers on it */
        if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
            close(fd);
            return vg_fail(err, VG_ECONFLICT, "%s is in use by another process", addr), -1;
        }
        unlink(addr);
        close(fd);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
            int e = errno;

            if (fd >= 0)
                close(fd);
            return vg_fail(err, VG_EINTERNAL, "bind %s: %s", addr, strerror(e)), -1;
        }
        chmod(addr, 0660);
    } else {
        struct addrinfo hints = {.ai_family = AF_UNSPEC,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
        struct addrinfo *ai;
        char host[256];
        const char *colon = strrchr(addr, ':');
        int grc;

        if (colon == NULL || colon[1] == '\0')
            return vg_fail(err, VG_EINVAL,
                           "listen address \"%s\" is neither host:port nor a "
                           "path",
                           addr),
                   -1;
        snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
            memmove(host, host + 1, strlen(host));
            host[strlen(host) - 1] = '\0';
        }
        if ((grc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai)) != 0)
            return vg_fail(err, VG_EINVAL, "listen address \"%s\": %s", addr, gai_strerror(grc)),
                   -1;
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            int e = errno;

            if (fd >= 0)
                close(fd);
            freeaddrinfo(ai);
            return vg_fail(err, e == EADDRINUSE ? VG_ECONFLICT : VG_EINTERNAL, "bind %s: %s", addr,
                           strerror(e)),
                   -1;
        }
        freeaddrinfo(ai);
    }
    if (listen(fd, backlog) < 0) {
        int e = errno;

        close(fd);
        return vg_fail(err, VG_EINTERNAL, "listen %s: %s", addr, strerror(e)), -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static int fc_master_spawn(fc_master_t *m)
{
    pid_t pid;

    if (m->nkids >= FC_MAX_WORKERS)
        return -1;
    pid = fork();
    if (pid < 0) {
        vg_log(LOG_ERR, "master: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        sigset_t none;

        /* the child: its own environment handle after fork; the master's inherited one is never
         * touched (DESIGN.md) */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1)
            _exit(0); /* the master is already gone */
        signal(SIGCHLD, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        vg_log_init("vigil-fcgi", m->conf->log_level);
        int status = fc_worker_run(m->conf, m->listen_fd, STORE_OPEN_JOIN);

        _exit(status);
    }
    m->kids[m->nkids++] = (fc_child_t){pid, vg_mono_us(), 0};
    return 0;
}

static int fc_master_live(const fc_master_t *m)
{
    int n = 0;

    for (int i = 0; i < m->nkids; i++)
        n += !m->kids[i].retiring;
    return n;
}

static void fc_master_signal_all(fc_master_t *m, int sig)
{
    for (int i = 0; i < m->nkids; i++)
        kill(m->kids[i].pid, sig);
}

/* Stops every worker gracefully, killing those still busy after the grace period. */
static void fc_master_stop_all(fc_master_t *m, int64_t grace_us)
{
    int64_t deadline = vg_mono_us() + grace_us;

    fc_master_signal_all(m, SIGTERM);
    while (m->nkids > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);

        if (pid > 0) {
            for (int i = 0; i < m->nkids; i++)
                if (m->kids[i].pid == pid)
                    m->kids[i] = m->kids[--m->nkids];
            continue;
        }
        if (pid < 0 && errno == ECHILD) {
            m->nkids = 0;
            break;
        }
        if (vg_mono_us() > deadline) {
            vg_log(LOG_WARNING, "master: %d workers still busy after %lld ms; killing them",
                   m->nkids, (long long)(grace_us / 1000));
            fc_master_signal_all(m, SIGKILL);
            deadline = INT64_MAX;
        }
        struct timespec ts = {0, 10000000};

        nanosleep(&ts, NULL);
    }
}

/* The environment needs recovery: nobody may be attached while it runs. */
static int fc_master_recover(fc_master_t *m)
{
    vg_err_t err = {0};

    vg_log(LOG_ERR, "master: the store needs recovery: stopping all workers");
    /* a worker may wait for ever on a dead one's region mutex: little grace */
    fc_master_stop_all(m, FC_RECOVER_GRACE_US);
    store_close(m->store);
    m->store = NULL;
    if (store_open(m->conf, STORE_OPEN_FIRST, &m->store, &err) != VG_OK) {
        vg_log(LOG_ERR, "master: recovery failed: %s", err.msg);
        return -1;
    }
    vg_log(LOG_INFO, "master: store recovered; restarting workers");
    return 0;
}

static int fc_master_reap(fc_master_t *m)
{
    int status, died = 0;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < m->nkids; i++) {
            fc_child_t k = m->kids[i];

            if (k.pid != pid)
                continue;
            m->kids[i] = m->kids[--m->nkids];
            if (k.retiring) {
                vg_log(LOG_INFO, "master: retired worker %d exited", (int)pid);
                break;
            }
            if (WIFSIGNALED(status))
                vg_log(LOG_ERR, "master: worker %d killed by signal %d", (int)pid,
                       WTERMSIG(status));
            else
                vg_log(LOG_ERR, "master: worker %d exited with status %d", (int)pid,
                       WEXITSTATUS(status));
            died++;
            fc_stats_worker_restart();
            if (vg_mono_us() - k.started_us < FC_YOUNG_US)
                m->backoff_us = m->backoff_us ? m->backoff_us * 2 : FC_BACKOFF_MIN;
            else
                m->backoff_us = 0;
            if (m->backoff_us > FC_BACKOFF_MAX)
                m->backoff_us = FC_BACKOFF_MAX;
            m->next_spawn_us = vg_mono_us() + m->backoff_us;
            break;
        }
    }
    if (died) {
        vg_err_t err = {0};

        /* free the dead workers' locks and abort their transactions before anyone new joins */
        if (store_failchk(m->store, &err) != VG_OK && store_panicked(m->store))
            return fc_master_recover(m);
    }
    return 0;
}

static void fc_master_reload(fc_master_t *m)
{
    conf_t *nc = vg_xcalloc(1, sizeof *nc);
    vg_err_t err = {0};

    if (conf_load(nc, m->config_path, m->config_path != NULL, &err) != VG_OK) {
        vg_log(LOG_ERR, "master: reload refused, keeping the running config: %s", err.msg);
        conf_fini(nc);
        free(nc);
        return;
    }
    if (strcmp(nc->fcgi_listen, m->conf->fcgi_listen) != 0 ||
        strcmp(nc->store_home, m->conf->store_home) != 0)
        vg_log(LOG_WARNING, "master: [fcgi] listen and [store] home change only on restart");
    /* the old conf stays allocated: retiring workers are separate processes with their own copy,
     * and the master's copy is replaced once; the one leak per reload is deliberate */
    free(nc->fcgi_listen);
    nc->fcgi_listen = vg_xstrdup(m->conf->fcgi_listen);
    free(nc->store_home);
    nc->store_home = vg_xstrdup(m->conf->store_home);
    conf_fini(m->conf);
    *m->conf = *nc;
    free(nc);
    vg_log_init("vigil-fcgi", m->conf->log_level);
    for (int i = 0; i < m->nkids; i++)
        if (!m->kids[i].retiring) {
            m->kids[i].retiring = 1;
            kill(m->kids[i].pid, SIGTERM);
        }
    vg_log(LOG_INFO, "master: config reloaded; rolling %d workers", conf_workers(m->conf));
}

/* Holds <home>/vigil-fcgi.lock for the master's life: a second master on the same data dir
 * stops with a clear message instead of running recovery under the first one's workers. */
static int fc_master_lock(const char *home, vg_err_t *err)
{
    char path[4096], pid[32];
    int fd;

    snprintf(path, sizeof path, "%s/vigil-fcgi.lock", home);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return vg_fail(err, VG_EINTERNAL, "cannot open %s: %s", path, strerror(errno)), -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        ssize_t n = read(fd, pid, sizeof pid - 1);

        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        return vg_fail(err, VG_ECONFLICT, "another vigil-fcgi master (pid %s) is running on %s",
                       pid[0] ? pid : "?", home),
               -1;
    }
    if (ftruncate(fd, 0) == 0) {
        int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());

        if (write(fd, pid, (size_t)n) != n)
            vg_log(LOG_WARNING, "master: cannot write %s", path);
    }
    return fd;
}

int fc_master_run(conf_t *c, const char *config_path)
{
    fc_master_t m = {.conf = c, .listen_fd = -1};
    vg_err_t err = {0};
    sigset_t set;
    int lock_fd, status = 0, stopping = 0;

    /* the home must exist before the lock file goes in it */
    if (vg_mkdirs(c->store_home, 0750, &err) != VG_OK) {
        vg_log(LOG_ERR, "master: %s", err.msg);
        return 1;
    }
    if ((lock_fd = fc_master_lock(c->store_home, &err)) < 0) {
        vg_log(LOG_ERR, "master: %s", err.msg);
        return 1;
    }
    /* opened again now that we know we are the only master: recovery runs here, with nobody
     * attached */
    if (store_open(c, STORE_OPEN_FIRST, &m.store, &err) != VG_OK) {
        vg_log(LOG_ERR, "master: %s", err.msg);
        close(lock_fd);
        return 1;
    }
    if ((m.listen_fd = fc_listen(c->fcgi_listen, c->fcgi_backlog, &err)) < 0) {
        vg_log(LOG_ERR, "master: %s", err.msg);
        store_close(m.store);
        close(lock_fd);
        return 1;
    }
    if (c->fcgi_listen[0] == '/' || c->fcgi_listen[0] == '.')
        m.unix_path = vg_xstrdup(c->fcgi_listen);
    if (fc_stats_open(c->store_home) < 0)
        vg_log(LOG_WARNING, "master: cannot map %s/vigil.stats: %s", c->store_home,
               strerror(errno));

    /* our own copy: config_path may point into the conf that a reload replaces */
    m.config_path = config_path ? vg_xstrdup(config_path) : NULL;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    vg_log(LOG_INFO, "master: listening on %s with %d workers, store %s", c->fcgi_listen,
           conf_workers(c), c->store_home);

    while (!stopping) {
        int64_t now = vg_mono_us();
        int want = conf_workers(m.conf);

        /* top up the pool, one at a time while backing off */
        while (fc_master_live(&m) < want && now >= m.next_spawn_us) {
            if (fc_master_spawn(&m) < 0)
                break;
            if (m.backoff_us)
                break;
        }
        fc_stats_set_workers(fc_master_live(&m));

        int64_t wait_us = 1000000;

        if (fc_master_live(&m) < want && m.next_spawn_us > now && m.next_spawn_us - now < wait_us)
            wait_us = m.next_spawn_us - now;
        struct timespec ts = {wait_us / 1000000, (wait_us % 1000000) * 1000};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);

        switch (sig) {
        case SIGCHLD:
            if (fc_master_reap(&m) < 0) {
                status = 1;
                stopping = 1;
            }
            break;
        case SIGHUP:
            fc_master_reload(&m);
            break;
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            vg_log(LOG_INFO, "master: signal %d: stopping gracefully", sig);
            stopping = 1;
            break;
        default: /* timeout or EINTR: reap anything missed and loop */
            if (fc_master_reap(&m) < 0) {
                status = 1;
                stopping = 1;
            }
            break;
        }
    }
    /* stop accepting first so the web server sees refusals, not hangs, while workers drain */
    close(m.listen_fd);
    if (m.unix_path != NULL) {
        unlink(m.unix_path);
        free(m.unix_path);
    }
    fc_master_stop_all(&m, FC_STOP_GRACE_US);
    fc_stats_set_workers(0);
    store_close(m.store);
    fc_stats_close();
    close(lock_fd);
    free(m.config_path);
    vg_log(LOG_INFO, "master: stopped");
    return status;
}
