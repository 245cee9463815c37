/* json.c - parsing with positions, typed getters, pretty output. */
#define _GNU_SOURCE
#include "json.h"

#include <math.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

static void offset_to_line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

json_object *json_parse(const char *text, size_t len, const char *name, struct err *e)
{
	struct json_tokener *tok = json_parser_new();
	if (!tok) {
		err_set(e, "%s: out of memory", name);
		return NULL;
	}
	json_object *o = json_parse_with(tok, text, len, name, e);
	json_tokener_free(tok);
	return o;
}

struct json_tokener *json_parser_new(void)
{
	return json_tokener_new_ex(JSON_MAX_DEPTH);
}

json_object *json_parse_with(struct json_tokener *tok, const char *text, size_t len,
			     const char *name, struct err *e)
{
	json_tokener_reset(tok);
	/* strict: no trailing commas, no single quotes, nothing lenient */
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8 | JSON_TOKENER_STRICT);
	if (len > INT32_MAX) {
		err_set(e, "%s: document too large", name);
		return NULL;
	}
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	int line, col;
	if (jerr == json_tokener_continue) {
		offset_to_line_col(text, len, &line, &col);
		err_set(e, "%s:%d:%d: unexpected end of JSON", name, line, col);
		goto fail;
	}
	if (jerr != json_tokener_success) {
		offset_to_line_col(text, end, &line, &col);
		err_set(e, "%s:%d:%d: %s", name, line, col, json_tokener_error_desc(jerr));
		goto fail;
	}
	for (size_t i = end; i < len; i++) {
		if (!text[i] || !strchr(" \t\r\n", text[i])) { /* strchr finds the NUL */
			offset_to_line_col(text, i, &line, &col);
			err_set(e, "%s:%d:%d: unexpected data after the JSON value", name, line, col);
			json_object_put(o);
			o = NULL;
			goto fail;
		}
	}
	if (!o) /* the literal null */
		o = NULL;
	return o;
fail:
	return NULL;
}

json_object *json_parse_file(const char *path, size_t max, struct err *e)
{
	struct buf b = BUF_INIT;
	if (read_file(path, max, &b, e) < 0) {
		buf_free(&b);
		return NULL;
	}
	json_object *o = json_parse(buf_str(&b), b.len, path, e);
	if (!o && !e->msg[0])
		err_set(e, "%s: empty or null document", path);
	buf_free(&b);
	return o;
}

char *json_pretty(json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	return xasprintf("%s\n", s);
}

int json_write_file(const char *path, json_object *o, struct err *e)
{
	char *s = json_pretty(o);
	int rc = write_file_atomic(path, s, strlen(s), 0666, e);
	free(s);
	return rc;
}

json_object *json_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *json_str(json_object *o, const char *key)
{
	json_object *v = json_get(o, key);
	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t json_int(json_object *o, const char *key, int64_t fallback)
{
	json_object *v = json_get(o, key);
	if (!v)
		return fallback;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (isfinite(d) && d > -9.2e18 && d < 9.2e18)
			return (int64_t)d;
	}
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return fallback;
}

double json_num(json_object *o, const char *key, double fallback)
{
	json_object *v = json_get(o, key);
	if (!v)
		return fallback;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		return json_object_get_double(v);
	return fallback;
}

bool json_flag(json_object *o, const char *key, bool fallback)
{
	json_object *v = json_get(o, key);
	if (!v)
		return fallback;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v) != 0;
	return fallback;
}

json_object *json_arr(json_object *o, const char *key)
{
	json_object *v = json_get(o, key);
	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

json_object *json_obj(json_object *o, const char *key)
{
	json_object *v = json_get(o, key);
	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

void json_add_str(json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, val ? json_object_new_string(val) : NULL);
}

void json_add_int(json_object *o, const char *key, int64_t val)
{
	json_object_object_add(o, key, json_object_new_int64(val));
}

void json_add_num(json_object *o, const char *key, double val)
{
	/* JSON has no NaN: write null so jq and every reader accept the file */
	json_object_object_add(o, key, isfinite(val) ? json_object_new_double(val) : NULL);
}

void json_add_bool(json_object *o, const char *key, bool val)
{
	json_object_object_add(o, key, json_object_new_boolean(val));
}

json_object *json_strv_array(const struct strv *s)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(a, json_object_new_string(s->v[i]));
	return a;
}

json_object *json_env_map(const struct strv *env)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		if (!eq)
			continue;
		char *k = xstrndup(env->v[i], (size_t)(eq - env->v[i]));
		json_add_str(o, k, eq + 1);
		free(k);
	}
	return o;
}

int json_check_keys(json_object *o, const char *const *allowed, const char *what, struct err *e)
{
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				ok = true;
		if (!ok)
			return err_set(e, "%s: unknown key '%s'", what, key);
	}
	return 0;
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *p))
			return true;
	return false;
}

char *argv_to_display(char *const *argv)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			buf_addc(&b, ' ');
		if (!needs_quotes(argv[i])) {
			buf_adds(&b, argv[i]);
			continue;
		}
		buf_addc(&b, '\'');
		for (const char *p = argv[i]; *p; p++) {
			if (*p == '\'')
				buf_adds(&b, "'\\''");
			else
				buf_addc(&b, *p);
		}
		buf_addc(&b, '\'');
	}
	return buf_detach(&b);
}
