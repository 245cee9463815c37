/* llama_bench.c - parsing llama-bench's jsonl, json and markdown output.
 *
 * All of it is untrusted: the text need not be NUL-terminated or valid
 * UTF-8, lines longer than LB_MAX_LINE are ignored, strings kept in
 * struct lb_run are sanitised, and rows are identified by their
 * (n_prompt, n_gen, n_depth) triple, never by position.
 */
#define _GNU_SOURCE
#include "llama_bench.h"


#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define LB_MAX_LINE ((size_t)1 << 20) /* longer lines are ignored */
#define LB_MAX_TESTS 10000            /* rows per run */
#define LB_MAX_DEVICES 64             /* device lines kept */
#define LB_MAX_FIELD 1024             /* bytes kept of one string */
#define LB_MAX_SUMMARY 400            /* bytes kept of one error line */
#define LB_JSON_DEPTH 64
#define MD_MAX_CELLS 64

static const char no_rows_msg[] = "no result rows in llama-bench output";

/* ---- small helpers over (pointer, length) text ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_blank((*s)[*n - 1]))
		(*n)--;
}

static bool begins(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

static const char *find(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle));
}

static size_t skip_blank(const char *s, size_t n, size_t i)
{
	while (i < n && is_blank(s[i]))
		i++;
	return i;
}

static void skip_spaces(const char *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

/* Digits at s[*i] as an int in [0, INT_MAX]; advances *i. */
static bool parse_uint(const char *s, size_t n, size_t *i, int *out)
{
	long v = 0;
	size_t j = *i;
	if (j >= n || !is_digit(s[j]))
		return false;
	for (; j < n && is_digit(s[j]); j++) {
		v = v * 10 + (s[j] - '0');
		if (v > INT_MAX)
			return false;
	}
	*i = j;
	*out = (int)v;
	return true;
}

/* An unsigned decimal ("1692.49") at s[*i], parsed without strtod so the
 * locale cannot change the decimal point.  Up to 15 significant digits are
 * exact, so the result equals strtod's for what llama-bench prints. */
static bool parse_decimal(const char *s, size_t n, size_t *i, double *out)
{
	static const double p10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	uint64_t mant = 0;
	long scale = 0; /* value = mant * 10^scale */
	bool any = false, dot = false;
	size_t j = *i;
	for (; j < n; j++) {
		char c = s[j];
		if (is_digit(c)) {
			any = true;
			if (mant < 100000000000000ULL) {
				mant = mant * 10 + (uint64_t)(c - '0');
				if (dot)
					scale--;
			} else if (!dot && scale < 400) {
				scale++; /* digits beyond precision */
			}
		} else if (c == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (!any)
		return false;
	double v = (double)mant;
	if (scale < 0)
		v = -scale <= 22 ? v / p10[-scale] : v / pow(10.0, (double)-scale);
	else if (scale > 0)
		v = scale <= 22 ? v * p10[scale] : v * pow(10.0, (double)scale);
	if (!isfinite(v))
		return false;
	*i = j;
	*out = v;
	return true;
}

/* Length of the valid UTF-8 sequence at s (1 to 4), 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return len;
}

/* ---- lines ---- */

struct lines {
	const char *p, *end;
	size_t no; /* 1-based number of the line last returned */
};

static void lines_init(struct lines *it, const char *text, size_t len)
{
	if (!text) { /* NULL + 0 is undefined */
		text = "";
		len = 0;
	}
	it->p = text;
	it->end = text + len;
	it->no = 0;
}

/* The next line without its "\n" or "\r\n". */
static bool lines_next(struct lines *it, const char **line, size_t *len)
{
	if (it->p >= it->end)
		return false;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	const char *stop = nl ? nl : it->end;
	*line = it->p;
	*len = (size_t)(stop - it->p);
	it->p = nl ? nl + 1 : it->end;
	it->no++;
	while (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	return true;
}

/* ---- struct lb_run ---- */

void lb_run_init(struct lb_run *r)
{
	memset(r, 0, sizeof(*r));
	r->devices = (struct strv)STRV_INIT;
}

void lb_run_free(struct lb_run *r)
{
	free(r->build_commit);
	free(r->backends);
	free(r->gpu_info);
	free(r->model_filename);
	free(r->model_type);
	for (size_t i = 0; i < r->n_tests; i++)
		free(r->tests[i].samples);
	free(r->tests);
	strv_free(&r->devices);
	free(r->error);
	json_object_put(r->settings);
	lb_run_init(r);
}

const struct lb_test *lb_find(const struct lb_run *r, int n_prompt, int n_gen, int n_depth)
{
	for (size_t i = 0; i < r->n_tests; i++) {
		const struct lb_test *t = &r->tests[i];
		if (t->n_prompt == n_prompt && t->n_gen == n_gen && t->n_depth == n_depth)
			return t;
	}
	return NULL;
}

/* Welford's method: no catastrophic cancellation, unlike upstream's
 * sum-of-squares formula that yields nan.  No finite sample: both NaN. */
void lb_stats(const double *x, size_t n, double *mean, double *stddev)
{
	double m = 0, m2 = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		k++;
		double d = x[i] - m;
		m += d / (double)k;
		m2 += d * (x[i] - m);
	}
	if (k == 0) {
		*mean = *stddev = NAN;
		return;
	}
	*mean = m;
	*stddev = k > 1 ? sqrt(m2 > 0 ? m2 / (double)(k - 1) : 0) : 0;
}

/* llama-bench's own markdown names: pp512, tg128, pp512+tg128, " @ d4096". */
static void test_name(struct lb_test *t)
{
	int n;
	if (t->n_prompt > 0 && t->n_gen == 0)
		n = snprintf(t->name, sizeof(t->name), "pp%d", t->n_prompt);
	else if (t->n_gen > 0 && t->n_prompt == 0)
		n = snprintf(t->name, sizeof(t->name), "tg%d", t->n_gen);
	else
		n = snprintf(t->name, sizeof(t->name), "pp%d+tg%d", t->n_prompt, t->n_gen);
	if (t->n_depth > 0 && n > 0 && (size_t)n < sizeof(t->name))
		snprintf(t->name + n, sizeof(t->name) - (size_t)n, " @ d%d", t->n_depth);
}

static bool same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* Append t (taking its samples); a second row with the same triple is an
 * error unless `allow_identical` and its numbers are the same. */
static int push_test(struct lb_run *r, struct lb_test *t, bool allow_identical, const char *where,
		     struct err *e)
{
	const struct lb_test *old = lb_find(r, t->n_prompt, t->n_gen, t->n_depth);
	if (old) {
		bool same = same_double(old->mean, t->mean) && same_double(old->stddev, t->stddev);
		free(t->samples);
		t->samples = NULL;
		if (allow_identical && same)
			return 0;
		return err_set(e, "%s: duplicate result for test '%s' in llama-bench output", where, t->name);
	}
	if (r->n_tests >= LB_MAX_TESTS) {
		free(t->samples);
		t->samples = NULL;
		return err_set(e, "%s: more than %d result rows in llama-bench output", where, LB_MAX_TESTS);
	}
	size_t n = r->n_tests;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) /* capacity 4, 8, 16... */
		r->tests = xrealloc(r->tests, (n ? 2 * n : 4) * sizeof(*r->tests));
	r->tests[r->n_tests++] = *t;
	t->samples = NULL;
	return 1;
}

/* ---- JSON ---- */

/* Length of an unquoted nan/inf token at s[i] ("nan", "-nan", "inf",
 * "-inf", "infinity", "-nan(ind)"), 0 if there is none. */
static size_t nonfinite_len(const char *s, size_t n, size_t i)
{
	if (i > 0 && (is_word(s[i - 1]) || s[i - 1] == '.'))
		return 0;
	size_t j = i;
	if (s[j] == '-' || s[j] == '+')
		j++;
	size_t w = j;
	while (j < n && is_alpha(s[j]))
		j++;
	size_t wl = j - w;
	if (!((wl == 3 && (strncasecmp(s + w, "nan", 3) == 0 || strncasecmp(s + w, "inf", 3) == 0)) ||
	      (wl == 8 && strncasecmp(s + w, "infinity", 8) == 0)))
		return 0;
	if (j < n && s[j] == '(') { /* nan(ind), nan(0x7ff8...) */
		size_t k = j + 1;
		while (k < n && k - j < 64 && is_word(s[k]))
			k++;
		if (k < n && s[k] == ')')
			j = k + 1;
	}
	if (j < n && is_word(s[j]))
		return 0;
	return j - i;
}

/* Copy JSON text into out so that json-c takes it: invalid UTF-8 and NUL
 * bytes become '?', and the unquoted nan/inf that std::to_string prints for
 * upstream's non-finite doubles become null (json-c takes "nan" but not
 * "-nan" or "inf"; null for all of them keeps one rule). */
static void json_clean(const char *s, size_t n, struct buf *out)
{
	bool in_str = false, esc = false;
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || c == 0) {
			size_t k = c ? utf8_len((const unsigned char *)s + i, n - i) : 0;
			if (k)
				buf_add(out, s + i, k);
			else
				buf_addc(out, '?');
			i += k ? k : 1;
			esc = false;
			continue;
		}
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (is_alpha((char)c) || c == '-' || c == '+') {
			size_t k = nonfinite_len(s, n, i);
			if (k) {
				buf_adds(out, "null");
				i += k;
				continue;
			}
		}
		buf_addc(out, (char)c);
		i++;
	}
}

