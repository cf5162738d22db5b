/* fcgi/master.h - master mode: open the socket, fork and supervise the workers.
 * SPDX-License-Identifier: MIT */
#ifndef FC_MASTER_H
#define FC_MASTER_H

#include "conf/conf.h"

/* Runs the master until SIGTERM/SIGINT; config_path is re-read on SIGHUP. Returns the exit
 * status. */
int fc_master_run(conf_t *c, const char *config_path);
/* Opens a listening socket for "host:port", "[v6]:port", ":port" or a unix socket path, in
 * non-blocking mode. Returns the fd or -1 with a message in err. */
int fc_listen(const char *addr, int backlog, vg_err_t *err);

#endif
