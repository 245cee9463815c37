/* escape.h - untrusted text (record fields, file names, registry and
 * podman messages) made safe for each place it is written to.
 *
 * Every output has its own escaper and all of them share one reading of
 * the input: it is UTF-8, and a byte that does not start a valid sequence
 * (overlong forms, surrogates, past U+10FFFF, cut short) is one bad
 * character.  Control characters (C0, DEL, C1, U+2028/U+2029) become
 * spaces; bad characters, noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF)
 * and invisible format characters that reorder or hide text (bidi
 * embeddings, overrides and isolates, zero-width characters, BOM) become
 * U+FFFD in documents and '?' on a terminal.  So no escaper ever lets
 * through a byte sequence its reader would interpret.
 *
 *   sanitize_line() (util.h)  terminal: one printable line
 *   esc_md()                  Markdown inline text: table cells, headings,
 *                             list items (no HTML, no links, no emphasis,
 *                             no cell or line breaks)
 *   esc_xml()                 XML 1.0 text and attribute values (SVG)
 *   esc_html()                HTML text and quoted attribute values
 */
#ifndef TBX_ESCAPE_H
#define TBX_ESCAPE_H

#include "util.h"

/* Length (1-4) of the valid UTF-8 sequence at s (at most n bytes) and its
 * code point in *cp; 0 when s[0] does not start one. */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

void esc_md(struct buf *b, const char *s);
void esc_xml(struct buf *b, const char *s);
void esc_html(struct buf *b, const char *s);

/* Serialized JSON (json_pretty) made safe for a terminal without changing
 * what it means: every character sanitize_line() would not print as itself
 * (C1 controls, U+2028/U+2029, bidi and zero-width characters,
 * noncharacters) becomes a \uXXXX escape (a surrogate pair past U+FFFF),
 * a byte that is not UTF-8 becomes \ufffd.  Such characters only occur
 * inside strings, so the document parses to the same values.  New string. */
char *esc_json_out(const char *json);

/* Is s valid UTF-8 whose every character prints as itself: no control
 * character (C0, DEL, C1, U+2028/U+2029), noncharacter or hiding format
 * character?  (What sanitize_line() would leave unchanged.) */
bool text_is_clean(const char *s);

/* Does s hold a control character: C0 (below 0x20), DEL, C1
 * (U+0080-U+009F) or a line or paragraph separator (U+2028/U+2029)?
 * (What a unit file or crontab line must not hold; bytes that are not
 * UTF-8 are not control characters.) */
bool text_has_control(const char *s);

/* s cut to at most max bytes, never inside a UTF-8 sequence.  New string. */
char *utf8_truncate(const char *s, size_t max);

#endif