static bool json_is_number(json_object *v)
{
	return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double));
}

/* A string field, sanitised; NULL if absent or not a string. */
static char *json_field(json_object *o, const char *key)
{
	json_object *v = json_get(o, key);
	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	return sanitize_line(json_object_get_string(v), (size_t)json_object_get_string_len(v), LB_MAX_FIELD);
}

static int clamp_int(int64_t v)
{
	return v < INT_MIN ? INT_MIN : v > INT_MAX ? INT_MAX : (int)v;
}

static void set_str(char **dst, char *val)
{
	if (*dst || !val) {
		free(val);
		return;
	}
	*dst = val;
}

/* ---- effective settings ---- */

enum setting_type { S_RESULT, S_INT, S_STRING, S_BOOL, S_FLASH_ATTN, S_LOAD_MODE, S_MMAP_FLAG };

static const struct {
	const char *name;
	enum setting_type type;
} lb_fields[] = {
	/* what a row measured or identifies, not how it ran */
	{ "build_commit", S_RESULT },
	{ "build_number", S_RESULT },
	{ "cpu_info", S_RESULT },
	{ "gpu_info", S_RESULT },
	{ "backends", S_RESULT },
	{ "model_filename", S_RESULT },
	{ "model_type", S_RESULT },
	{ "model_size", S_RESULT },
	{ "model_n_params", S_RESULT },
	{ "n_prompt", S_RESULT },
	{ "n_gen", S_RESULT },
	{ "test_time", S_RESULT },
	{ "avg_ns", S_RESULT },
	{ "stddev_ns", S_RESULT },
	{ "avg_ts", S_RESULT },
	{ "stddev_ts", S_RESULT },
	{ "samples_ns", S_RESULT },
	{ "samples_ts", S_RESULT },
	/* how it ran */
	{ "n_batch", S_INT },
	{ "n_ubatch", S_INT },
	{ "n_threads", S_INT },
	{ "poll", S_INT },
	{ "n_gpu_layers", S_INT },
	{ "n_cpu_moe", S_INT },
	{ "main_gpu", S_INT },
	{ "n_depth", S_INT },
	{ "fit_target", S_INT },  /* -fitt MiB: fit to device memory (0 off) */
	{ "fit_min_ctx", S_INT }, /* -fitc */
	{ "cpu_mask", S_STRING },
	{ "type_k", S_STRING },
	{ "type_v", S_STRING },
	{ "split_mode", S_STRING },
	{ "devices", S_STRING },
	{ "tensor_split", S_STRING },
	{ "tensor_buft_overrides", S_STRING },
	{ "cpu_strict", S_BOOL },
	{ "no_kv_offload", S_BOOL },
	{ "embeddings", S_BOOL },
	{ "no_op_offload", S_BOOL },
	{ "no_host", S_BOOL },
	{ "flash_attn", S_FLASH_ATTN },
	{ "load_mode", S_LOAD_MODE },
	{ "use_mmap", S_MMAP_FLAG },
	{ "use_direct_io", S_MMAP_FLAG },
};

