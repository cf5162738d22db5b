/* store/env.c - opening the shared transactional environment in the order DESIGN.md ("Berkeley
 * DB and crashes") fixes, failchk, checkpoints, statistics and the retrying transaction helper.
 * SPDX-License-Identifier: MIT */
#include "store_int.h"

#include "core/fs.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STORE_FORMAT      "1"
#define STORE_THREADS     1024 /* processes (one thread each) tracked for failchk */
#define STORE_MAX_LOCKS   200000
#define STORE_LOG_BUFFER  (1024 * 1024) /* bytes of log kept in memory until a write */
#define STORE_MAX_LOCKERS 20000

static void store_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
    (void)env;
    (void)pfx;
    vg_log(LOG_ERR, "store: bdb: %s", msg);
}

static void store_msgcall(const DB_ENV *env, const char *msg)
{
    (void)env;
    vg_log(LOG_INFO, "store: bdb: %s", msg);
}

/* Berkeley DB asks this about every registered thread during failchk. Every vigil process is
 * single-threaded, so a thread is alive while its process is. The master reaps a dead child
 * before calling failchk, so a zombie never passes for a live process there. */
/* 1 when pid is a zombie (dead, not yet reaped) or gone: kill(pid, 0) still succeeds on a
 * zombie, and a master blocked in Berkeley DB on a dead worker's mutex cannot reap it, so a
 * zombie must count as dead or that wait never ends. */
static int store_pid_dead(pid_t pid)
{
    char path[64], buf[256];
    const char *p;
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) S ...": the state follows the last ')' (comm may hold one) */
    if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
        return 0;
    return p[2] == 'Z' || p[2] == 'X';
}

/* While failchk runs: where to leave it once it has run too long. Berkeley DB's failchk waits
 * for a region mutex a dead process still holds, asking is_alive again and again and never
 * giving up; is_alive is the one place vigil gets control back. */
static sigjmp_buf *store_failchk_escape;
static int64_t store_failchk_deadline_us;

/* The longest failchk may take before the environment is treated as needing recovery. */
#define STORE_FAILCHK_MAX_US (10 * 1000000)

int store_pid_alive(pid_t pid)
{
    if (store_failchk_escape != NULL && vg_mono_us() > store_failchk_deadline_us)
        siglongjmp(*store_failchk_escape, 1);
    if (pid == getpid())
        return 1;
    if (kill(pid, 0) != 0 && errno != EPERM)
        return 0;
    return !store_pid_dead(pid);
}

static int store_isalive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
    (void)env;
    (void)tid;
    (void)flags;
    return store_pid_alive(pid);
}

/* This process's id, looked up once per open: Berkeley DB asks for the thread id at every
 * transaction, and getpid() is a system call. Set in store_open, which runs after fork. */
static pid_t store_pid;

static void store_thread_id(DB_ENV *env, pid_t *pid, db_threadid_t *tid)
{
    (void)env;
    if (pid != NULL)
        *pid = store_pid;
    if (tid != NULL)
        *tid = pthread_self();
}

int store_rc(store_t *st, int dbrc, const char *what, vg_err_t *err)
{
    switch (dbrc) {
    case 0:
        return VG_OK;
    case DB_NOTFOUND:
    case DB_KEYEMPTY:
        return vg_fail(err, VG_ENOTFOUND, "not found");
    case DB_LOCK_DEADLOCK:
    case DB_LOCK_NOTGRANTED:
        return VG_ERETRY;
    case DB_RUNRECOVERY:
        if (st != NULL)
            st->panicked = 1;
        vg_log(LOG_ERR, "store: %s: %s", what, db_strerror(dbrc));
        return vg_fail(err, VG_EUNAVAIL, "storage needs recovery, try again");
    default:
        vg_log(LOG_ERR, "store: %s: %s", what, db_strerror(dbrc));
        return vg_fail(err, VG_EINTERNAL, "storage error (%s)", what);
    }
}

/* Creates and configures an environment handle; the settings that size shared regions only
 * take effect when the environment is created (or recreated by recovery). */
