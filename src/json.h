/* json.h - the one helper layer over json-c.
 *
 * Parsing reports "NAME:LINE:COL: message" and validates UTF-8.  Getters
 * check types and name the key and the file in their errors.  Untrusted
 * input is parsed with a depth limit.
 */
#ifndef TBX_JSON_H
#define TBX_JSON_H

#include <json-c/json.h>
#include "util.h"

/* Parse one JSON document (the whole text; trailing garbage is an error).
 * name is used in errors ("containers/x.json:3:7: unexpected ..."). */
json_object *json_parse(const char *text, size_t len, const char *name, struct err *e);
/* The same with a parser made once (json_parser_new, freed with
 * json_tokener_free) for many documents: store_load's thousands. */
struct json_tokener *json_parser_new(void);
json_object *json_parse_with(struct json_tokener *tok, const char *text, size_t len,
			     const char *name, struct err *e);
/* Read and parse a file of at most max bytes. */
json_object *json_parse_file(const char *path, size_t max, struct err *e);

/* Serialise pretty (2-space indent, no escaped slashes) + newline. */
char *json_pretty(json_object *o);
/* Atomically write o as pretty JSON to path. */
int json_write_file(const char *path, json_object *o, struct err *e);

/* Typed lookups.  Return the value or the fallback when the key is absent
 * or null; a wrong type is reported through e (when e is not NULL) and
 * the fallback returned.  `what` names the object in messages. */
const char *json_str(json_object *o, const char *key);   /* NULL if absent */
int64_t json_int(json_object *o, const char *key, int64_t fallback);
double json_num(json_object *o, const char *key, double fallback);
bool json_flag(json_object *o, const char *key, bool fallback);
json_object *json_get(json_object *o, const char *key); /* NULL if absent */
json_object *json_arr(json_object *o, const char *key);  /* NULL unless array */
json_object *json_obj(json_object *o, const char *key);  /* NULL unless object */

/* Add helpers (NULL string becomes JSON null). */
void json_add_str(json_object *o, const char *key, const char *val);
void json_add_int(json_object *o, const char *key, int64_t val);
void json_add_num(json_object *o, const char *key, double val);
void json_add_bool(json_object *o, const char *key, bool val);
json_object *json_strv_array(const struct strv *s);
/* {"K": "V"} from "K=V" entries. */
json_object *json_env_map(const struct strv *env);

/* Report keys of o not in the NULL-terminated list `allowed`:
 * "<what>: unknown key 'x'". */
int json_check_keys(json_object *o, const char *const *allowed, const char *what, struct err *e);

/* Shell-free rendering of an argv for display: words with special
 * characters are single-quoted. */
char *argv_to_display(char *const *argv);

#endif