#define LB_MAX_SETTINGS 128 /* fields kept of one row */
#define LB_SHOWN_VALUE 60   /* bytes of a value in a message */

static int field_type(const char *name)
{
	for (size_t i = 0; i < sizeof(lb_fields) / sizeof(lb_fields[0]); i++)
		if (strcmp(lb_fields[i].name, name) == 0)
			return (int)lb_fields[i].type;
	return -1;
}

const char *lb_setting_type(const char *name)
{
	static const char *const names[] = { [S_INT] = "int",	    [S_STRING] = "string",
					     [S_BOOL] = "bool",	    [S_FLASH_ATTN] = "flash_attn",
					     [S_LOAD_MODE] = "load_mode", [S_MMAP_FLAG] = "load_mode" };
	int t = field_type(name);
	return t > S_RESULT ? names[t] : NULL;
}

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a fraction";
	case json_type_int: return "an integer";
	case json_type_string: return "a string";
	case json_type_array: return "an array";
	default: return "an object";
	}
}

/* A 0/1 flag: a boolean, or the integers 0 and 1 some builds print. */
static bool flag_value(json_object *v, bool *out)
{
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return true;
	}
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
	    json_object_get_int64(v) <= 1) {
		*out = json_object_get_int64(v) == 1;
		return true;
	}
	return false;
}

/* flash_attn: false/true (older builds), -1/0/1 (newer: -1 is auto). */
static bool flash_attn_value(json_object *v, int *out)
{
	bool b;
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);
		if (x < -1 || x > 1)
			return false;
		*out = (int)x;
		return true;
	}
	if (flag_value(v, &b)) {
		*out = b;
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	const char *s = json_object_get_string(v);
	static const char *const words[] = { "auto", "off", "on", "disabled", "enabled" };
	static const int values[] = { -1, 0, 1, 0, 1 };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0) {
			*out = values[i];
			return true;
		}
	return false;
}

/* One row's settings, checked and normalised (see struct lb_run). */
static int row_settings(json_object *o, json_object **out, const char *where, struct err *e)
{
	json_object *s = json_object_new_object();
	bool mmap = false, dio = false, have_flag = false, have_mode = false;
	size_t n = 0;
	*out = NULL;
	json_object_object_foreach(o, key, val)
	{
		int t = field_type(key);
		bool b;
		int fa;
		const char *expected = NULL;
		if (t == S_RESULT || n >= LB_MAX_SETTINGS)
			continue;
		n++;
		switch (t) {
		case S_INT:
			if (json_object_is_type(val, json_type_int))
				json_object_object_add(s, key, json_object_new_int64(json_object_get_int64(val)));
			else
				expected = "an integer";
			break;
		case S_STRING:
		case S_LOAD_MODE:
			if (json_object_is_type(val, json_type_string)) {
				char *clean = sanitize_line(json_object_get_string(val),
							    (size_t)json_object_get_string_len(val),
							    LB_MAX_FIELD);
				json_object_object_add(s, key, json_object_new_string(clean));
				free(clean);
			} else {
				expected = "a string";
			}
			have_mode |= t == S_LOAD_MODE && !expected;
			break;
		case S_BOOL:
			if (flag_value(val, &b))
				json_object_object_add(s, key, json_object_new_boolean(b));
			else
				expected = "a boolean";
			break;
		case S_FLASH_ATTN:
			if (flash_attn_value(val, &fa))
				json_object_object_add(s, key, json_object_new_int(fa));
			else
				expected = "a boolean, -1, 0, 1, \"auto\", \"on\" or \"off\"";
			break;
		case S_MMAP_FLAG:
			if (!flag_value(val, &b))
				expected = "a boolean";
			else if (strcmp(key, "use_mmap") == 0)
				mmap = b, have_flag = true;
			else
				dio = b, have_flag = true;
			break;
		default: /* unknown: kept as it came */
			json_object_object_add(s, key, json_object_get(val));
		}
		if (expected) {
			json_object_put(s);
			return err_set(e, "%s: llama-bench's '%s' is %s, expected %s", where, key,
				       type_name(val), expected);
		}
	}
	if (have_flag && !have_mode)
		json_object_object_add(s, "load_mode",
				       json_object_new_string(dio ? "direct-io" : mmap ? "mmap" : "none"));
	*out = s;
	return 0;
}

/* A value for a message: its JSON text, sanitised and shortened. */
static char *shown_value(json_object *v)
{
	const char *t = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE)
			  : "absent";
	return sanitize_line(t, strlen(t), LB_SHOWN_VALUE);
}

/* The first setting (n_depth aside: it names the test) that differs
 * between a and b, or NULL. */
static const char *first_difference(json_object *a, json_object *b)
{
	for (int pass = 0; pass < 2; pass++) {
		json_object_object_foreach(pass ? b : a, key, val)
		{
			json_object *other = NULL;
			if (strcmp(key, "n_depth") == 0)
				continue;
			if (!json_object_object_get_ex(pass ? a : b, key, &other) ||
			    !json_object_equal(val, other))
				return key;
		}
	}
	return NULL;
}

