/* store/resources.h - the `resources` database: small JSON documents keyed by (kind, id) -
 * appkeys, servers, jobs and targets (store/inventory.h); tasks, devices and the rest as their
 * APIs arrive.
 * SPDX-License-Identifier: MIT */
#ifndef STORE_RESOURCES_H
#define STORE_RESOURCES_H

#include "store.h"

#include <stddef.h>

/* Stores doc (len bytes, normally JSON text) under kind/id, replacing any old one. */
int store_res_put(store_t *st, store_txn_t *txn, const char *kind, const char *id, const char *doc,
                  size_t len, vg_err_t *err);
/* Copies the document into a malloc'd NUL-terminated *doc (caller frees). VG_ENOTFOUND when
 * absent. */
int store_res_get(store_t *st, store_txn_t *txn, const char *kind, const char *id, char **doc,
                  size_t *len, vg_err_t *err);
int store_res_del(store_t *st, store_txn_t *txn, const char *kind, const char *id, vg_err_t *err);
/* Calls fn for every document of kind, in id order; fn's non-zero return stops the walk and is
 * returned. The strings are lent for the call only. */
typedef int (*store_res_fn)(const char *id, const char *doc, size_t len, void *arg);
int store_res_list(store_t *st, store_txn_t *txn, const char *kind, store_res_fn fn, void *arg,
                   vg_err_t *err);

/* As store_res_list, for the documents whose id starts with prefix. */
int store_res_list_prefix(store_t *st, store_txn_t *txn, const char *kind, const char *prefix,
                          store_res_fn fn, void *arg, vg_err_t *err);

#endif
