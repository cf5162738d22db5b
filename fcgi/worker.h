/* fcgi/worker.h - the FastCGI accept loop of one process, and the plain CGI mode.
 * SPDX-License-Identifier: MIT */
#ifndef FC_WORKER_H
#define FC_WORKER_H

#include "conf/conf.h"
#include "store/store.h"

/* Serves FastCGI requests on listen_fd one at a time until SIGTERM/SIGINT/SIGHUP (finishing the
 * request in flight) or until the store panics. mode is STORE_OPEN_JOIN under a master,
 * STORE_OPEN_AUTO when started alone. Returns the process exit status. */
int fc_worker_run(const conf_t *c, int listen_fd, store_mode_t mode);
/* Serves the single CGI request described by the environment and stdin. */
int fc_cgi_run(const conf_t *c);

#endif
