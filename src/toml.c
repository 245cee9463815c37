/* toml.c - a TOML subset, enough to read any containers.conf: tables
 * (and arrays of tables), dotted and quoted keys, strings of the four
 * kinds.  Strings are decoded and handed to a callback; every other value
 * (numbers, booleans, dates, arrays, inline tables) is checked for shape
 * and skipped. */
#define _GNU_SOURCE
#include "toml.h"

#include <string.h>

#define TOML_MAX_DEPTH 32

struct toml {
	const char *p, *end;
	const char *name;
	int line;
	struct err *e;
	struct strv table; /* current [table] path */
	toml_string_fn fn;
	void *ctx;
};

static int toml_error(struct toml *t, const char *what)
{
	return err_setx(t->e, EXIT_USAGE, "%s:%d: %s", t->name, t->line, what);
}

static bool at_eol(const struct toml *t)
{
	return t->p >= t->end || *t->p == '\n' ||
	       (*t->p == '\r' && t->p + 1 < t->end && t->p[1] == '\n');
}

static void skip_blank(struct toml *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

static void skip_comment(struct toml *t)
{
	if (t->p < t->end && *t->p == '#')
		while (t->p < t->end && *t->p != '\n')
			t->p++;
}

/* Blanks, comments and newlines (inside arrays). */
static void skip_space_lines(struct toml *t)
{
	for (;;) {
		skip_blank(t);
		skip_comment(t);
		if (t->p < t->end && (*t->p == '\n' || *t->p == '\r')) {
			if (*t->p == '\n')
				t->line++;
			t->p++;
			continue;
		}
		return;
	}
}

/* After a key/value or a header: blanks, a comment, then the line's end. */
static int end_of_line(struct toml *t)
{
	skip_blank(t);
	skip_comment(t);
	if (!at_eol(t))
		return toml_error(t, "unexpected text after the value");
	if (t->p < t->end && *t->p == '\r')
		t->p++;
	if (t->p < t->end) {
		t->p++;
		t->line++;
	}
	return 0;
}

static void add_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | (cp >> 6)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | (cp >> 12)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | (cp >> 18)));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

static int toml_escape(struct toml *t, struct buf *b)
{
	char c = *t->p++;
	const char *simple = "btnfre\"\\", *means = "\b\t\n\f\r\033\"\\";
	const char *k = strchr(simple, c);
	if (c && k) {
		buf_addc(b, means[k - simple]);
		return 0;
	}
	if (c != 'u' && c != 'U')
		return toml_error(t, "invalid escape in a string");
	int n = c == 'u' ? 4 : 8;
	unsigned long cp = 0;
	for (int i = 0; i < n; i++, t->p++) {
		if (t->p >= t->end || !strchr("0123456789abcdefABCDEF", *t->p) || !*t->p)
			return toml_error(t, "invalid \\u escape in a string");
		char h = *t->p;
		cp = cp * 16 + (unsigned long)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return toml_error(t, "invalid Unicode escape in a string");
	add_utf8(b, cp);
	return 0;
}

/* A string of any of the four kinds, at its opening quote. */
static int toml_string(struct toml *t, struct buf *b)
{
	char q = *t->p;
	bool multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
	buf_reset(b);
	t->p += multi ? 3 : 1;
	if (multi && t->p < t->end && (*t->p == '\n' || *t->p == '\r')) {
		/* a newline right after the opening quotes is trimmed */
		if (*t->p == '\r')
			t->p++;
		if (t->p < t->end && *t->p == '\n')
			t->p++, t->line++;
	}
	for (;;) {
		if (t->p >= t->end)
			return toml_error(t, "unterminated string");
		char c = *t->p;
		if (c == q && (!multi || (t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q))) {
			t->p += multi ? 3 : 1;
			/* """a"""" : up to two more quotes belong to the string */
			for (int extra = 0; multi && extra < 2 && t->p < t->end && *t->p == q;
			     extra++)
				buf_addc(b, q), t->p++;
			return 0;
		}
		if (c == '\n') {
			if (!multi)
				return toml_error(t, "unterminated string");
			t->line++;
		}
		if (c == '\\' && q == '"') {
			t->p++;
			if (multi && t->p < t->end && strchr(" \t\r\n", *t->p)) {
				/* line-ending backslash: drop the newline and the blanks after it
				 */
				while (t->p < t->end && strchr(" \t\r\n", *t->p))
					t->line += *t->p++ == '\n';
				continue;
			}
			if (t->p >= t->end)
				return toml_error(t, "unterminated string");
			if (toml_escape(t, b) < 0)
				return -1;
			continue;
		}
		if ((unsigned char)c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return toml_error(t, "control character in a string");
		buf_addc(b, c);
		t->p++;
	}
}

static bool bare_key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A dotted key ("a.b", "a.\"b c\"") appended to path. */
static int toml_key(struct toml *t, struct strv *path)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	int rc = 0;
	for (;;) {
		skip_blank(t);
		if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
			if (t->end - t->p >= 3 && t->p[1] == *t->p && t->p[2] == *t->p) {
				rc = toml_error(t, "a key cannot be a multi-line string");
				break;
			}
			if ((rc = toml_string(t, &b)) < 0)
				break;
		} else {
			const char *s = t->p;
			while (t->p < t->end && bare_key_char(*t->p))
				t->p++;
			if (t->p == s) {
				rc = toml_error(t, "expected a key");
				break;
			}
			buf_reset(&b);
			buf_add(&b, s, (size_t)(t->p - s));
		}
		strv_push(path, buf_str(&b));
		skip_blank(t);
		if (t->p < t->end && *t->p == '.') {
			t->p++;
			continue;
		}
		break;
	}
	buf_free(&b);
	return rc;
}

