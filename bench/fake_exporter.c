/* bench/fake_exporter.c - the targets bench/scraper scrapes: one process, one epoll loop,
 * listening on 127.0.0.1 on N ports the kernel picks, each answering GET /metrics (HTTP/1.1,
 * keep-alive, Content-Length) with S samples of Prometheus text 0.0.4 in an exporter's mix:
 * labelled request counters (a fifth of them idle), gauges, a CPU-seconds counter and a
 * latency histogram. Every answer is built anew from precomputed line prefixes, with values
 * that move with the port's request count, so no two scrapes of a target are equal.
 * A control port answers GET /stats with the counters as JSON (requests and connections in
 * total, and requests per port in the order of the ports file); it is not counted.
 *
 *   bench-fake-exporter --ports N --series S --out FILE
 *
 * FILE appears (by rename) once every socket listens: "control PORT", then one port a line.
 * SIGTERM or SIGINT ends it.
 * SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { T_LISTEN, T_CONN, T_CTL_LISTEN, T_CTL_CONN };
enum { V_INT, V_CENTI, V_WAVE }; /* base + inc*n; the same in hundredths; base + (inc*n) % 97 */

#define HDR_ROOM 256 /* the response header is written right before the body */
#define IN_CAP   8192

typedef struct {
    char *pre; /* the line up to the value: comments of a new family, name, labels, a space */
    size_t pre_len;
    int kind;
    uint64_t base, inc;
} sample_t;

typedef struct {
    int fd, type, port; /* port: index into the ports, for T_LISTEN and T_CONN */
    char in[IN_CAP];
    size_t in_len;
    char *out;
    size_t out_cap, out_off, out_len;
    int closing;
} conn_t;

static sample_t *samples;
static size_t nsamples, body_max;
static uint64_t *per_port, requests, conns, bytes_out, bad;
static int nports, ep;
static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL) {
        fprintf(stderr, "bench-fake-exporter: out of memory\n");
        exit(1);
    }
    return p;
}

static void add_sample(const char *comments, const char *series, int kind, uint64_t base,
                       uint64_t inc)
{
    sample_t *s = &samples[nsamples++];
    size_t n = strlen(comments) + strlen(series) + 2;

    s->pre = xmalloc(n);
    s->pre_len = (size_t)snprintf(s->pre, n, "%s%s ", comments, series);
    s->kind = kind;
    s->base = base;
    s->inc = inc;
    body_max += s->pre_len + 24; /* the value (at most 20 digits and a point) and the newline */
}

/* The mix: a histogram (14 samples) and 6 gauges when there is room, one CPU counter, and
 * request counters for the rest. */
static void build_samples(int want)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
    static const char *const codes[] = {"200", "201", "400", "404", "500"};
    static const char *const les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                      "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
    char series[256];
    int left = want;
    uint64_t cum = 0;

    samples = xmalloc((size_t)want * sizeof *samples);
    if (left >= 40) {
        const char *h = "# HELP http_request_duration_seconds Request latency.\n"
                        "# TYPE http_request_duration_seconds histogram\n";

        for (int i = 0; i < 12; i++) {
            cum += (uint64_t)(i < 6 ? 3 * i + 1 : 12 - i); /* cumulative: never decreasing */
            snprintf(series, sizeof series,
                     "http_request_duration_seconds_bucket{handler=\"/api/v1/query\",le=\"%s\"}",
                     les[i]);
            add_sample(i == 0 ? h : "", series, V_INT, 1000 * cum, cum);
        }
        add_sample("", "http_request_duration_seconds_sum{handler=\"/api/v1/query\"}", V_CENTI,
                   123456, 37);
        add_sample("", "http_request_duration_seconds_count{handler=\"/api/v1/query\"}", V_INT,
                   1000 * cum, cum);
        left -= 14;
    }
    if (left >= 20) {
        add_sample("# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                   "# TYPE process_resident_memory_bytes gauge\n",
                   "process_resident_memory_bytes", V_WAVE, 52428800, 4096);
        add_sample("# HELP process_open_fds Number of open file descriptors.\n"
                   "# TYPE process_open_fds gauge\n",
                   "process_open_fds", V_WAVE, 20, 1);
        add_sample("# HELP process_start_time_seconds Start time of the process.\n"
                   "# TYPE process_start_time_seconds gauge\n",
                   "process_start_time_seconds", V_INT, 1700000000, 0);
        add_sample("# HELP go_goroutines Number of goroutines that currently exist.\n"
                   "# TYPE go_goroutines gauge\n",
                   "go_goroutines", V_WAVE, 40, 3);
        add_sample("# HELP node_hwmon_temp_celsius Hardware monitor for temperature.\n"
                   "# TYPE node_hwmon_temp_celsius gauge\n",
                   "node_hwmon_temp_celsius{chip=\"cpu\",sensor=\"temp1\"}", V_WAVE, 4000, 7);
        add_sample("", "node_hwmon_temp_celsius{chip=\"cpu\",sensor=\"temp2\"}", V_WAVE, 4100, 5);
        left -= 6;
    }
    if (left >= 2) {
        add_sample("# HELP process_cpu_seconds_total Total user and system CPU time spent in "
                   "seconds.\n# TYPE process_cpu_seconds_total counter\n",
                   "process_cpu_seconds_total", V_CENTI, 1234, 3);
        left--;
    }
    for (int i = 0; i < left; i++) {
        snprintf(series, sizeof series,
                 "http_requests_total{code=\"%s\",handler=\"/api/v1/h%d\",method=\"%s\"}",
                 codes[(i / 4) % 5], i / 20, methods[i % 4]);
        add_sample(i == 0 ? "# HELP http_requests_total Requests served.\n"
                            "# TYPE http_requests_total counter\n"
                          : "",
                   series, V_INT, 1000 + 17 * (uint64_t)i, i % 5 == 4 ? 0 : (uint64_t)(i % 7) + 1);
    }
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;

    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/* The body for port index port's n-th request, at p; returns its end. */
