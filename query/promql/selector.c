/* query/promql/selector.c - the series selector grammar of Prometheus 2.42's generated_parser.y
 * (start: START_METRIC_SELECTOR vector_selector EOF), by recursive descent. Only the first error
 * counts, as in Prometheus's ParseErrors.Error(), so each syntax error names the rule whose
 * error production goyacc would reduce; the checks of checkAST() run after a clean parse.
 * Regexes are PCRE2, anchored as labels.NewFastRegexMatcher anchors Go's regexp.
 * SPDX-License-Identifier: MIT */
#include "selector.h"

#include "core/buf.h"
#include "lexer.h"
#include "promql_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <assert.h>
#include <string.h>

/* A label value is short; a pattern needing more than this on one is abandoned (no match). */
#define PQL_REGEX_MATCH_LIMIT    1000000
#define PQL_REGEX_HEAP_LIMIT_KIB 8192

typedef struct {
    pcre2_code *code;
    pcre2_match_data *md; /* scratch for pcre2_match, reused by every call */
    pcre2_match_context *mc;
} pql_regex_t;

static void pql_regex_free(void *p)
{
    pql_regex_t *r = p;

    pcre2_match_context_free(r->mc);
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
}

int pql_regex_compile(vg_arena_t *a, const char *pattern, size_t len, const void **re,
                      vg_err_t *err)
{
    size_t n = len + 6;
    char *anchored = vg_arena_alloc(a, n + 1);
    pcre2_compile_context *cc;
    pcre2_code *code;
    pql_regex_t *r;
    PCRE2_SIZE off;
    int ec;

    memcpy(anchored, "^(?:", 4);
    memcpy(anchored + 4, pattern, len);
    memcpy(anchored + 4 + len, ")$", 3);
    cc = pcre2_compile_context_create(NULL);
    assert(cc != NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF); /* Go's regexp knows only \n */
    /* DOLLAR_ENDONLY: Go's $ is \z, not "before a final newline" */
    code = pcre2_compile((PCRE2_SPTR)anchored, n,
                         PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY |
                             PCRE2_NEVER_BACKSLASH_C,
                         &ec, &off, cc);
    pcre2_compile_context_free(cc);
    if (code == NULL) {
        PCRE2_UCHAR msg[256];

        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
            strcpy((char *)msg, "invalid pattern");
        return vg_fail(err, VG_EINVAL, "error parsing regexp: %s: `%s`", (const char *)msg,
                       anchored);
    }
    r = vg_arena_alloc(a, sizeof *r);
    r->code = code;
    r->md = pcre2_match_data_create(1, NULL); /* match or not: one pair is enough */
    r->mc = pcre2_match_context_create(NULL);
    assert(r->md != NULL && r->mc != NULL); /* out of memory: the arena aborts likewise */
    pcre2_set_match_limit(r->mc, PQL_REGEX_MATCH_LIMIT);
    pcre2_set_heap_limit(r->mc, PQL_REGEX_HEAP_LIMIT_KIB);
    vg_arena_defer(a, pql_regex_free, r);
    *re = r;
    return VG_OK;
}

int pql_regex_match(const void *re, const char *value)
{
    const pql_regex_t *r = re;

    /* rc 0 would mean "matched, ovector too small"; errors (limits) are negative: no match */
    return pcre2_match(r->code, (PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED, 0, 0, r->md, r->mc) >= 0;
}

typedef struct {
    pql_lexer_t lex;
    const char *text;
    vg_arena_t *a;
    vg_err_t *err;
    store_matcher_t *m;
    size_t n, cap;
} pql_sel_t;

/* The next token the grammar sees: comments are skipped, as parser.Lex does. */
static void pql_sel_next(pql_sel_t *p, pql_tok_t *t)
{
    do
        pql_lex_next(&p->lex, t);
    while (t->type == PQL_TOK_COMMENT);
}

/* parser.unexpected(): "unexpected <t>[ in <context>][, expected <expected>]" at t; a lexer
 * error is reported as itself, at the start of the text it could not lex. */
static int pql_sel_unexpected(pql_sel_t *p, const pql_tok_t *t, const char *context,
                              const char *expected)
{
    char desc[160];

    if (t->type == PQL_TOK_ERROR)
        return pql_fail_at(p->err, p->text, t->pos, "%s", p->lex.errmsg);
    pql_tok_desc(&p->lex, t, desc, sizeof desc);
    return pql_fail_at(p->err, p->text, t->pos, "unexpected %s%s%s%s%s", desc,
                       context ? " in " : "", context ? context : "", expected ? ", expected " : "",
                       expected ? expected : "");
}

/* generated_parser.y's metric_identifier: some keywords may name a metric. */
static int pql_sel_is_metric_identifier(pql_tok_type_t type)
{
    switch (type) {
    case PQL_TOK_IDENTIFIER:
    case PQL_TOK_METRIC_IDENTIFIER:
    case PQL_TOK_AVG:
    case PQL_TOK_BOTTOMK:
    case PQL_TOK_BY:
    case PQL_TOK_COUNT:
    case PQL_TOK_COUNT_VALUES:
    case PQL_TOK_GROUP:
    case PQL_TOK_LAND:
    case PQL_TOK_LOR:
    case PQL_TOK_LUNLESS:
    case PQL_TOK_MAX:
    case PQL_TOK_MIN:
    case PQL_TOK_OFFSET:
    case PQL_TOK_QUANTILE:
    case PQL_TOK_STDDEV:
    case PQL_TOK_STDVAR:
    case PQL_TOK_SUM:
    case PQL_TOK_TOPK:
    case PQL_TOK_WITHOUT:
    case PQL_TOK_START:
    case PQL_TOK_END:
        return 1;
    default:
        return 0;
    }
}

static store_matcher_t *pql_sel_push(pql_sel_t *p)
{
    store_matcher_t *m;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        store_matcher_t *grown = vg_arena_alloc(p->a, cap * sizeof *grown);

        if (p->n > 0)
            memcpy(grown, p->m, p->n * sizeof *grown);
        p->m = grown;
        p->cap = cap;
    }
    m = &p->m[p->n++];
    memset(m, 0, sizeof *m);
    return m;
}

