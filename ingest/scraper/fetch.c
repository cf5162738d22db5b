/* ingest/scraper/fetch.c - the scrapes' HTTP over one libcurl multi handle (connections are
 * reused across transfers through its cache). Bodies grow on the heap, counted after gzip
 * decoding, and a transfer is aborted from its write callback past the limit or on a status
 * other than 200, so neither a huge body nor an error page is read to its end.
 * SPDX-License-Identifier: MIT */
#include "fetch.h"

#include "core/buf.h"
#include "core/mem.h"
#include "core/time.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what Prometheus 2.42 sends (scrape.go acceptHeader) */
#define SCRAPE_ACCEPT                                                                              \
    "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"             \
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

struct scrape_xfer {
    CURL *easy;
    scrape_xfer_t *prev, *next; /* f's list of held transfers */
    void *owner;
    char *url, *host_port;
    vg_buf_t body; /* heap */
    size_t limit;
    char status[128]; /* the last status line minus the protocol: "500 Internal Server Error" */
    int too_big, bad_status, done;
    CURLcode res;
    int64_t start_ms, start_us, end_us;
    char errbuf[CURL_ERROR_SIZE];
};

struct scrape_fetch {
    CURLM *multi;
    struct curl_slist *headers;
    char user_agent[64];
    scrape_fetch_opts_t o;
    scrape_xfer_t *xfers; /* held: running or done and not yet freed */
    size_t running;
};

static int scrape_fetch_inits; /* curl_global_init/cleanup pairs: one per live scrape_fetch_t */

int scrape_fetch_new(const scrape_fetch_opts_t *o, scrape_fetch_t **out, vg_err_t *err)
{
    scrape_fetch_t *f;
    char timeout[80];

    if (scrape_fetch_inits == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return vg_fail(err, VG_EINTERNAL, "scraper: curl_global_init failed");
    scrape_fetch_inits++;
    f = vg_xcalloc(1, sizeof *f);
    f->o = *o;
    if ((f->multi = curl_multi_init()) == NULL) {
        scrape_fetch_free(f);
        return vg_fail(err, VG_EINTERNAL, "scraper: curl_multi_init failed");
    }
    snprintf(f->user_agent, sizeof f->user_agent, "vigil-scraper/%s", VIGIL_VERSION);
    snprintf(timeout, sizeof timeout, "X-Prometheus-Scrape-Timeout-Seconds: %d", o->timeout_s);
    f->headers = curl_slist_append(NULL, SCRAPE_ACCEPT);
    if (f->headers == NULL || curl_slist_append(f->headers, timeout) == NULL) {
        scrape_fetch_free(f);
        return vg_fail(err, VG_EINTERNAL, "scraper: out of memory");
    }
    *out = f;
    return VG_OK;
}

void scrape_fetch_keep_conns(scrape_fetch_t *f, size_t n)
{
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)(n < 16 ? 16 : n));
}

void scrape_fetch_free(scrape_fetch_t *f)
{
    if (f == NULL)
        return;
    while (f->xfers != NULL)
        scrape_xfer_free(f, f->xfers);
    if (f->multi != NULL)
        curl_multi_cleanup(f->multi);
    curl_slist_free_all(f->headers);
    free(f);
    if (--scrape_fetch_inits == 0)
        curl_global_cleanup();
}

static size_t scrape_fetch_write(char *p, size_t size, size_t nmemb, void *arg)
{
    scrape_xfer_t *x = arg;
    size_t n = size * nmemb;
    long code = 0;

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 300 && code < 400)
        return n; /* a redirect's body, should curl pass one: not ours */
    if (code != 200) {
        x->bad_status = 1; /* Prometheus takes 200 only; the error page is not read */
        return 0;
    }
    /* n >= limit fails, as Prometheus's io.LimitReader check does */
    if (x->body.len + n >= x->limit) {
        x->too_big = 1;
        return 0;
    }
    vg_buf_add(&x->body, p, n);
    return n;
}

static size_t scrape_fetch_header(char *p, size_t size, size_t nitems, void *arg)
{
    scrape_xfer_t *x = arg;
    size_t n = size * nitems;

    if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
        const char *s = memchr(p, ' ', n), *e = p + n;

        if (s == NULL)
            s = e;
        while (s < e && *s == ' ')
            s++;
        while (e > s && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            e--;
        snprintf(x->status, sizeof x->status, "%.*s", (int)(e - s), s);
    }
    return n;
}

scrape_xfer_t *scrape_fetch_start(scrape_fetch_t *f, const char *url, const char *host_port,
                                  void *owner)
{
    scrape_xfer_t *x = vg_xcalloc(1, sizeof *x);
    long ms = (long)f->o.timeout_s * 1000;

    x->owner = owner;
    x->url = vg_xstrdup(url);
    x->host_port = vg_xstrdup(host_port);
    x->limit = f->o.max_body_bytes;
    vg_buf_init(&x->body, NULL);
    x->start_ms = vg_now_ms();
    x->start_us = vg_mono_us();
    x->next = f->xfers;
    if (f->xfers != NULL)
        f->xfers->prev = x;
    f->xfers = x;
    if ((x->easy = curl_easy_init()) == NULL) {
        x->done = 1;
        x->res = CURLE_OUT_OF_MEMORY;
        return x;
    }
    curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, scrape_fetch_write);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, scrape_fetch_header);
    curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, f->user_agent);
    curl_easy_setopt(x->easy, CURLOPT_ACCEPT_ENCODING, "gzip"); /* decoded for the callback */
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_PROXY, "");          /* no proxy from the environment */
    curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 1L); /* follow_redirects: true */
    curl_easy_setopt(x->easy, CURLOPT_MAXREDIRS, 10L);     /* Go's client stops after 10 */
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
        x->done = 1;
        x->res = CURLE_FAILED_INIT;
        return x;
    }
    f->running++;
    return x;
}

