/* core/json.h - the json-c helpers every module shares: bounded parsing into an arena-owned
 * tree and one serialisation style.
 * SPDX-License-Identifier: MIT */
#ifndef VG_JSON_H
#define VG_JSON_H

#include "arena.h"
#include "err.h"

#include <json-c/json.h>

/* Parses len bytes of text (no NUL needed) with at most depth levels of nesting. On success *out
 * is a tree released at the arena's reset. On failure returns VG_EINVAL with json-c's reason. */
int vg_json_parse(vg_arena_t *a, const char *text, size_t len, int depth, json_object **out,
                  vg_err_t *err);
/* Serialises obj plainly, without escaping '/'; the text lives as long as obj. */
const char *vg_json_text(json_object *obj, size_t *len);

#endif