/* Keep the first row's settings; a later row must agree with them. */
static int add_row_settings(struct lb_run *r, json_object *row, const char *where, struct err *e)
{
	if (!r->settings) {
		r->settings = row;
		return 0;
	}
	const char *key = first_difference(r->settings, row);
	if (!key) {
		json_object_put(row);
		return 0;
	}
	json_object *now = NULL, *before = NULL;
	json_object_object_get_ex(row, key, &now);
	json_object_object_get_ex(r->settings, key, &before);
	char *k = sanitize_line(key, strlen(key), LB_SHOWN_VALUE);
	char *v1 = shown_value(now), *v0 = shown_value(before);
	err_setx(e, EXIT_REFUSED,
		 "%s: contradictory settings in one run: %s is %s here but %s on an earlier row",
		 where, k, v1, v0);
	free(k), free(v1), free(v0);
	json_object_put(row);
	return -1;
}

/* Run-wide fields come from the first row. */
static void json_run_fields(struct lb_run *r, json_object *o)
{
	set_str(&r->build_commit, json_field(o, "build_commit"));
	set_str(&r->backends, json_field(o, "backends"));
	set_str(&r->gpu_info, json_field(o, "gpu_info"));
	set_str(&r->model_filename, json_field(o, "model_filename"));
	set_str(&r->model_type, json_field(o, "model_type"));
	if (r->n_tests)
		return;
	json_object *bn = json_get(o, "build_number");
	long num;
	if (bn && json_object_is_type(bn, json_type_string)) {
		if (parse_long(json_object_get_string(bn), 0, LONG_MAX, &num) == 0)
			r->build_number = num;
	} else {
		int64_t v = json_int(o, "build_number", 0);
		r->build_number = v < 0 ? 0 : v > LONG_MAX ? LONG_MAX : (long)v;
	}
	r->model_size = json_int(o, "model_size", 0);
	r->model_n_params = json_int(o, "model_n_params", 0);
	r->n_gpu_layers = clamp_int(json_int(o, "n_gpu_layers", 0));
}

/* Per-repetition tokens/s: from samples_ns (tokens / seconds, as upstream
 * computes avg_ts), else samples_ts. */
static void json_samples(json_object *o, int64_t tokens, struct lb_test *t)
{
	json_object *a = json_arr(o, "samples_ns");
	for (int pass = 0; pass < 2 && t->n_samples == 0; pass++) {
		if (pass == 1)
			a = json_arr(o, "samples_ts");
		if (!a)
			continue;
		size_t n = json_object_array_length(a);
		free(t->samples);
		t->samples = xcalloc(n, sizeof(*t->samples));
		for (size_t i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(a, i);
			if (!json_is_number(v))
				continue;
			double x = json_object_get_double(v);
			if (pass == 0)
				x = isfinite(x) && x > 0 ? 1e9 * (double)tokens / x : NAN;
			/* a rate of 0 t/s (or a 0 ns sample) is no measurement */
			if (isfinite(x) && x > 0 && x <= LB_MAX_RATE)
				t->samples[t->n_samples++] = x;
		}
	}
	if (t->n_samples == 0) {
		free(t->samples);
		t->samples = NULL;
	}
}

/* 1 if o was a result row and was added, 0 if it is no result row. */
static int json_add_row(struct lb_run *r, json_object *o, const char *where, struct err *e)
{
	json_object *jp = json_get(o, "n_prompt"), *jg = json_get(o, "n_gen");
	if (!jp || !jg || !json_object_is_type(jp, json_type_int) || !json_object_is_type(jg, json_type_int))
		return 0;
	int64_t np = json_int(o, "n_prompt", -1), ng = json_int(o, "n_gen", -1);
	int64_t nd = json_int(o, "n_depth", 0); /* absent before n_depth existed */
	if (np < 0 || np > INT_MAX || ng < 0 || ng > INT_MAX || nd < 0 || nd > INT_MAX)
		return err_set(e, "%s: n_prompt, n_gen or n_depth out of range", where);

	struct lb_test t;
	memset(&t, 0, sizeof(t));
	t.n_prompt = (int)np;
	t.n_gen = (int)ng;
	t.n_depth = (int)nd;
	test_name(&t);
	json_samples(o, np + ng, &t);
	if (t.n_samples) {
		lb_stats(t.samples, t.n_samples, &t.mean, &t.stddev);
	} else {
		t.mean = json_num(o, "avg_ts", NAN);
		t.stddev = json_num(o, "stddev_ts", NAN);
	}
	/* no machine does a billion tokens a second: such numbers are garbage */
	if (!isfinite(t.mean) || t.mean <= 0 || t.mean > LB_MAX_RATE ||
	    (t.n_samples && !isfinite(t.stddev))) {
		free(t.samples);
		return err_set(e, "%s: test '%s' has no usable timing (no positive samples and no "
			       "positive avg_ts)", where, t.name);
	}
	json_object *settings;
	if (row_settings(o, &settings, where, e) < 0) {
		free(t.samples);
		return -1;
	}
	/* settings first: a sweep (-fa 0,1) repeats tests with other settings,
	 * and the contradiction is what to name, not the repeated test */
	if (add_row_settings(r, settings, where, e) < 0) {
		free(t.samples);
		return -1;
	}
	json_run_fields(r, o);
	return push_test(r, &t, false, where, e);
}

