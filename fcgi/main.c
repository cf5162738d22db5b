/* fcgi/main.c - vigil-fcgi: picks the mode. With --listen (or [fcgi] listen) it is a master that
 * forks workers; with a listening socket on fd 0 (mod_fcgid, spawn-fcgi) it serves alone; with
 * neither it answers one plain CGI request, for debugging.
 * SPDX-License-Identifier: MIT */
#include "conf/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "master.h"
#include "worker.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "dev"
#endif

static void fc_usage(FILE *f)
{
    fprintf(f, "usage: vigil-fcgi [--config PATH] [--listen ADDR] [--workers N] [--check]\n"
               "  --config PATH   config file (default $VIGIL_CONFIG, else /etc/vigil/vigil.conf)\n"
               "  --listen ADDR   master mode on host:port or a unix socket path\n"
               "  --workers N     worker processes in master mode, 1..1024 (default 2 x cores)\n"
               "  --check         load the config, print it and exit\n"
               "Without --listen: serve the FastCGI socket on fd 0, or one CGI request.\n");
}

/* fd 0 is a FastCGI listener when it is a socket that accepts (not connected) */
static int fc_stdin_is_listener(void)
{
    int type = 0, acc = 0;
    socklen_t len = sizeof type, alen = sizeof acc;

    if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return 0;
    if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) < 0)
        return 0;
    return type == SOCK_STREAM && acc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"workers", required_argument, NULL, 'w'},
                                         {"check", no_argument, NULL, 'k'},
                                         {"version", no_argument, NULL, 'V'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *listen = NULL, *workers = NULL;
    int check = 0, opt, rc;
    vg_err_t err = {0};
    conf_t c;

    while ((opt = getopt_long(argc, argv, "c:l:w:kVh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'w':
            workers = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'V':
            printf("vigil-fcgi %s\n", VIGIL_VERSION);
            return 0;
        case 'h':
            fc_usage(stdout);
            return 0;
        default:
            fc_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fc_usage(stderr);
        return 2;
    }
    /* command-line settings go in as environment overrides, so a SIGHUP reload keeps them */
    if (listen != NULL)
        setenv("VIGIL_FCGI_LISTEN", listen, 1);
    if (workers != NULL)
        setenv("VIGIL_FCGI_WORKERS", workers, 1);
    const char *path = conf_default_path(config);

    /* an explicitly named file must exist; the default path may be absent */
    if (conf_load(&c, path, config != NULL || getenv("VIGIL_CONFIG") != NULL, &err) != VG_OK) {
        fprintf(stderr, "vigil-fcgi: %s\n", err.msg);
        return 1;
    }
    vg_log_init("vigil-fcgi", c.log_level);
    if (check) {
        conf_dump(&c, stdout);
        conf_fini(&c);
        return 0;
    }
    if (c.fcgi_listen[0] != '\0')
        rc = fc_master_run(&c, c.path ? c.path : (config ? config : NULL));
    else if (fc_stdin_is_listener())
        rc = fc_worker_run(&c, STDIN_FILENO, STORE_OPEN_AUTO);
    else
        rc = fc_cgi_run(&c);
    conf_fini(&c);
    return rc;
}