int pql_matcher_init(vg_arena_t *a, const char *text, const pql_tok_t *name, pql_tok_type_t op,
                     const pql_tok_t *str, store_matcher_t *m, vg_err_t *err)
{
    vg_err_t sub = {0};
    char *val;
    size_t vlen;

    memset(m, 0, sizeof *m);
    if (pql_unquote(a, text + str->pos, str->len, &val, &vlen, &sub) < 0) {
        char q[160];

        pql_quote(q, sizeof q, text + str->pos, str->len);
        return pql_fail_at(err, text, str->pos, "error unquoting string %s: %s", q, sub.msg);
    }
    if (memchr(val, '\0', vlen) != NULL) /* vigil-only: no stored value can hold a NUL */
        return pql_fail_at(err, text, name->pos, "label matcher value must not contain a NUL byte");
    m->name = vg_arena_strndup(a, text + name->pos, name->len);
    m->value = val;
    switch (op) {
    case PQL_TOK_EQL:
        m->type = STORE_M_EQ;
        return VG_OK;
    case PQL_TOK_NEQ:
        m->type = STORE_M_NEQ;
        return VG_OK;
    case PQL_TOK_EQL_REGEX:
        m->type = STORE_M_RE;
        break;
    default:
        assert(op == PQL_TOK_NEQ_REGEX);
        m->type = STORE_M_NRE;
        break;
    }
    if (pql_regex_compile(a, val, vlen, &m->re, &sub) < 0)
        return pql_fail_at(err, text, name->pos, "%s", sub.msg);
    m->re_match = pql_regex_match;
    return VG_OK;
}

/* parser.newLabelMatcher(): name op "value", built as soon as the string is read, so its
 * errors come before any error in the tokens after it. */
static int pql_sel_matcher(pql_sel_t *p, const pql_tok_t *name, const pql_tok_t *op,
                           const pql_tok_t *str)
{
    return pql_matcher_init(p->a, p->text, name, op->type, str, pql_sel_push(p), p->err);
}

static int pql_sel_is_match_op(pql_tok_type_t type)
{
    return type == PQL_TOK_EQL || type == PQL_TOK_NEQ || type == PQL_TOK_EQL_REGEX ||
           type == PQL_TOK_NEQ_REGEX;
}

/* label_matchers after the '{', through the '}'. The context texts are those of the grammar's
 * error productions: a bad token where a matcher starts, after its name, after its operator,
 * and after a matcher. */
static int pql_sel_braces(pql_sel_t *p)
{
    pql_tok_t t, name, op;
    int rc;

    pql_sel_next(p, &t);
    if (t.type == PQL_TOK_RIGHT_BRACE)
        return VG_OK;
    for (;;) {
        if (t.type != PQL_TOK_IDENTIFIER)
            return pql_sel_unexpected(p, &t, "label matching", "identifier or \"}\"");
        name = t;
        pql_sel_next(p, &op);
        if (!pql_sel_is_match_op(op.type))
            return pql_sel_unexpected(p, &op, "label matching", "label matching operator");
        pql_sel_next(p, &t);
        if (t.type != PQL_TOK_STRING)
            return pql_sel_unexpected(p, &t, "label matching", "string");
        if ((rc = pql_sel_matcher(p, &name, &op, &t)) < 0)
            return rc;
        pql_sel_next(p, &t);
        if (t.type == PQL_TOK_RIGHT_BRACE)
            return VG_OK;
        if (t.type != PQL_TOK_COMMA)
            return pql_sel_unexpected(p, &t, "label matching", "\",\" or \"}\"");
        pql_sel_next(p, &t);
        if (t.type == PQL_TOK_RIGHT_BRACE)
            return VG_OK; /* trailing comma */
    }
}

int pql_matcher_matches_empty(const store_matcher_t *m)
{
    switch (m->type) {
    case STORE_M_EQ:
        return m->value[0] == '\0';
    case STORE_M_NEQ:
        return m->value[0] != '\0';
    case STORE_M_RE:
        return m->re_match(m->re, "");
    default:
        return !m->re_match(m->re, "");
    }
}

