/* query/promql/selector.h - series selectors (`up`, `up{job="a",path=~"/api/.*"}`,
 * `{__name__=~"x.*"}`) as the Prometheus API's match[] takes them, parsed into store matchers;
 * and the anchored PCRE2 regexes behind =~ and !~.
 * SPDX-License-Identifier: MIT */
#ifndef PQL_SELECTOR_H
#define PQL_SELECTOR_H

#include "core/arena.h"
#include "core/err.h"
#include "store/series.h"

#include <stddef.h>

/* Parses text as one series selector, following Prometheus 2.42: a metric name and/or a brace
 * list of matchers (trailing comma allowed, label names unquoted), whitespace and # comments
 * anywhere, and nothing after it. On VG_OK *out holds *n matchers in a, the metric name first
 * (as an EQ matcher on __name__), then the braces' matchers in order; regex matchers carry
 * re_match and re (pql_regex_match and a compiled pattern, freed at a's next reset).
 * Fails with VG_EINVAL and Prometheus's message, "line:col: parse error: ...": syntax errors
 * (`unexpected "["`, `unexpected end of input inside braces`, ...), `error parsing regexp: ...`
 * (PCRE2's wording after that prefix), and, as Prometheus's checkAST() words them for a query,
 * `metric name must not be set twice: "foo" or "bar"` and `vector selector must contain at
 * least one non-empty matcher`. A value holding a NUL byte (from an escape) is refused too:
 * the store's strings cannot hold it. */
int pql_parse_selector(vg_arena_t *a, const char *text, store_matcher_t **out, size_t *n,
                       vg_err_t *err);
/* err->subcode of the empty-matchers refusal, which the HTTP API words its own way */
#define PQL_SUB_EMPTY_SELECTOR 1

/* Compiles len bytes of pattern as Prometheus does, fully anchored: ^(?:pattern)$ with Go's
 * meaning of $ (end of text only), UTF-8, and match and heap limits. *re lives until a's next
 * reset. Fails with VG_EINVAL and "error parsing regexp: <PCRE2's message>: `^(?:...)$`". */
int pql_regex_compile(vg_arena_t *a, const char *pattern, size_t len, const void **re,
                      vg_err_t *err);

/* 1 when re (from pql_regex_compile) matches all of value, else 0. A match that PCRE2 abandons
 * (match or heap limit) counts as no match, so a !~ matcher then selects the value. Values
 * need not be valid UTF-8 (invalid bytes match nothing). A compiled pattern owns scratch space:
 * use it from one thread at a time. */
int pql_regex_match(const void *re, const char *value);

/* label_replace()'s matching: when re matches all of value, *out is tmpl expanded as Go's
 * Regexp.Expand does ($1, ${1}, $name, ${name}, $$; an unknown group is empty; a malformed
 * reference leaves its '$' as text), in a, and it returns 1; otherwise 0. */
int pql_regex_expand(vg_arena_t *a, const void *re, const char *value, const char *tmpl,
                     const char **out);

#endif