int lb_parse_jsonl(const char *text, size_t len, struct lb_run *r, struct err *e)
{
	struct lines it;
	struct buf clean;
	const char *s;
	size_t n, rows = 0, too_long = 0;
	buf_init(&clean);
	lines_init(&it, text, len);
	while (lines_next(&it, &s, &n)) {
		if (n > LB_MAX_LINE) {
			too_long++;
			continue;
		}
		trim(&s, &n);
		if (!n || s[0] != '{')
			continue; /* log noise */
		buf_reset(&clean);
		json_clean(s, n, &clean);
		struct err ignored;
		err_clear(&ignored);
		json_object *o = json_parse(clean.p, clean.len, "line", &ignored);
		if (!o)
			continue; /* not JSON, or cut short */
		int rc = 0;
		if (json_object_is_type(o, json_type_object)) {
			char where[48];
			snprintf(where, sizeof(where), "line %zu", it.no);
			rc = json_add_row(r, o, where, e);
		}
		json_object_put(o);
		if (rc < 0) {
			buf_free(&clean);
			return -1;
		}
		rows += (size_t)rc;
	}
	buf_free(&clean);
	lb_parse_devices(text, len, &r->devices);
	if (!rows && too_long)
		return err_set(e, "%s (ignored %zu line(s) longer than %zu bytes)", no_rows_msg, too_long,
			       LB_MAX_LINE);
	if (!rows)
		return err_set(e, "%s", no_rows_msg);
	return 0;
}

/* `-o json` is an array printed object by object; when a model fails to
 * load it stops without "]", so the complete objects are read one by one. */
int lb_parse_json(const char *text, size_t len, struct lb_run *r, struct err *e)
{
	struct buf clean;
	size_t rows = 0;
	bool cut = false;
	int rc = 0;
	buf_init(&clean);
	json_clean(text ? text : "", text ? len : 0, &clean);
	const char *s = clean.p;
	size_t n = clean.len, pos = 0;
	for (;;) { /* the first "[" that opens an array of objects */
		const char *open = pos < n ? memchr(s + pos, '[', n - pos) : NULL;
		if (!open) {
			buf_free(&clean);
			return err_set(e, "llama-bench json output: no array found");
		}
		pos = (size_t)(open - s) + 1;
		size_t next = skip_blank(s, n, pos);
		if (next == n || s[next] == '{' || s[next] == ']')
			break;
	}
	for (;;) {
		while (pos < n && (is_blank(s[pos]) || s[pos] == ','))
			pos++;
		if (pos >= n) {
			cut = true;
			break;
		}
		if (s[pos] != '{')
			break; /* "]" or garbage: the end either way */
		if (n - pos > INT_MAX) {
			rc = err_set(e, "llama-bench json output too large");
			break;
		}
		struct json_tokener *tok = json_tokener_new_ex(LB_JSON_DEPTH);
		if (!tok) {
			rc = err_set(e, "llama-bench json output: out of memory");
			break;
		}
		json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
		json_object *o = json_tokener_parse_ex(tok, s + pos, (int)(n - pos));
		enum json_tokener_error jerr = json_tokener_get_error(tok);
		size_t used = json_tokener_get_parse_end(tok);
		json_tokener_free(tok);
		if (jerr != json_tokener_success || !o) {
			cut = jerr == json_tokener_continue;
			json_object_put(o);
			break;
		}
		char where[48];
		snprintf(where, sizeof(where), "result %zu", rows + 1);
		rc = json_object_is_type(o, json_type_object) ? json_add_row(r, o, where, e) : 0;
		json_object_put(o);
		if (rc < 0)
			break;
		rows += (size_t)rc;
		pos += used ? used : 1;
	}
	buf_free(&clean);
	if (rc < 0)
		return -1;
	lb_parse_devices(text, len, &r->devices);
	if (!rows && cut)
		return err_set(e, "llama-bench json output ends before its first complete result");
	if (!rows)
		return err_set(e, "%s", no_rows_msg);
	return 0;
}

/* ---- failures ---- */

struct failure {
	char *exception; /* "vk::DeviceLostError" */
	char *what;      /* "vk::Queue::submit: ErrorDeviceLost" */
	char *assertion; /* "ggml.c:123: GGML_ASSERT(x) failed" */
	char *crash;     /* "Segmentation fault", "Aborted (core dumped)" */
	char *error;     /* the most telling "error" line */
	int error_rank;
	bool backtrace;
	bool has_exit;
	int exit_code;
};

static void keep_first(char **dst, const char *s, size_t n)
{
	if (!*dst && n)
		*dst = sanitize_line(s, n, LB_MAX_SUMMARY);
}

/* How much an error line tells; 0 for none. */
static int error_rank(const char *s, size_t n)
{
	if (find(s, n, "out of memory"))
		return 5;
	if (find(s, n, "error loading model"))
		return 4;
	if (find(s, n, "failed to load model"))
		return 3;
	if (find(s, n, "main: error"))
		return 2;
	if (find(s, n, "error:"))
		return 1;
	return 0;
}

/* "/lib64/libggml-base.so.0(+0x4465) [0x7f5169267465]", "#3 0x... in f". */
static bool is_backtrace_line(const char *s, size_t n)
{
	if (find(s, n, "ggml_print_backtrace"))
		return true;
	if (n > 2 && s[n - 1] == ']' && find(s, n, "(") && find(s, n, ") [0x"))
		return true;
	return n > 2 && s[0] == '#' && is_digit(s[1]) && find(s, n, " 0x");
}

static void scan_line(struct failure *f, const char *s, size_t n)
{
	const char *p;
	static const char thrown[] = "terminate called after throwing an instance of '";
	if (s[0] == '|' || s[0] == '{' || s[0] == '"')
		return; /* table rows and JSON may hold any text */
	if ((p = find(s, n, thrown))) {
		const char *q = p + strlen(thrown), *end = s + n;
		const char *quote = memchr(q, '\'', (size_t)(end - q));
		keep_first(&f->exception, q, (size_t)((quote ? quote : end) - q));
		return;
	}
	if ((p = find(s, n, "what():"))) {
		const char *q = p + strlen("what():");
		size_t k = (size_t)(s + n - q);
		trim(&q, &k);
		keep_first(&f->what, q, k);
		return;
	}
	if ((p = find(s, n, "failed (exit "))) {
		size_t i = (size_t)(p - s) + strlen("failed (exit ");
		int code;
		if (!f->has_exit && parse_uint(s, n, &i, &code) && i < n && s[i] == ')') {
			f->has_exit = true;
			f->exit_code = code;
		}
		return;
	}
	if (find(s, n, "GGML_ASSERT(")) {
		keep_first(&f->assertion, s, n);
		return;
	}
	if (begins(s, n, "Segmentation fault") || begins(s, n, "Aborted (core dumped)") ||
	    (n == 6 && memcmp(s, "Killed", 6) == 0)) {
		keep_first(&f->crash, s, n);
		return;
	}
	if (is_backtrace_line(s, n)) {
		f->backtrace = true;
		return;
	}
	int rank = error_rank(s, n);
	if (rank > f->error_rank) {
		free(f->error);
		f->error = sanitize_line(s, n, LB_MAX_SUMMARY);
		f->error_rank = rank;
	}
}