int pql_parse_selector(vg_arena_t *a, const char *text, store_matcher_t **out, size_t *n,
                       vg_err_t *err)
{
    pql_sel_t p = {.text = text, .a = a, .err = err};
    pql_tok_t t, name = {0}, brace = {0};
    int rc, has_name = 0;

    pql_lexer_init(&p.lex, text, strlen(text));
    pql_sel_next(&p, &t);
    if (pql_sel_is_metric_identifier(t.type)) {
        store_matcher_t *m = pql_sel_push(&p);

        has_name = 1;
        name = t;
        m->type = STORE_M_EQ;
        m->name = "__name__";
        m->value = vg_arena_strndup(a, text + t.pos, t.len);
        pql_sel_next(&p, &t);
    }
    if (t.type == PQL_TOK_LEFT_BRACE) {
        brace = t;
        if ((rc = pql_sel_braces(&p)) < 0)
            return rc;
        pql_sel_next(&p, &t);
    } else if (!has_name) {
        return pql_sel_unexpected(&p, &t, NULL, NULL);
    }
    /* the series API takes a bare selector: a range, offset or operator after it is the
     * grammar's catch-all error, `unexpected "["` */
    if (t.type != PQL_TOK_EOF)
        return pql_sel_unexpected(&p, &t, NULL, NULL);

    if (has_name) {
        for (size_t i = 1; i < p.n; i++) {
            char qn[160], qv[160];

            if (strcmp(p.m[i].name, "__name__") != 0)
                continue;
            pql_quote(qn, sizeof qn, text + name.pos, name.len);
            pql_quote(qv, sizeof qv, p.m[i].value, strlen(p.m[i].value));
            return pql_fail_at(err, text, name.pos, "metric name must not be set twice: %s or %s",
                               qn, qv);
        }
    } else {
        size_t i = 0;

        while (i < p.n && pql_matcher_matches_empty(&p.m[i]))
            i++;
        if (i == p.n) { /* else a typo could select every series */
            pql_fail_at(err, text, brace.pos,
                        "vector selector must contain at least one non-empty matcher");
            if (err != NULL)
                err->subcode = PQL_SUB_EMPTY_SELECTOR;
            return VG_EINVAL;
        }
    }
    *out = p.m;
    *n = p.n;
    return VG_OK;
}

/* Go's Regexp.Expand name rule: after '$', a name of letters, digits and '_' (braced or
 * not); all digits (no leading zero) is a group number. Returns the bytes consumed after the
 * '$' (0: malformed, the '$' is literal), the name in [*name, *name + *len), *num or -1. */
static size_t pql_expand_name(const char *s, const char **name, size_t *len, long *num)
{
    size_t i = 0, brace = *s == '{';

    s += brace;
    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
           (s[i] >= '0' && s[i] <= '9') || s[i] == '_')
        i++;
    if (i == 0 || (brace && s[i] != '}'))
        return 0;
    *name = s;
    *len = i;
    *num = 0;
    for (size_t j = 0; j < i; j++) {
        if (s[j] < '0' || s[j] > '9' || *num >= 100000000) {
            *num = -1;
            break;
        }
        *num = *num * 10 + (s[j] - '0');
    }
    if (s[0] == '0' && i > 1)
        *num = -1;
    return brace + i + brace;
}

int pql_regex_expand(vg_arena_t *a, const void *re, const char *value, const char *tmpl,
                     const char **out)
{
    const pql_regex_t *r = re;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
    PCRE2_SIZE *ov;
    uint32_t pairs;
    vg_buf_t b;
    int rc;

    if (md == NULL)
        return 0;
    rc = pcre2_match(r->code, (PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED, 0, 0, md, r->mc);
    if (rc < 0) {
        pcre2_match_data_free(md);
        return 0;
    }
    ov = pcre2_get_ovector_pointer(md);
    pairs = pcre2_get_ovector_count(md);
    vg_buf_init(&b, a);
    vg_buf_reserve(&b, 1);
    while (*tmpl) {
        const char *dollar = strchr(tmpl, '$'), *name;
        size_t len, used;
        long num;

        if (dollar == NULL) {
            vg_buf_adds(&b, tmpl);
            break;
        }
        vg_buf_add(&b, tmpl, (size_t)(dollar - tmpl));
        tmpl = dollar + 1;
        if (*tmpl == '$') { /* $$ is a literal $ */
            vg_buf_addc(&b, '$');
            tmpl++;
            continue;
        }
        if ((used = pql_expand_name(tmpl, &name, &len, &num)) == 0) {
            vg_buf_addc(&b, '$');
            continue;
        }
        tmpl += used;
        if (num < 0) { /* a named group; unknown names expand to nothing */
            char nm[256];
            int g;

            if (len >= sizeof nm)
                continue;
            memcpy(nm, name, len);
            nm[len] = '\0';
            g = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)nm);
            num = g < 0 ? -1 : g;
        }
        if (num >= 0 && (uint32_t)num < pairs && ov[2 * num] != PCRE2_UNSET)
            vg_buf_add(&b, value + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
    }
    pcre2_match_data_free(md);
    *out = b.p;
    return 1;
}