static int toml_value(struct toml *t, struct buf *str, bool *is_str, int depth);

static int toml_array(struct toml *t, int depth)
{
	struct buf ignore = BUF_INIT;
	bool is_str;
	int rc = 0;
	buf_init(&ignore);
	t->p++; /* [ */
	for (;;) {
		skip_space_lines(t);
		if (t->p >= t->end) {
			rc = toml_error(t, "unterminated array");
			break;
		}
		if (*t->p == ']') {
			t->p++;
			break;
		}
		if ((rc = toml_value(t, &ignore, &is_str, depth + 1)) < 0)
			break;
		skip_space_lines(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
		} else if (t->p < t->end && *t->p != ']') {
			rc = toml_error(t, "expected ',' or ']' in an array");
			break;
		}
	}
	buf_free(&ignore);
	return rc;
}

static int toml_inline_table(struct toml *t, int depth)
{
	struct buf ignore = BUF_INIT;
	bool is_str;
	int rc = 0;
	buf_init(&ignore);
	t->p++; /* { */
	skip_blank(t);
	if (t->p < t->end && *t->p == '}') {
		t->p++;
		buf_free(&ignore);
		return 0;
	}
	for (;;) {
		struct strv key = STRV_INIT;
		rc = toml_key(t, &key);
		strv_free(&key);
		if (rc < 0)
			break;
		if (t->p >= t->end || *t->p != '=') {
			rc = toml_error(t, "expected '=' in an inline table");
			break;
		}
		t->p++;
		skip_blank(t);
		if ((rc = toml_value(t, &ignore, &is_str, depth + 1)) < 0)
			break;
		skip_blank(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		if (t->p < t->end && *t->p == '}') {
			t->p++;
			break;
		}
		rc = toml_error(t, "expected ',' or '}' in an inline table");
		break;
	}
	buf_free(&ignore);
	return rc;
}

/* A number, boolean or date: checked loosely (its characters), skipped.
 * A date may hold one blank between its day and its time. */
static int toml_bare_value(struct toml *t)
{
	const char *s = t->p;
	while (t->p < t->end) {
		char c = *t->p;
		if (bare_key_char(c) || c == '+' || c == '.' || c == ':') {
			t->p++;
		} else if (c == ' ' && t->p - s == 10 && s[4] == '-' && t->p + 1 < t->end &&
			   t->p[1] >= '0' && t->p[1] <= '9') {
			t->p++;
		} else {
			break;
		}
	}
	if (t->p == s)
		return toml_error(t, "expected a value");
	return 0;
}

static int toml_value(struct toml *t, struct buf *str, bool *is_str, int depth)
{
	*is_str = false;
	if (depth > TOML_MAX_DEPTH)
		return toml_error(t, "values nested too deeply");
	if (t->p >= t->end || at_eol(t))
		return toml_error(t, "expected a value");
	switch (*t->p) {
	case '"':
	case '\'': *is_str = true; return toml_string(t, str);
	case '[': return toml_array(t, depth);
	case '{': return toml_inline_table(t, depth);
	default: return toml_bare_value(t);
	}
}

static int toml_header(struct toml *t)
{
	bool array = t->end - t->p >= 2 && t->p[1] == '[';
	t->p += array ? 2 : 1;
	strv_free(&t->table);
	if (toml_key(t, &t->table) < 0)
		return -1;
	if (t->p >= t->end || *t->p != ']' || (array && (t->p + 1 >= t->end || t->p[1] != ']')))
		return toml_error(t, array ? "expected ']]' after the table name"
					   : "expected ']' after the table name");
	t->p += array ? 2 : 1;
	/* keys under [[x]] belong to an element, never to a destination */
	if (array)
		strv_push(&t->table, "[]");
	return end_of_line(t);
}

static int toml_keyval(struct toml *t)
{
	struct strv path = STRV_INIT;
	struct buf val = BUF_INIT;
	bool is_str = false;
	int rc = -1;
	buf_init(&val);
	for (size_t i = 0; i < t->table.n; i++)
		strv_push(&path, t->table.v[i]);
	if (toml_key(t, &path) < 0)
		goto out;
	if (t->p >= t->end || *t->p != '=') {
		toml_error(t, "expected '=' after the key");
		goto out;
	}
	t->p++;
	skip_blank(t);
	int line = t->line;
	if (toml_value(t, &val, &is_str, 0) < 0)
		goto out;
	if (is_str) {
		if (memchr(val.p, '\0', val.len)) {
			t->line = line;
			toml_error(t, "NUL character in a string");
			goto out;
		}
		t->fn(&path, val.p, t->ctx);
	}
	rc = end_of_line(t);
out:
	strv_free(&path);
	buf_free(&val);
	return rc;
}

int toml_parse(const char *text, size_t len, const char *name, toml_string_fn fn, void *ctx,
	       struct err *e)
{
	struct toml t = { .p = text, .end = text + len, .name = name, .line = 1, .e = e, .fn = fn,
			  .ctx = ctx };
	int rc = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		t.p += 3;
	while (rc == 0) {
		skip_space_lines(&t);
		if (t.p >= t.end)
			break;
		rc = *t.p == '[' ? toml_header(&t) : toml_keyval(&t);
	}
	strv_free(&t.table);
	return rc;
}