static char *build_body(char *p, int port, uint64_t n)
{
    uint64_t shift = 13 * (uint64_t)port; /* targets differ a little */

    for (size_t i = 0; i < nsamples; i++) {
        const sample_t *s = &samples[i];
        uint64_t v;

        memcpy(p, s->pre, s->pre_len);
        p += s->pre_len;
        switch (s->kind) {
        case V_INT:
            p = put_u64(p, s->base + shift + s->inc * n);
            break;
        case V_CENTI:
            v = s->base + shift + s->inc * n;
            p = put_u64(p, v / 100);
            *p++ = '.';
            *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
            break;
        default:
            p = put_u64(p, s->base + shift % 7 + (s->inc * n) % 97);
            break;
        }
        *p++ = '\n';
    }
    return p;
}

static void conn_close(conn_t *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
}

static void ensure_out(conn_t *c, size_t n)
{
    if (c->out_cap < n) {
        free(c->out);
        c->out = xmalloc(n);
        c->out_cap = n;
    }
}

/* The answer to one request, in c->out from out_off. */
static void respond(conn_t *c, const char *path, size_t path_len)
{
    char hdr[HDR_ROOM];
    char *body, *end;
    int hn;

    if (c->type == T_CONN && path_len == 8 && memcmp(path, "/metrics", 8) == 0) {
        uint64_t n = ++per_port[c->port];

        requests++;
        ensure_out(c, HDR_ROOM + body_max);
        body = c->out + HDR_ROOM;
        end = build_body(body, c->port, n);
        hn = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
                      "charset=utf-8\r\nContent-Length: %zu\r\n%s\r\n",
                      (size_t)(end - body), c->closing ? "Connection: close\r\n" : "");
    } else if (c->type == T_CTL_CONN && path_len == 6 && memcmp(path, "/stats", 6) == 0) {
        size_t cap = 128 + 24 * (size_t)nports;

        ensure_out(c, HDR_ROOM + cap);
        body = end = c->out + HDR_ROOM;
        end += snprintf(end, cap,
                        "{\"requests\":%llu,\"connections\":%llu,\"bytes\":%llu,\"bad\":%llu,"
                        "\"per_port\":[",
                        (unsigned long long)requests, (unsigned long long)conns,
                        (unsigned long long)bytes_out, (unsigned long long)bad);
        for (int i = 0; i < nports; i++) {
            if (i > 0)
                *end++ = ',';
            end = put_u64(end, per_port[i]);
        }
        *end++ = ']';
        *end++ = '}';
        hn = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n%s\r\n",
                      (size_t)(end - body), c->closing ? "Connection: close\r\n" : "");
    } else {
        bad++;
        ensure_out(c, HDR_ROOM + 16);
        body = end = c->out + HDR_ROOM;
        memcpy(end, "not found\n", 10);
        end += 10;
        hn = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 10\r\n%s\r\n",
                      c->closing ? "Connection: close\r\n" : "");
    }
    memcpy(body - hn, hdr, (size_t)hn);
    c->out_off = HDR_ROOM - (size_t)hn;
    c->out_len = (size_t)(end - c->out);
}

/* Sends what is pending; 0 when all of it went, 1 when the socket is full, -1 on an error. */
static int flush_out(conn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
        }
        c->out_off += (size_t)w;
        if (c->type == T_CONN)
            bytes_out += (uint64_t)w;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

static int has_close(const char *h, size_t n)
{
    static const char key[] = "\nconnection:";

    for (size_t i = 0; i + sizeof key - 1 < n; i++) {
        if (strncasecmp(h + i, key, sizeof key - 1) != 0)
            continue;
        for (size_t j = i + sizeof key - 1; j + 5 <= n && h[j] != '\r' && h[j] != '\n'; j++)
            if (strncasecmp(h + j, "close", 5) == 0)
                return 1;
    }
    return 0;
}