static void scan_failure(const char *text, size_t len, struct failure *f)
{
	struct lines it;
	const char *s;
	size_t n;
	memset(f, 0, sizeof(*f));
	lines_init(&it, text, len);
	while (lines_next(&it, &s, &n)) {
		if (n > LB_MAX_LINE)
			continue;
		trim(&s, &n);
		if (n)
			scan_line(f, s, n);
	}
}

/* Signs that the process died, as opposed to lines that mention errors. */
static bool failure_is_crash(const struct failure *f)
{
	return f->exception || f->what || f->assertion || f->crash || f->backtrace || f->has_exit;
}

static char *failure_summary(const struct failure *f)
{
	struct buf b;
	if (!failure_is_crash(f) && !f->error)
		return NULL;
	buf_init(&b);
	if (f->exception && f->what)
		buf_addf(&b, "%s: %s", f->exception, f->what);
	else if (f->exception)
		buf_addf(&b, "uncaught exception %s", f->exception);
	else if (f->what)
		buf_adds(&b, f->what);
	else if (f->assertion)
		buf_adds(&b, f->assertion);
	else if (f->error)
		buf_adds(&b, f->error);
	else if (f->crash)
		buf_adds(&b, f->crash);
	else if (f->backtrace)
		buf_adds(&b, "crashed (backtrace in output)");
	if (f->has_exit)
		buf_addf(&b, b.len ? " (exit %d)" : "failed (exit %d)", f->exit_code);
	char *out = sanitize_line(b.p, b.len, 2 * LB_MAX_SUMMARY);
	buf_free(&b);
	return out;
}

static void failure_free(struct failure *f)
{
	free(f->exception);
	free(f->what);
	free(f->assertion);
	free(f->crash);
	free(f->error);
	memset(f, 0, sizeof(*f));
}

char *lb_error_summary(const char *text, size_t len)
{
	struct failure f;
	scan_failure(text, len, &f);
	char *s = failure_summary(&f);
	failure_free(&f);
	return s;
}

/* ---- devices ---- */

/* "ggml_vulkan: 0 = AMD Radeon 8060S Graphics (RADV GFX1151) (radv) | ..." */
static bool is_vulkan_device(const char *s, size_t n)
{
	size_t i = strlen("ggml_vulkan: ");
	int idx;
	return begins(s, n, "ggml_vulkan: ") && parse_uint(s, n, &i, &idx) && begins(s + i, n - i, " = ");
}

/* "Device 0: AMD Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, ..." */
static bool is_cuda_device(const char *s, size_t n)
{
	size_t i = strlen("Device ");
	int idx;
	return begins(s, n, "Device ") && parse_uint(s, n, &i, &idx) && begins(s + i, n - i, ": ");
}

void lb_parse_devices(const char *text, size_t len, struct strv *out)
{
	struct lines it;
	const char *s;
	size_t n;
	bool after_cuda_init = false;
	lines_init(&it, text, len);
	while (lines_next(&it, &s, &n) && out->n < LB_MAX_DEVICES) {
		if (n > LB_MAX_LINE)
			continue;
		bool indented = n && (s[0] == ' ' || s[0] == '\t');
		trim(&s, &n);
		if (begins(s, n, "ggml_cuda_init:")) {
			after_cuda_init = true;
			continue;
		}
		if (!is_vulkan_device(s, n) && !(is_cuda_device(s, n) && (indented || after_cuda_init)))
			continue;
		char *d = sanitize_line(s, n, LB_MAX_FIELD);
		if (!strv_contains(out, d)) /* the same output printed twice */
			strv_push(out, d);
		free(d);
	}
}

/* ---- markdown ---- */

struct cell {
	const char *s;
	size_t n;
};

struct md_cols {
	bool valid;
	size_t ncells;
	int model, size, params, backend, ngl, test, ts;
	/* the JSON field name of each setting column (NULL for the others) */
	char *names[MD_MAX_CELLS];
	size_t n_names;
};

static void md_cols_free(struct md_cols *c)
{
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	c->n_names = 0;
}

/* Split "| a | b |" into trimmed cells; MD_MAX_CELLS + 1 if too many. */
static size_t md_split(const char *s, size_t n, struct cell *cells)
{
	size_t k = 0, i = 1;
	while (i < n) {
		const char *bar = memchr(s + i, '|', n - i);
		if (!bar)
			break; /* a cell cut short */
		if (k == MD_MAX_CELLS)
			return MD_MAX_CELLS + 1;
		cells[k].s = s + i;
		cells[k].n = (size_t)(bar - (s + i));
		trim(&cells[k].s, &cells[k].n);
		k++;
		i = (size_t)(bar - s) + 1;
	}
	return k;
}

static bool cell_is(const struct cell *c, const char *name)
{
	return c->n == strlen(name) && memcmp(c->s, name, c->n) == 0;
}

