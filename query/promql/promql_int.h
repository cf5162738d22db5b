/* query/promql/promql_int.h - declarations shared by the PromQL files only: the label matcher
 * that both the series selector (selector.c) and the query parser (parser.c) build.
 * SPDX-License-Identifier: MIT */
#ifndef PQL_PROMQL_INT_H
#define PQL_PROMQL_INT_H

#include "core/arena.h"
#include "core/err.h"
#include "lexer.h"
#include "store/series.h"

/* Fills *m from the tokens `name op "value"` of text (Prometheus's newLabelMatcher): the value
 * unquoted, the name copied, =~ and !~ compiled with pql_regex_compile(), all in a. Fails with
 * VG_EINVAL and "line:col: parse error: ...": an unquoting error at the string, a regex error or
 * a value holding a NUL byte (vigil's refusal) at the name. op is PQL_TOK_EQL, PQL_TOK_NEQ,
 * PQL_TOK_EQL_REGEX or PQL_TOK_NEQ_REGEX. */
int pql_matcher_init(vg_arena_t *a, const char *text, const pql_tok_t *name, pql_tok_type_t op,
                     const pql_tok_t *str, store_matcher_t *m, vg_err_t *err);

/* 1 when m selects the value "" (labels.Matcher.Matches("")), which a missing label has. */
int pql_matcher_matches_empty(const store_matcher_t *m);

#endif
