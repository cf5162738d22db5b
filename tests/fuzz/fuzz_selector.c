/* tests/fuzz/fuzz_selector.c - libFuzzer target for pql_parse_selector() and the PromQL lexer.
 * The input is the selector text (cut at a NUL, as a C string is). A parse either gives matchers
 * that keep the selector's invariants (one that rejects "", the metric name first, compiled
 * regexes that run) or fails with a "line:col: parse error: " message; the lexer's tokens tile
 * the input in order. Never crash or leak.
 * SPDX-License-Identifier: MIT */
#include "query/promql/lexer.h"
#include "query/promql/selector.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_sel_matches(const store_matcher_t *m, const char *v)
{
    switch (m->type) {
    case STORE_M_EQ:
        return strcmp(m->value, v) == 0;
    case STORE_M_NEQ:
        return strcmp(m->value, v) != 0;
    case STORE_M_RE:
        return m->re_match(m->re, v);
    default:
        return !m->re_match(m->re, v);
    }
}

static void fuzz_sel_check_matchers(const store_matcher_t *m, size_t n, const char *text)
{
    int non_empty = 0;

    if (n == 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        int is_re = m[i].type == STORE_M_RE || m[i].type == STORE_M_NRE;

        if (m[i].name == NULL || m[i].name[0] == '\0' || m[i].value == NULL)
            abort();
        if (is_re != (m[i].re_match != NULL) || is_re != (m[i].re != NULL))
            abort();
        if (!fuzz_sel_matches(&m[i], ""))
            non_empty = 1;
        if (is_re) /* run the pattern on something arbitrary, invalid UTF-8 included */
            (void)m[i].re_match(m[i].re, text);
    }
    if (!non_empty)
        abort(); /* the empty-matcher rule */
}

static void fuzz_sel_lex(const char *text, size_t len)
{
    pql_lexer_t l;
    pql_tok_t t;
    size_t end = 0;
    char desc[128];

    pql_lexer_init(&l, text, len);
    for (size_t guard = 0; guard <= len + 1; guard++) {
        pql_lex_next(&l, &t);
        if (t.pos < end || t.pos + t.len > len)
            abort(); /* tokens come in order, inside the input */
        end = t.pos + t.len;
        pql_tok_desc(&l, &t, desc, sizeof desc);
        if (t.type == PQL_TOK_ERROR && l.errmsg[0] == '\0')
            abort();
        if (t.type == PQL_TOK_EOF || t.type == PQL_TOK_ERROR)
            return;
    }
    abort(); /* every call consumes input or ends the scan */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    vg_arena_t a;
    vg_err_t err = {0};
    store_matcher_t *m = NULL;
    size_t n = 0;
    int rc;

    memcpy(text, data, size);
    text[size] = '\0';
    vg_arena_init(&a, 0);
    rc = pql_parse_selector(&a, text, &m, &n, &err);
    if (rc == VG_OK) {
        fuzz_sel_check_matchers(m, n, text);
    } else {
        const char *colon = strchr(err.msg, ':');

        if (rc != VG_EINVAL || err.code != VG_EINVAL || err.msg[0] == '\0')
            abort();
        if (colon == NULL || strstr(err.msg, ": parse error: ") == NULL)
            abort(); /* "line:col: parse error: ..." */
    }
    fuzz_sel_lex(text, strlen(text));
    vg_arena_fini(&a);
    free(text);
    return 0;
}