size_t scrape_fetch_running(const scrape_fetch_t *f)
{
    return f->running;
}

void scrape_fetch_poll(scrape_fetch_t *f, int wait_ms)
{
    int still;

    curl_multi_perform(f->multi, &still);
    /* waits the whole wait_ms even without transfers (unlike curl_multi_wait); a signal ends
     * the wait early */
    curl_multi_poll(f->multi, NULL, 0, wait_ms, NULL);
    curl_multi_perform(f->multi, &still);
}

scrape_xfer_t *scrape_fetch_done(scrape_fetch_t *f, void **owner)
{
    CURLMsg *m;
    int left;

    /* transfers that never started (no easy handle) are done at once */
    for (scrape_xfer_t *x = f->xfers; x != NULL; x = x->next)
        if (x->done == 1 && x->end_us == 0) {
            x->end_us = vg_mono_us();
            *owner = x->owner;
            return x;
        }
    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
        scrape_xfer_t *x = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        x->res = m->data.result;
        x->done = 1;
        x->end_us = vg_mono_us();
        f->running--;
        *owner = x->owner;
        return x;
    }
    return NULL;
}

/* Go's http.StatusText for the codes a target is likely to answer, when the status line has
 * no reason phrase (HTTP/2). */
static const char *scrape_status_text(long code)
{
    static const struct {
        long code;
        const char *text;
    } t[] = {{200, "OK"},
             {204, "No Content"},
             {301, "Moved Permanently"},
             {302, "Found"},
             {304, "Not Modified"},
             {400, "Bad Request"},
             {401, "Unauthorized"},
             {403, "Forbidden"},
             {404, "Not Found"},
             {405, "Method Not Allowed"},
             {406, "Not Acceptable"},
             {429, "Too Many Requests"},
             {500, "Internal Server Error"},
             {502, "Bad Gateway"},
             {503, "Service Unavailable"},
             {504, "Gateway Timeout"}};

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].code == code)
            return t[i].text;
    return "";
}

static const char *scrape_bad_status(scrape_xfer_t *x, vg_arena_t *a)
{
    long code = 0;

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (strchr(x->status, ' ') != NULL)
        return vg_arena_sprintf(a, "server returned HTTP status %s", x->status);
    return vg_arena_sprintf(a, "server returned HTTP status %ld %s", code,
                            scrape_status_text(code));
}

int scrape_xfer_result(scrape_xfer_t *x, vg_arena_t *a, const char **body, size_t *len,
                       const char **content_type, const char **error)
{
    const char *ct = NULL;
    long code = 0, oe = 0;

    *body = NULL;
    *len = 0;
    *content_type = NULL;
    *error = NULL;
    if (x->easy == NULL) {
        *error = vg_arena_sprintf(a, "Get \"%s\": out of memory", x->url);
        return VG_EINVAL;
    }
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (x->too_big) {
        *error = vg_arena_sprintf(a, "body size limit exceeded (%zu bytes)", x->limit);
    } else if (x->bad_status || (x->res == CURLE_OK && code != 200)) {
        *error = scrape_bad_status(x, a);
    } else if (x->res == CURLE_OPERATION_TIMEDOUT) {
        /* Go: the client's Do fails with the URL before a response, the body read without */
        *error = x->status[0] != '\0'
                     ? "context deadline exceeded"
                     : vg_arena_sprintf(a, "Get \"%s\": context deadline exceeded", x->url);
    } else if (x->res == CURLE_COULDNT_CONNECT &&
               curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oe) == CURLE_OK && oe != 0) {
        char *why = vg_arena_strdup(a, strerror((int)oe));

        why[0] = (char)tolower((unsigned char)why[0]); /* Go's syscall texts are lowercase */
        *error =
            vg_arena_sprintf(a, "Get \"%s\": dial tcp %s: connect: %s", x->url, x->host_port, why);
    } else if (x->res != CURLE_OK) {
        *error = vg_arena_sprintf(a, "Get \"%s\": %s", x->url,
                                  x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->res));
    }
    if (*error != NULL)
        return VG_EINVAL;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
    *content_type = ct != NULL ? vg_arena_strdup(a, ct) : NULL;
    *body = x->body.p;
    *len = x->body.len;
    return VG_OK;
}

int64_t scrape_xfer_start_ms(const scrape_xfer_t *x)
{
    return x->start_ms;
}

double scrape_xfer_duration_s(const scrape_xfer_t *x)
{
    int64_t end = x->end_us ? x->end_us : vg_mono_us();

    return (double)(end - x->start_us) / 1e6;
}

void scrape_xfer_free(scrape_fetch_t *f, scrape_xfer_t *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL) {
        curl_multi_remove_handle(f->multi, x->easy); /* aborts it when still running */
        curl_easy_cleanup(x->easy);
        if (!x->done)
            f->running--;
    }
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        f->xfers = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    vg_buf_fini(&x->body);
    free(x->url);
    free(x->host_port);
    free(x);
}