/* llama-bench's markdown column names for its JSON fields. */
static const char *md_setting_name(const struct cell *c)
{
	static const char *const map[][2] = {
		{ "ngl", "n_gpu_layers" },  { "fa", "flash_attn" },	 { "mmap", "use_mmap" },
		{ "dio", "use_direct_io" }, { "threads", "n_threads" },	 { "sm", "split_mode" },
		{ "mg", "main_gpu" },	    { "nkvo", "no_kv_offload" }, { "embd", "embeddings" },
		{ "ts", "tensor_split" },   { "ot", "tensor_buft_overrides" },
		{ "dev", "devices" },	    { "nopo", "no_op_offload" },
		{ "lm", "load_mode" },	    { "noh", "no_host" },
		{ "fitt", "fit_target" },   { "fitc", "fit_min_ctx" },
		{ "rpk", "repack" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (cell_is(c, map[i][0]))
			return map[i][1];
	return NULL;
}

static bool md_header(const struct cell *cells, size_t k, struct md_cols *cols)
{
	struct md_cols c = { .valid = true, .ncells = k, .model = -1, .size = -1, .params = -1,
			     .backend = -1, .ngl = -1, .test = -1, .ts = -1 };
	for (size_t i = 0; i < k; i++) {
		int *slot = cell_is(&cells[i], "model")     ? &c.model
			    : cell_is(&cells[i], "size")    ? &c.size
			    : cell_is(&cells[i], "params")  ? &c.params
			    : cell_is(&cells[i], "backend") ? &c.backend
			    : cell_is(&cells[i], "ngl")     ? &c.ngl
			    : cell_is(&cells[i], "test")    ? &c.test
			    : cell_is(&cells[i], "t/s")     ? &c.ts
							    : NULL;
		if (slot && *slot < 0)
			*slot = (int)i;
	}
	if (c.test < 0 || c.ts < 0)
		return false;
	for (size_t i = 0; i < k; i++) {
		bool identity = (int)i == c.model || (int)i == c.size || (int)i == c.params ||
				(int)i == c.backend || (int)i == c.test || (int)i == c.ts;
		const char *name = md_setting_name(&cells[i]);
		c.names[i] = identity || !cells[i].n ? NULL
			     : name		       ? xstrdup(name)
						       : sanitize_line(cells[i].s, cells[i].n, 64);
	}
	c.n_names = k;
	md_cols_free(cols);
	*cols = c;
	return true;
}

/* "pp512", "tg128", "pp512+tg128", "pp 512" (older builds), "pp512 @ d4096". */
static bool md_test_name(const char *s, size_t n, int *np, int *ng, int *nd)
{
	size_t i = 2;
	*np = *ng = *nd = 0;
	if (begins(s, n, "pp")) {
		skip_spaces(s, n, &i);
		if (!parse_uint(s, n, &i, np))
			return false;
		if (i < n && s[i] == '+') {
			i++;
			if (!begins(s + i, n - i, "tg"))
				return false;
			i += 2;
			skip_spaces(s, n, &i);
			if (!parse_uint(s, n, &i, ng))
				return false;
		}
	} else if (begins(s, n, "tg")) {
		skip_spaces(s, n, &i);
		if (!parse_uint(s, n, &i, ng))
			return false;
	} else {
		return false;
	}
	skip_spaces(s, n, &i);
	if (i < n && s[i] == '@') {
		i++;
		skip_spaces(s, n, &i);
		if (i >= n || s[i] != 'd')
			return false;
		i++;
		if (!parse_uint(s, n, &i, nd))
			return false;
	}
	skip_spaces(s, n, &i);
	return i == n;
}

/* A standard deviation cell part: a number, or nan/inf from upstream's
 * formula (unknown: NaN). */
static bool md_stddev(const char *s, size_t n, size_t *i, double *out)
{
	if (parse_decimal(s, n, i, out))
		return true;
	size_t k = *i < n ? nonfinite_len(s, n, *i) : 0;
	if (!k)
		return false;
	*i += k;
	*out = NAN;
	return true;
}

/* "1692.49 ± 16.61" */
static bool md_rate(const char *s, size_t n, double *mean, double *sd)
{
	size_t i = 0;
	*sd = NAN;
	if (!parse_decimal(s, n, &i, mean))
		return false;
	skip_spaces(s, n, &i);
	if (i == n)
		return true;
	if (begins(s + i, n - i, "\xc2\xb1"))
		i += 2;
	else if (begins(s + i, n - i, "+/-"))
		i += 3;
	else
		return false;
	skip_spaces(s, n, &i);
	if (!md_stddev(s, n, &i, sd))
		return false;
	skip_spaces(s, n, &i);
	return i == n;
}

/* "11.27 GiB" in bytes, "20.91 B" parameters: 0 when unreadable. */
static int64_t md_quantity(const struct cell *c, bool binary)
{
	static const char *const bin_units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	static const char *const dec_units[] = { "", "K", "M", "B", "T" };
	const char *const *units = binary ? bin_units : dec_units;
	size_t i = 0;
	double v;
	if (!parse_decimal(c->s, c->n, &i, &v))
		return 0;
	skip_spaces(c->s, c->n, &i);
	for (int u = 0; u < 5; u++) {
		if (c->n - i != strlen(units[u]) || memcmp(c->s + i, units[u], c->n - i) != 0)
			continue;
		double x = v * pow(binary ? 1024.0 : 1000.0, u);
		return x >= 0 && x < 9.0e18 ? (int64_t)llround(x) : 0;
	}
	return 0;
}

/* A row's setting cells as llama-bench's JSON would hold them: whole
 * numbers as integers, the rest as strings. */
static json_object *md_settings_json(const struct md_cols *cols, const struct cell *cells)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < cols->ncells && i < cols->n_names; i++) {
		if (!cols->names[i])
			continue;
		const struct cell *c = &cells[i];
		size_t k = c->n && c->s[0] == '-' ? 1 : 0;
		int v;
		if (k < c->n && parse_uint(c->s, c->n, &k, &v) && k == c->n) {
			json_object_object_add(o, cols->names[i],
					       json_object_new_int(c->s[0] == '-' ? -v : v));
		} else {
			char *t = sanitize_line(c->s, c->n, LB_MAX_FIELD);
			json_object_object_add(o, cols->names[i], json_object_new_string(t));
			free(t);
		}
	}
	return o;
}

