/* store/store.h - the one Berkeley DB environment every vigil process shares, and the
 * transaction helper. This folder is the only one that includes <db.h>; everything above it
 * sees store_t, store_txn_t and VG_* codes.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_H
#define STORE_H

#include "conf/conf.h"
#include "core/err.h"

#include <stdint.h>
#include <sys/types.h>

typedef struct store store_t;
typedef struct __db_txn store_txn_t; /* DB_TXN, opaque above store/ */

typedef enum {
    /* the first process (master, or a tool on an idle environment): DB_REGISTER|DB_RECOVER,
     * so recovery runs only when no live process is attached */
    STORE_OPEN_FIRST,
    /* workers and background processes under a master: DB_REGISTER|DB_FAILCHK, never recovery */
    STORE_OPEN_JOIN,
    /* no master (mod_fcgid, spawn-fcgi, tools): JOIN, falling back to FIRST only when the
     * environment answers that recovery is needed */
    STORE_OPEN_AUTO,
} store_mode_t;

typedef struct {
    uint64_t cache_hits, cache_misses;
    uint64_t lock_requests, lock_waits, deadlocks, lock_timeouts;
    uint64_t log_bytes; /* on-disk size of the log files */
    uint32_t active_txns;
    uint64_t commits, aborts;
    int64_t last_checkpoint_s; /* epoch seconds of the last checkpoint, 0 if none */
} store_stats_t;

/* Opens (creating when missing) the environment in c->store_home and vigil's databases.
 * Returns VG_OK, or VG_EUNAVAIL with the reason. */
int store_open(const conf_t *c, store_mode_t mode, store_t **out, vg_err_t *err);
/* Closes every handle (after a panic, drops them: see env.c); a no-op for NULL. */
void store_close(store_t *st);
/* True once the environment answered DB_RUNRECOVERY: the process must close it and exit (or
 * reopen), and a master must recover before starting anyone again. */
int store_panicked(const store_t *st);
const char *store_home(const store_t *st);

/* Frees what dead processes held (locks, transactions). VG_OK also when failchk cleaned up but
 * answered EBUSY (see DESIGN.md); VG_EUNAVAIL when recovery is required. */
int store_failchk(store_t *st, vg_err_t *err);
/* Checkpoints and removes log files no longer needed for recovery. */
int store_checkpoint(store_t *st, int remove_logs, vg_err_t *err);
/* Writes dirty cache pages until percent of the cache is clean, so a writer that needs a free
 * buffer finds a clean one instead of writing a page out inside its transaction (the
 * background writer's job: vigil-compactor). *written (when not NULL) counts the pages. */
int store_trickle(store_t *st, int percent, int *written, vg_err_t *err);
/* What store_stats collects: the cache and lock figures walk whole shared tables (about a
 * millisecond with the default sizes), so liveness checks ask for the transactions only. */
enum {
    STORE_STATS_CACHE = 1 << 0,
    STORE_STATS_LOCKS = 1 << 1,
    STORE_STATS_TXN = 1 << 2,
    STORE_STATS_LOG = 1 << 3,
    STORE_STATS_ALL = 0xf,
};
/* Fills the parts of *s that `what` (STORE_STATS_*) names; the rest are zero. */
int store_stats(store_t *st, unsigned what, store_stats_t *s, vg_err_t *err);
/* Runs a read transaction that touches the meta database: proves the environment works. */
int store_ping(store_t *st, vg_err_t *err);

/* fn runs inside one transaction; it keeps no state outside txn between attempts, since a lost
 * deadlock aborts and runs it again (up to [store] txn_retries times). Returns fn's code, or the
 * commit's. */
typedef int (*store_txn_fn)(store_t *st, store_txn_t *txn, void *arg, vg_err_t *err);
/* Fills the pages of the series databases (catalog, postings, chunks) and returns emptied ones
 * to the filesystem: inserts in the middle of a btree leave pages about two thirds full, and
 * old chunks never change again. Runs in short transactions; safe while others write.
 * *freed counts the pages given back. */
int store_compact(store_t *st, uint64_t *freed, vg_err_t *err);

/* As store_txn_run, for a transaction that writes series: these run one at a time across all
 * processes (flock on <home>/write.lock, released by the kernel if the holder dies). Concurrent
 * writers touch the same catalog, postings and chunk pages in different orders, so they mostly
 * deadlock and retry; queued they finish sooner, and none runs out of retries. */
int store_txn_run_write(store_t *st, store_txn_fn fn, void *arg, vg_err_t *err);

/* 1 while process pid lives: the answer Berkeley DB's failure checks get. A zombie (exited, not
 * yet reaped) is dead. */
int store_pid_alive(pid_t pid);

int store_txn_run(store_t *st, store_txn_fn fn, void *arg, vg_err_t *err);

/* The meta database: small named values (format version, counters, crash-check state). */
/* Copies the value of key into buf (at most cap bytes); *len gets its full length. */
int store_meta_get(store_t *st, store_txn_t *txn, const char *key, void *buf, size_t cap,
                   size_t *len, vg_err_t *err);
int store_meta_put(store_t *st, store_txn_t *txn, const char *key, const void *val, size_t len,
                   vg_err_t *err);

#endif