static int store_env_handle(const conf_t *c, DB_ENV **out, vg_err_t *err)
{
    DB_ENV *env;
    u_int32_t flags = 0;
    int rc;

    if ((rc = db_env_create(&env, 0)) != 0)
        return vg_fail(err, VG_EUNAVAIL, "db_env_create: %s", db_strerror(rc));
    env->set_errcall(env, store_errcall);
    env->set_msgcall(env, store_msgcall);
    rc = env->set_cachesize(env, (u_int32_t)(c->store_cache_mb / 1024),
                            (u_int32_t)(c->store_cache_mb % 1024) * 1024u * 1024u, 1);
    if (rc == 0)
        rc = env->set_lk_detect(env, DB_LOCK_DEFAULT);
    if (rc == 0 && c->store_lock_timeout_ms > 0)
        rc = env->set_timeout(env, (db_timeout_t)c->store_lock_timeout_ms * 1000,
                              DB_SET_LOCK_TIMEOUT);
    /* a larger in-memory log buffer: with the 32 KiB default, a write of many samples forced a
     * log write every few puts (bench/RESULTS.md, bench/scraper's profile) */
    if (rc == 0)
        rc = env->set_lg_bsize(env, STORE_LOG_BUFFER);
    if (rc == 0)
        rc = env->set_lk_max_locks(env, STORE_MAX_LOCKS);
    if (rc == 0)
        rc = env->set_lk_max_objects(env, STORE_MAX_LOCKS);
    if (rc == 0)
        rc = env->set_lk_max_lockers(env, STORE_MAX_LOCKERS);
    if (rc == 0)
        rc = env->set_thread_count(env, STORE_THREADS);
    if (rc == 0)
        rc = env->set_isalive(env, store_isalive);
    store_pid = getpid();
    if (rc == 0)
        rc = env->set_thread_id(env, store_thread_id);
    if (c->store_sync == CONF_SYNC_WRITE_NOSYNC)
        flags = DB_TXN_WRITE_NOSYNC;
    else if (c->store_sync == CONF_SYNC_NOSYNC)
        flags = DB_TXN_NOSYNC;
    if (rc == 0 && flags)
        rc = env->set_flags(env, flags, 1);
    if (rc != 0) {
        env->close(env, 0);
        return vg_fail(err, VG_EUNAVAIL, "configuring the environment: %s", db_strerror(rc));
    }
    *out = env;
    return VG_OK;
}

static int store_env_open(const conf_t *c, store_mode_t mode, DB_ENV **out, int *dbrc,
                          vg_err_t *err)
{
    u_int32_t flags =
        DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_REGISTER;
    DB_ENV *env = NULL;
    int rc;

    if ((rc = store_env_handle(c, &env, err)) != VG_OK)
        return rc;
    flags |= mode == STORE_OPEN_FIRST ? DB_RECOVER : DB_FAILCHK;
    *dbrc = env->open(env, c->store_home, flags, 0640);
    if (*dbrc != 0) {
        env->close(env, 0);
        return vg_fail(err, VG_EUNAVAIL, "cannot open the store in %s: %s", c->store_home,
                       db_strerror(*dbrc));
    }
    *out = env;
    return VG_OK;
}

static int store_meta_init(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    char buf[16];
    size_t len;
    int rc = store_meta_get(st, txn, "format", buf, sizeof buf, &len, err);

    (void)arg;
    if (rc == VG_ENOTFOUND)
        return store_meta_put(st, txn, "format", STORE_FORMAT, strlen(STORE_FORMAT), err);
    if (rc != VG_OK)
        return rc;
    if (len != strlen(STORE_FORMAT) || memcmp(buf, STORE_FORMAT, len) != 0)
        return vg_fail(err, VG_EUNAVAIL, "store format %.*s is not the supported %s",
                       (int)(len < sizeof buf ? len : sizeof buf), buf, STORE_FORMAT);
    return VG_OK;
}

/* True when the environment's region and registry files are there. A new environment must be
 * created with DB_RECOVER: DB_REGISTER counts its first use as needing recovery. */
static int store_env_exists(const char *home)
{
    char path[4096];
    struct stat sb;

    snprintf(path, sizeof path, "%s/__db.register", home);
    if (stat(path, &sb) < 0 || sb.st_size == 0)
        return 0;
    snprintf(path, sizeof path, "%s/__db.001", home);
    return stat(path, &sb) == 0;
}

