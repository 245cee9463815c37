/* escape.c - one reading of untrusted text, one escaper per output. */
#define _GNU_SOURCE
#include "escape.h"

#include <ctype.h>
#include <string.h>

size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;
	uint32_t c;
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80; /* 2nd byte */
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2) {
		len = 2, c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return len;
}

enum char_class {
	CH_PLAIN,   /* printable: kept (escaped as the output needs) */
	CH_CONTROL, /* C0, DEL, C1, line and paragraph separators: a space */
	CH_BAD,     /* invalid UTF-8, noncharacter, hiding format character */
};

static enum char_class classify(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029)
		return CH_CONTROL;
	if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return CH_BAD; /* noncharacters: U+FFFE/U+FFFF are not XML */
	if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff)
		return CH_BAD; /* zero-width, bidi embeddings/overrides/isolates, BOM */
	return CH_PLAIN;
}

/* The next character of s[i..n): its length (at least 1) and class. */
static size_t next_char(const char *s, size_t n, uint32_t *cp, enum char_class *cls)
{
	size_t len = utf8_decode(s, n, cp);
	if (!len) {
		*cls = CH_BAD;
		return 1;
	}
	*cls = classify(*cp);
	return len;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

char *sanitize_line(const char *s, size_t len, size_t max)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	size_t i = 0;
	while (i < len && b.len < max) {
		uint32_t cp;
		enum char_class cls;
		size_t n = next_char(s + i, len - i, &cp, &cls);
		if (cls == CH_PLAIN)
			buf_add(&b, s + i, n);
		else if (cls == CH_CONTROL && (cp == '\t' || cp == '\n' || cp == '\r'))
			buf_addc(&b, ' ');
		else
			buf_addc(&b, '?');
		i += n;
	}
	/* trim trailing blanks left by newlines */
	while (b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	if (i < len)
		buf_adds(&b, "...");
	return buf_detach(&b);
}

char *esc_json_out(const char *json)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	size_t len = strlen(json), i = 0;
	while (i < len) {
		uint32_t cp;
		enum char_class cls;
		size_t n = next_char(json + i, len - i, &cp, &cls);
		if (cls == CH_PLAIN || (cls == CH_CONTROL && cp < 0x7f))
			buf_add(&b, json + i, n); /* C0: json-c escapes those in strings */
		else if (!utf8_decode(json + i, len - i, &cp))
			buf_adds(&b, "\\ufffd");
		else if (cp > 0xffff)
			buf_addf(&b, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
				 0xdc00 + ((cp - 0x10000) & 0x3ff));
		else
			buf_addf(&b, "\\u%04x", cp);
		i += n;
	}
	return buf_detach(&b);
}

/* Does s hold a character of one of the classes (a mask of 1 << class)? */
static bool has_char_of(const char *s, unsigned classes)
{
	size_t len = strlen(s), i = 0;
	while (i < len) {
		uint32_t cp;
		enum char_class cls;
		i += next_char(s + i, len - i, &cp, &cls);
		if (classes & (1u << cls))
			return true;
	}
	return false;
}

bool text_is_clean(const char *s)
{
	return !has_char_of(s, 1u << CH_CONTROL | 1u << CH_BAD);
}

bool text_has_control(const char *s)
{
	return has_char_of(s, 1u << CH_CONTROL);
}

char *utf8_truncate(const char *s, size_t max)
{
	size_t len = strlen(s), i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		n = n ? n : 1;
		if (i + n > max)
			break;
		i += n;
	}
	return xstrndup(s, i);
}

/* Markdown (CommonMark and GitHub's extensions) inline text.  Backslash
 * escapes every character that could start markup: tables (|), emphasis
 * (* _ ~), code (`), links and images ([ ]), headings and their closing
 * sequence (#), math ($); '<' and '&' as entities so no HTML tag or
 * entity exists.  '_' inside a word is literal already and kept as is. */
void esc_md(struct buf *b, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		enum char_class cls;
		size_t n = next_char(s + i, len - i, &cp, &cls);
		char c = s[i];
		if (cls == CH_CONTROL)
			buf_addc(b, ' ');
		else if (cls == CH_BAD)
			buf_adds(b, REPLACEMENT);
		else if (c == '<')
			buf_adds(b, "&lt;");
		else if (c == '&' && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '#'))
			buf_adds(b, "&amp;"); /* would start an entity */
		else if (c == '_' && i > 0 && isalnum((unsigned char)s[i - 1]) &&
			 isalnum((unsigned char)s[i + 1]))
			buf_addc(b, c);
		else if (n == 1 && strchr("|\\*_`[]#~$", c))
			buf_addc(b, '\\'), buf_addc(b, c);
		else
			buf_add(b, s + i, n);
		i += n;
	}
}

/* XML 1.0 Char is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 * [#x10000-#x10FFFF]: invalid UTF-8 (which includes lone surrogates) and
 * U+FFFE/U+FFFF must never reach the file, or it is not well-formed. */
static void esc_markup(struct buf *b, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		enum char_class cls;
		size_t n = next_char(s + i, len - i, &cp, &cls);
		if (cls == CH_CONTROL)
			buf_addc(b, ' ');
		else if (cls == CH_BAD)
			buf_adds(b, REPLACEMENT);
		else if (cp == '&')
			buf_adds(b, "&amp;");
		else if (cp == '<')
			buf_adds(b, "&lt;");
		else if (cp == '>')
			buf_adds(b, "&gt;");
		else if (cp == '"')
			buf_adds(b, "&quot;");
		else if (cp == '\'')
			buf_adds(b, "&#39;");
		else
			buf_add(b, s + i, n);
		i += n;
	}
}

void esc_xml(struct buf *b, const char *s)
{
	esc_markup(b, s);
}

/* HTML text and double- or single-quoted attribute values: the same
 * five characters matter, and the same code points are unwanted. */
void esc_html(struct buf *b, const char *s)
{
	esc_markup(b, s);
}