static char *md_text(const struct cell *cells, int col)
{
	if (col < 0 || !cells[col].n)
		return NULL;
	return sanitize_line(cells[col].s, cells[col].n, LB_MAX_FIELD);
}

static int md_add_row(struct lb_run *r, const struct md_cols *cols, const struct cell *cells,
		      const char *where, struct err *e)
{
	const struct cell *tc = &cells[cols->test], *rc = &cells[cols->ts];
	struct lb_test t;
	memset(&t, 0, sizeof(t));
	if (!md_test_name(tc->s, tc->n, &t.n_prompt, &t.n_gen, &t.n_depth) ||
	    !md_rate(rc->s, rc->n, &t.mean, &t.stddev))
		return 0; /* the separator line, or something else */
	test_name(&t);
	/* the same bounds as the JSON outputs' (and a record's): garbage otherwise */
	if (!(t.mean > 0 && t.mean <= LB_MAX_RATE) ||
	    (isfinite(t.stddev) && !(t.stddev >= 0 && t.stddev <= LB_MAX_RATE)))
		return err_set(e, "%s: test '%s' has no usable rate (%g t/s)", where, t.name, t.mean);
	if (!r->n_tests) {
		set_str(&r->model_type, md_text(cells, cols->model));
		set_str(&r->backends, md_text(cells, cols->backend));
		if (cols->size >= 0)
			r->model_size = md_quantity(&cells[cols->size], true);
		if (cols->params >= 0)
			r->model_n_params = md_quantity(&cells[cols->params], false);
		size_t i = 0;
		int ngl;
		if (cols->ngl >= 0 && parse_uint(cells[cols->ngl].s, cells[cols->ngl].n, &i, &ngl) &&
		    i == cells[cols->ngl].n)
			r->n_gpu_layers = ngl;
	}
	if (cols->n_names) { /* settings first, as for JSON rows */
		json_object *settings = NULL, *raw = md_settings_json(cols, cells);
		int bad = row_settings(raw, &settings, where, e);
		json_object_put(raw);
		if (bad < 0 || add_row_settings(r, settings, where, e) < 0)
			return -1;
	}
	return push_test(r, &t, true, where, e);
}

/* "build: 0253fb21f (9187)" */
static void md_build(struct lb_run *r, const char *s, size_t n)
{
	size_t i = strlen("build: "), start;
	int num;
	if (r->build_commit)
		return;
	skip_spaces(s, n, &i);
	start = i;
	while (i < n && !is_blank(s[i]))
		i++;
	if (i == start)
		return;
	r->build_commit = sanitize_line(s + start, i - start, LB_MAX_FIELD);
	skip_spaces(s, n, &i);
	if (i < n && s[i] == '(') {
		i++;
		if (parse_uint(s, n, &i, &num) && i < n && s[i] == ')')
			r->build_number = num;
	}
}

int lb_parse_markdown(const char *text, size_t len, struct lb_run *r, struct err *e)
{
	struct lines it;
	struct md_cols cols = { .valid = false };
	struct cell cells[MD_MAX_CELLS];
	const char *s;
	size_t n, rows = 0;
	bool header_seen = false;
	lines_init(&it, text, len);
	while (lines_next(&it, &s, &n)) {
		if (n > LB_MAX_LINE)
			continue;
		trim(&s, &n);
		if (begins(s, n, "build: ")) {
			md_build(r, s, n);
			continue;
		}
		if (!n || s[0] != '|')
			continue; /* stderr lines may sit between rows */
		size_t k = md_split(s, n, cells);
		if (k > MD_MAX_CELLS)
			continue;
		if (md_header(cells, k, &cols)) {
			header_seen = true;
			continue;
		}
		if (!cols.valid || k != cols.ncells)
			continue;
		char where[48];
		snprintf(where, sizeof(where), "line %zu", it.no);
		int rc = md_add_row(r, &cols, cells, where, e);
		if (rc < 0) {
			md_cols_free(&cols);
			return -1;
		}
		rows += (size_t)rc;
	}
	md_cols_free(&cols);
	lb_parse_devices(text, len, &r->devices);

	struct failure f;
	scan_failure(text, len, &f);
	if (failure_is_crash(&f) || (!rows && f.error)) {
		r->failed = true;
		free(r->error);
		r->error = failure_summary(&f);
	} else if (!rows) {
		if (!header_seen) {
			failure_free(&f);
			return err_set(e, "%s", no_rows_msg);
		}
		r->failed = true;
		free(r->error);
		r->error = xstrdup(no_rows_msg);
	}
	failure_free(&f);
	return 0;
}

/* ---- detection ---- */

int lb_parse_any(const char *text, size_t len, struct lb_run *r, struct err *e)
{
	struct lines it;
	const char *s;
	size_t n;
	if (!text)
		len = 0;
	size_t i = skip_blank(text, len, 0);
	if (i < len && text[i] == '[') {
		size_t j = skip_blank(text, len, i + 1);
		if (j == len || text[j] == '{' || text[j] == ']')
			return lb_parse_json(text, len, r, e);
	}
	if (i < len && text[i] == '{')
		return lb_parse_jsonl(text, len, r, e);
	/* stderr may come first when both streams were captured together */
	lines_init(&it, text, len);
	while (lines_next(&it, &s, &n)) {
		if (n > LB_MAX_LINE)
			continue;
		trim(&s, &n);
		if (n == 1 && s[0] == '[')
			return lb_parse_json(text, len, r, e);
		if (begins(s, n, "{\""))
			return lb_parse_jsonl(text, len, r, e);
		if (n && s[0] == '|')
			break;
	}
	return lb_parse_markdown(text, len, r, e);
}