/* Answers the complete requests in c->in, as long as each answer goes out at once; -1: close. */
static int serve(conn_t *c)
{
    for (;;) {
        char *end, *sp, *path, *pe;
        size_t used;
        int rc;

        if (c->out_len > 0)
            return 0; /* waiting for EPOLLOUT */
        end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (end == NULL)
            return c->in_len == IN_CAP ? -1 : 0;
        used = (size_t)(end + 4 - c->in);
        sp = memchr(c->in, ' ', used);
        if (sp == NULL || sp - c->in != 3 || memcmp(c->in, "GET", 3) != 0)
            return -1;
        path = sp + 1;
        pe = memchr(path, ' ', used - (size_t)(path - c->in));
        if (pe == NULL)
            return -1;
        if (memchr(path, '?', (size_t)(pe - path)) != NULL)
            pe = memchr(path, '?', (size_t)(pe - path));
        c->closing = has_close(c->in, used) || memmem(c->in, used, "HTTP/1.0", 8) != NULL;
        respond(c, path, (size_t)(pe - path));
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        rc = flush_out(c);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};

            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            return 0;
        }
        if (c->closing)
            return -1;
    }
}

static void on_readable(conn_t *c)
{
    for (;;) {
        ssize_t r = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);

        if (r == 0) {
            conn_close(c);
            return;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close(c);
            return;
        }
        c->in_len += (size_t)r;
        if (c->in_len == IN_CAP)
            break;
    }
    if (serve(c) < 0)
        conn_close(c);
}

static void on_writable(conn_t *c)
{
    int rc = flush_out(c);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

    if (rc < 0 || (rc == 0 && c->closing)) {
        conn_close(c);
        return;
    }
    if (rc > 0)
        return;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    if (serve(c) < 0)
        conn_close(c);
}

static void on_accept(conn_t *l)
{
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
        conn_t *c;
        struct epoll_event ev = {.events = EPOLLIN};

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("bench-fake-exporter: accept");
            return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if ((c = calloc(1, sizeof *c)) == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->type = l->type == T_LISTEN ? T_CONN : T_CTL_CONN;
        c->port = l->port;
        if (c->type == T_CONN)
            conns++;
        ev.data.ptr = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            free(c);
        }
    }
}

/* A listening socket on 127.0.0.1 on a port the kernel picks; its port in *port. */
static int listen_any(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 512) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        perror("bench-fake-exporter: listen");
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static conn_t *add_listener(int type, int idx, int *port)
{
    conn_t *l = calloc(1, sizeof *l);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};

    if (l == NULL)
        exit(1);
    l->type = type;
    l->port = idx;
    if ((l->fd = listen_any(port)) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev) < 0)
        exit(1);
    return l;
}

static int usage(FILE *out, int status)
{
    fprintf(out, "usage: bench-fake-exporter --ports N --series S --out FILE\n"
                 "  N ports on 127.0.0.1 answering GET /metrics with S samples each; FILE gets\n"
                 "  \"control PORT\" (GET /stats) and the N ports, one a line, once they listen\n");
    return status;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"ports", required_argument, NULL, 'p'},
                                         {"series", required_argument, NULL, 's'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int series = 100, opt, ctl_port, *ports;
    char tmp[4096];
    FILE *f;
    struct rlimit rl;
    struct sigaction sa;
    struct epoll_event evs[256];

    while ((opt = getopt_long(argc, argv, "p:s:o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            nports = atoi(optarg);
            break;
        case 's':
            series = atoi(optarg);
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            return usage(stdout, 0);
        default:
            return usage(stderr, 2);
        }
    }
    if (nports < 1 || nports > 30000 || series < 1 || series > 1000000 || out == NULL ||
        optind < argc)
        return usage(stderr, 2);
    /* a socket per port, and a connection per scraper and port */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    build_samples(series);
    per_port = calloc((size_t)nports, sizeof *per_port);
    ports = xmalloc((size_t)nports * sizeof *ports);
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || per_port == NULL) {
        perror("bench-fake-exporter: epoll_create1");
        return 1;
    }
    add_listener(T_CTL_LISTEN, 0, &ctl_port);
    for (int i = 0; i < nports; i++)
        add_listener(T_LISTEN, i, &ports[i]);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    if ((f = fopen(tmp, "w")) == NULL) {
        perror(tmp);
        return 1;
    }
    fprintf(f, "control %d\n", ctl_port);
    for (int i = 0; i < nports; i++)
        fprintf(f, "%d\n", ports[i]);
    if (fclose(f) != 0 || rename(tmp, out) != 0) {
        perror(out);
        return 1;
    }
    fprintf(stderr,
            "bench-fake-exporter: %d ports, %zu samples (up to %zu bytes) each, control %d\n",
            nports, nsamples, body_max, ctl_port);
    while (!stop) {
        int n = epoll_wait(ep, evs, (int)(sizeof evs / sizeof evs[0]), 500);

        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;

            if (c->type == T_LISTEN || c->type == T_CTL_LISTEN)
                on_accept(c);
            else if (evs[i].events & EPOLLOUT)
                on_writable(c);
            else
                on_readable(c);
        }
    }
    return 0;
}