/* Runs recovery in a child process. A failed open leaves this process's line in the DB_REGISTER
 * registry and Berkeley DB allows one handle per process, so the recovering open cannot happen
 * here; the child's recovery clears the registry, after which this process can join. */
static int store_recover_in_child(const conf_t *c, vg_err_t *err)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return vg_fail(err, VG_EUNAVAIL, "fork for recovery: %s", strerror(errno));
    if (pid == 0) {
        DB_ENV *env;
        int dbrc;
        vg_err_t cerr = {0};

        if (store_env_open(c, STORE_OPEN_FIRST, &env, &dbrc, &cerr) != VG_OK)
            _exit(1);
        env->close(env, 0);
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return vg_fail(err, VG_EUNAVAIL, "waiting for recovery: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return vg_fail(err, VG_EUNAVAIL, "recovery of %s failed", c->store_home);
    return VG_OK;
}

/* Every database of the store, opened at store_open (handles are per process). */
static const struct {
    size_t off; /* of the DB * in store_t */
    const char *file;
    DBTYPE type;
    u_int32_t flags;    /* set_flags before open */
    u_int32_t pagesize; /* for a new file; 0 = Berkeley DB's choice (the filesystem's block) */
    int compact;        /* store_compact() fills its pages */
} store_dbs[] = {
    {offsetof(store_t, meta), "meta.db", DB_BTREE, 0, 0, 0},
    {offsetof(store_t, resources), "resources.db", DB_BTREE, 0, 0, 0},
    {offsetof(store_t, series), "series.db", DB_BTREE, 0, 0, 1},
    {offsetof(store_t, series_by_labels), "series_by_labels.db", DB_BTREE, 0, 0, 1},
    {offsetof(store_t, postings), "postings.db", DB_BTREE, DB_DUPSORT, 0, 1},
    /* 16 KiB pages: a chunk (up to 240 samples, ~0.5-2.5 KiB) stays on its leaf page; with
     * 4 KiB pages any chunk over ~1 KiB took an overflow page of its own */
    {offsetof(store_t, chunks), "chunks.db", DB_BTREE, 0, 16384, 1},
    {offsetof(store_t, metadata), "metadata.db", DB_BTREE, 0, 0, 0},
    {offsetof(store_t, stream), "stream.db", DB_BTREE, 0, 0, 0},
    {offsetof(store_t, sk_raw_nova), "raw_nova.db", DB_BTREE, 0, 0, 0},
    {offsetof(store_t, sk_raw_glance), "raw_glance.db", DB_BTREE, 0, 0, 0},
    {offsetof(store_t, sk_raw_generic), "raw_generic.db", DB_BTREE, 0, 0, 0},
    /* the notifications' text apart from their columns: row lookups read small records */
    {offsetof(store_t, sk_text_nova), "raw_nova_text.db", DB_BTREE, 0, 16384, 0},
    {offsetof(store_t, sk_text_glance), "raw_glance_text.db", DB_BTREE, 0, 16384, 0},
    {offsetof(store_t, sk_text_generic), "raw_generic_text.db", DB_BTREE, 0, 16384, 0},
    {offsetof(store_t, stacky), "stacky.db", DB_BTREE, 0, 0, 0},
    /* after their primaries, so store_close closes them first */
    {offsetof(store_t, sk_idx_nova), "raw_nova_idx.db", DB_BTREE, DB_DUPSORT, 0, 0},
    {offsetof(store_t, sk_idx_glance), "raw_glance_idx.db", DB_BTREE, DB_DUPSORT, 0, 0},
    {offsetof(store_t, sk_idx_generic), "raw_generic_idx.db", DB_BTREE, DB_DUPSORT, 0, 0},
};

static int store_dbs_open(store_t *st, vg_err_t *err)
{
    DBT k = {0};
    int rc;

    for (size_t i = 0; i < sizeof store_dbs / sizeof store_dbs[0]; i++) {
        DB **slot = (DB **)((char *)st + store_dbs[i].off);
        DB *db;

        if ((rc = db_create(&db, st->env, 0)) != 0)
            return store_rc(st, rc, store_dbs[i].file, err);
        if ((store_dbs[i].flags && (rc = db->set_flags(db, store_dbs[i].flags)) != 0) ||
            (store_dbs[i].pagesize && (rc = db->set_pagesize(db, store_dbs[i].pagesize)) != 0)) {
            db->close(db, 0);
            return store_rc(st, rc, store_dbs[i].file, err);
        }
        rc = db->open(db, NULL, store_dbs[i].file, NULL, store_dbs[i].type,
                      DB_CREATE | DB_AUTO_COMMIT, 0640);
        if (rc != 0) {
            db->close(db, 0);
            return store_rc(st, rc, store_dbs[i].file, err);
        }
        *slot = db;
    }
    /* the raw tables' indexes follow every write to them (handles are per process, so every
     * process associates) */
    if ((rc = st->sk_raw_nova->associate(st->sk_raw_nova, NULL, st->sk_idx_nova, sk_index_keys,
                                         0)) != 0 ||
        (rc = st->sk_raw_glance->associate(st->sk_raw_glance, NULL, st->sk_idx_glance,
                                           sk_index_keys, 0)) != 0 ||
        (rc = st->sk_raw_generic->associate(st->sk_raw_generic, NULL, st->sk_idx_generic,
                                            sk_index_keys, 0)) != 0)
        return store_rc(st, rc, "associate", err);
    /* series ids: a sequence in the meta database; ids taken by aborted transactions are
     * simply never used, and a cache of 64 keeps writers from contending on it */
    if ((rc = db_sequence_create(&st->series_seq, st->meta, 0)) != 0)
        return store_rc(st, rc, "db_sequence_create", err);
    k.data = "series_seq";
    k.size = 10;
    if ((rc = st->series_seq->initial_value(st->series_seq, 1)) != 0 ||
        (rc = st->series_seq->set_cachesize(st->series_seq, 64)) != 0 ||
        (rc = st->series_seq->open(st->series_seq, NULL, &k, DB_CREATE | DB_AUTO_COMMIT)) != 0) {
        st->series_seq->close(st->series_seq, 0);
        st->series_seq = NULL;
        return store_rc(st, rc, "open series_seq", err);
    }
    return VG_OK;
}

int store_open(const conf_t *c, store_mode_t mode, store_t **out, vg_err_t *err)
{
    store_t *st;
    DB_ENV *env = NULL;
    int dbrc = 0, rc;

    *out = NULL;
    if ((rc = vg_mkdirs(c->store_home, 0750, err)) != VG_OK)
        return rc;
    if (mode == STORE_OPEN_AUTO && !store_env_exists(c->store_home))
        mode = STORE_OPEN_FIRST;
    rc = store_env_open(c, mode == STORE_OPEN_FIRST ? STORE_OPEN_FIRST : STORE_OPEN_JOIN, &env,
                        &dbrc, err);
    if (rc != VG_OK && mode == STORE_OPEN_AUTO && dbrc == DB_RUNRECOVERY) {
        /* a process died without a master to failchk for it, and failchk at open could not
         * repair the environment */
        vg_log(LOG_WARNING, "store: %s needs recovery; recovering", c->store_home);
        if ((rc = store_recover_in_child(c, err)) == VG_OK)
            rc = store_env_open(c, STORE_OPEN_JOIN, &env, &dbrc, err);
    }
    if (rc != VG_OK)
        return rc;
    st = vg_xcalloc(1, sizeof *st);
    st->env = env;
    st->home = vg_xstrdup(c->store_home);
    st->max_retries = c->store_txn_retries;
    st->write_fd = -1;
    {
        char path[4096];

        if ((size_t)snprintf(path, sizeof path, "%s/write.lock", c->store_home) < sizeof path)
            st->write_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    }
    if (st->write_fd < 0) {
        rc = vg_fail(err, VG_EUNAVAIL, "cannot open %s/write.lock: %s", c->store_home,
                     strerror(errno));
        store_close(st);
        return rc;
    }
    rc = store_dbs_open(st, err);
    if (rc == VG_OK)
        rc = store_txn_run(st, store_meta_init, NULL, err);
    if (rc != VG_OK) {
        if (rc != VG_EUNAVAIL)
            rc = vg_fail(err, VG_EUNAVAIL, "cannot open the store in %s: %s", c->store_home,
                         err ? err->msg : "error");
        store_close(st);
        return rc;
    }
    *out = st;
    return VG_OK;
}

void store_close(store_t *st)
{
    if (st == NULL)
        return;
    /* After a panic the database handles are dropped, not closed: closing takes the databases'
     * and the buffer pool's mutexes, and one a dead process held is never released, so a close
     * could wait for ever (a flush would wait for its pinned buffers too). The recovery that
     * follows rebuilds the regions. */
    if (!st->panicked) {
        if (st->series_seq != NULL)
            st->series_seq->close(st->series_seq, 0);
        for (size_t i = sizeof store_dbs / sizeof store_dbs[0]; i-- > 0;) {
            DB *db = *(DB **)((char *)st + store_dbs[i].off);

            if (db != NULL)
                db->close(db, 0);
        }
    } else {
        /* a panicked environment's close only leaves the DB_REGISTER registry and detaches,
         * so a recovery in this process can open it again */
        st->env->set_flags(st->env, DB_PANIC_ENVIRONMENT, 1);
    }
    st->env->close(st->env, 0);
    if (st->write_fd >= 0)
        close(st->write_fd);
    free(st->home);
    free(st);
}

int store_panicked(const store_t *st)
{
    return st != NULL && st->panicked;
}

const char *store_home(const store_t *st)
{
    return st->home;
}

int store_failchk(store_t *st, vg_err_t *err)
{
    sigjmp_buf escape;
    int rc;

    if (sigsetjmp(escape, 0) != 0) {
        /* abandoned inside Berkeley DB: this handle must not be used again (store_close drops
         * it), and the regions need recovery */
        store_failchk_escape = NULL;
        st->panicked = 1;
        return vg_fail(err, VG_EUNAVAIL,
                       "failchk did not finish in %d s: a dead process holds a region mutex",
                       STORE_FAILCHK_MAX_US / 1000000);
    }
    store_failchk_deadline_us = vg_mono_us() + STORE_FAILCHK_MAX_US;
    store_failchk_escape = &escape;
    rc = st->env->failchk(st->env, 0);
    store_failchk_escape = NULL;

    /* EBUSY: failchk could not destroy a mutex the dead process held although its locks and
     * transactions were released (DESIGN.md); only DB_RUNRECOVERY is fatal */
    if (rc == EBUSY)
        return VG_OK;
    return store_rc(st, rc, "failchk", err);
}

int store_checkpoint(store_t *st, int remove_logs, vg_err_t *err)
{
    int rc = store_rc(st, st->env->txn_checkpoint(st->env, 0, 0, 0), "txn_checkpoint", err);

    if (rc == VG_OK && remove_logs)
        rc = store_rc(st, st->env->log_archive(st->env, NULL, DB_ARCH_REMOVE), "log_archive", err);
    return rc;
}

int store_trickle(store_t *st, int percent, int *written, vg_err_t *err)
{
    int n = 0, rc = store_rc(st, st->env->memp_trickle(st->env, percent, &n), "memp_trickle", err);

    if (written != NULL)
        *written = n;
    return rc;
}

int store_stats(store_t *st, unsigned what, store_stats_t *s, vg_err_t *err)
{
    DB_MPOOL_STAT *mp = NULL;
    DB_LOCK_STAT *lk = NULL;
    DB_TXN_STAT *tx = NULL;
    char **logs = NULL;
    int rc;

    memset(s, 0, sizeof *s);
    if (what & STORE_STATS_CACHE) {
        if ((rc = store_rc(st, st->env->memp_stat(st->env, &mp, NULL, 0), "memp_stat", err)) < 0)
            return rc;
        s->cache_hits = mp->st_cache_hit;
        s->cache_misses = mp->st_cache_miss;
        free(mp);
    }
    if (what & STORE_STATS_LOCKS) {
        if ((rc = store_rc(st, st->env->lock_stat(st->env, &lk, 0), "lock_stat", err)) < 0)
            return rc;
        s->lock_requests = lk->st_nrequests;
        s->lock_waits = lk->st_lock_wait;
        s->deadlocks = lk->st_ndeadlocks;
        s->lock_timeouts = lk->st_nlocktimeouts;
        free(lk);
    }
    if (what & STORE_STATS_TXN) {
        if ((rc = store_rc(st, st->env->txn_stat(st->env, &tx, 0), "txn_stat", err)) < 0)
            return rc;
        s->active_txns = tx->st_nactive;
        s->commits = tx->st_ncommits;
        s->aborts = tx->st_naborts;
        s->last_checkpoint_s = (int64_t)tx->st_time_ckp;
        free(tx);
    }
    if (what & STORE_STATS_LOG) {
        rc = st->env->log_archive(st->env, &logs, DB_ARCH_ABS | DB_ARCH_LOG);
        if ((rc = store_rc(st, rc, "log_archive", err)) < 0)
            return rc;
        for (char **p = logs; p != NULL && *p != NULL; p++) {
            struct stat sb;

            if (stat(*p, &sb) == 0)
                s->log_bytes += (uint64_t)sb.st_size;
        }
        free(logs);
    }
    return VG_OK;
}

static int store_ping_txn(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err)
{
    char buf[16];
    size_t len;

    (void)arg;
    return store_meta_get(st, txn, "format", buf, sizeof buf, &len, err);
}

int store_ping(store_t *st, vg_err_t *err)
{
    return store_txn_run(st, store_ping_txn, NULL, err);
}

int store_txn_run(store_t *st, store_txn_fn fn, void *arg, vg_err_t *err)
{
    for (int attempt = 0; attempt <= st->max_retries; attempt++) {
        DB_TXN *txn;
        int rc = store_rc(st, st->env->txn_begin(st->env, NULL, &txn, 0), "txn_begin", err);

        if (rc < 0)
            return rc;
        rc = fn(st, txn, arg, err); /* fn keeps no state outside txn between attempts */
        if (rc == VG_OK)
            rc = store_rc(st, txn->commit(txn, 0), "commit", err);
        else
            txn->abort(txn);
        if (rc != VG_ERETRY)
            return rc;
        /* lost a deadlock: back off a little, more each time, so the winner can finish */
        struct timespec ts = {0, (long)(1 + attempt) * 1000000L};

        nanosleep(&ts, NULL);
    }
    return vg_fail(err, VG_EUNAVAIL, "storage busy, try again");
}

int store_compact(store_t *st, uint64_t *freed, vg_err_t *err)
{
    *freed = 0;
    for (size_t i = 0; i < sizeof store_dbs / sizeof store_dbs[0]; i++) {
        DB *db = *(DB **)((char *)st + store_dbs[i].off);
        DB_COMPACT c = {0};
        int rc;

        if (!store_dbs[i].compact)
            continue;
        /* no transaction: Berkeley DB compacts in a series of short ones, so writers are
         * held up by one batch of pages at a time, never by the whole pass */
        rc = db->compact(db, NULL, NULL, NULL, &c, DB_FREE_SPACE, NULL);
        if ((rc = store_rc(st, rc, store_dbs[i].file, err)) < 0)
            return rc;
        *freed += c.compact_pages_truncated;
    }
    return VG_OK;
}

int store_txn_run_write(store_t *st, store_txn_fn fn, void *arg, vg_err_t *err)
{
    int rc;

    while (flock(st->write_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return vg_fail(err, VG_EINTERNAL, "write lock: %s", strerror(errno));
    rc = store_txn_run(st, fn, arg, err);
    flock(st->write_fd, LOCK_UN);
    return rc;
}

int store_meta_get(store_t *st, store_txn_t *txn, const char *key, void *buf, size_t cap,
                   size_t *len, vg_err_t *err)
{
    DBT k = {0}, v = {0};
    int rc;

    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    v.data = buf;
    v.ulen = (u_int32_t)cap;
    v.flags = DB_DBT_USERMEM;
    rc = st->meta->get(st->meta, txn, &k, &v, 0);
    if (rc == DB_BUFFER_SMALL) {
        *len = v.size;
        return vg_fail(err, VG_ETOOBIG, "meta value %s larger than %zu bytes", key, cap);
    }
    if ((rc = store_rc(st, rc, "meta get", err)) == VG_OK)
        *len = v.size;
    return rc;
}

int store_meta_put(store_t *st, store_txn_t *txn, const char *key, const void *val, size_t len,
                   vg_err_t *err)
{
    DBT k = {0}, v = {0};

    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    v.data = (void *)val;
    v.size = (u_int32_t)len;
    return store_rc(st, st->meta->put(st->meta, txn, &k, &v, 0), "meta put", err);
}
