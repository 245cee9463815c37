/* fuzz_json.c - the JSON layer: json_parse with its NAME:LINE:COL errors,
 * and json_pretty output that parses back to the same value.
 *
 * Checks: a failure names the document and a position inside (or just
 * past) the text; a success is the whole text (only whitespace may
 * follow the value) and survives a round trip through json_pretty.
 */
#include "fuzz.h"
#include "json.h"

#define NAME "fuzz.json"

/* Where text[0..len) can have an error: lines 1..newlines+1, columns
 * 1..(longest line + 1). */
static void check_position(const char *text, size_t len, const char *msg)
{
	size_t plen = strlen(NAME ":");
	if (strncmp(msg, NAME ":", plen) != 0)
		fuzz_fail("message '%s' does not start with the name", msg);
	unsigned long line, col;
	int used = 0;
	if (sscanf(msg + plen, "%lu:%lu: %n", &line, &col, &used) != 2 || used == 0 ||
	    !msg[plen + (size_t)used])
		fuzz_fail("message '%s' is not NAME:LINE:COL: text", msg);
	size_t lines = 1, longest = 0, cur = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			lines++;
			cur = 0;
		} else if (++cur > longest) {
			longest = cur;
		}
	}
	if (line < 1 || line > lines || col < 1 || col > longest + 1)
		fuzz_fail("message '%s' points outside the text (%zu lines, longest %zu)", msg, lines,
			  longest);
}

/* Only whitespace may follow the value json-c read. */
static void check_whole(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	size_t end = json_tokener_get_parse_end(tok);
	json_object_put(o);
	json_tokener_free(tok);
	for (size_t i = end; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
			fuzz_fail("json_parse accepted byte 0x%02x at offset %zu after the value",
				  (unsigned char)text[i], i);
}

static bool is_number(json_object *o)
{
	return json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double);
}

/* Equal values.  Numbers only need to stay numbers: json-c reads "6E" as
 * the double 6 and prints it as "6", and clamps integers past int64, so
 * their exact round trip is json-c's business, not this layer's. */
static bool same_value(json_object *a, json_object *b)
{
	if (is_number(a) || is_number(b))
		return is_number(a) && is_number(b);
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	switch (json_object_get_type(a)) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
			      (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		if (json_object_array_length(a) != json_object_array_length(b))
			return false;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!same_value(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return false;
		return true;
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, k, v)
		{
			json_object *w;
			if (!json_object_object_get_ex(b, k, &w) || !same_value(v, w))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct err e;
	err_clear(&e);
	json_object *o = json_parse(text, size, NAME, &e);
	if (!o) {
		if (e.msg[0])
			check_position(text, size, e.msg);
		free(text);
		return 0;
	}
	if (e.msg[0])
		fuzz_fail("json_parse succeeded with message '%s'", e.msg);
	check_whole(text, size);

	char *pretty = json_pretty(o);
	err_clear(&e);
	json_object *again = json_parse(pretty, strlen(pretty), "pretty", &e);
	if (!again)
		fuzz_fail("json_pretty output does not parse: %s", e.msg);
	if (!same_value(o, again))
		fuzz_fail("json_pretty changed the value: %s", pretty);
	json_object_put(again);
	free(pretty);
	json_object_put(o);
	free(text);
	return 0;
}
