/* fuzz_containers_conf.c - Podman's connection lists as tbx reads them
 * for --connection: connections_parse_conf (containers.conf, a TOML
 * subset, through src/toml.c) and connections_parse_json
 * (podman-connections.json), each on the same input.
 *
 * Checks: 0 or -1; a failure has a one-line printable message that starts
 * with the file's name (and, for TOML, "NAME:LINE:" with a line inside the
 * text); a success gives connections with unique, non-empty names and
 * absent-or-non-empty uri and identity, a default absent or non-empty;
 * parsing the same text again into the same list (as a drop-in file
 * repeating the main file does) changes nothing.
 */
#include "fuzz.h"
#include "remote.h"

static void check_list(const char *what, const struct connections *c, const char *def)
{
	if (def && !*def)
		fuzz_fail("%s: an empty default rather than none", what);
	for (size_t i = 0; i < c->n; i++) {
		const struct connection *x = &c->v[i];
		if (!x->name || !*x->name)
			fuzz_fail("%s: connection %zu has no name", what, i);
		if ((x->uri && !*x->uri) || (x->identity && !*x->identity))
			fuzz_fail("%s: '%s' has an empty uri or identity", what, x->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->v[j].name, x->name) == 0)
				fuzz_fail("%s: '%s' is listed twice", what, x->name);
	}
}

static void check_same(const char *what, const struct connections *a,
		       const struct connections *b)
{
	if (a->n != b->n)
		fuzz_fail("%s: %zu connections, then %zu after reading it again", what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		if (!str_eq(a->v[i].name, b->v[i].name) || !str_eq(a->v[i].uri, b->v[i].uri) ||
		    !str_eq(a->v[i].identity, b->v[i].identity))
			fuzz_fail("%s: '%s' changed when read again", what, a->v[i].name);
}

static void check_error(const char *what, const struct err *e, const char *name, size_t lines)
{
	if (!e->msg[0] || e->exit_code != EXIT_USAGE)
		fuzz_fail("%s failed with exit %d, message '%s'", what, e->exit_code, e->msg);
	fuzz_check_line(what, e->msg, sizeof(e->msg));
	size_t n = strlen(name);
	if (strncmp(e->msg, name, n) != 0 || e->msg[n] != ':')
		fuzz_fail("%s: message '%s' does not start with '%s:'", what, e->msg, name);
	if (lines) {
		long line = strtol(e->msg + n + 1, NULL, 10);
		if (line < 1 || (size_t)line > lines)
			fuzz_fail("%s: line %ld of a %zu-line text: '%s'", what, line, lines, e->msg);
	}
}

/* One parser over the text twice: into a fresh list, then again into it. */
static void fuzz_one(bool json, const char *text, size_t len, size_t lines)
{
	const char *name = json ? "fuzz.json" : "fuzz.conf";
	struct connections c, again;
	char *def = NULL, *def2 = NULL;
	struct err e;
	memset(&c, 0, sizeof(c));
	memset(&again, 0, sizeof(again));
	err_clear(&e);
	int rc = json ? connections_parse_json(text, len, name, &c, &def, &e)
		      : connections_parse_conf(text, len, name, &c, &def, &e);
	if (rc != 0 && rc != -1)
		fuzz_fail("%s returned %d", name, rc);
	if (rc < 0) {
		check_error(name, &e, name, json ? 0 : lines);
	} else {
		check_list(name, &c, def);
		err_clear(&e);
		/* again, into a copy of the list: a second read must not change it */
		for (size_t i = 0; i < c.n; i++) {
			again.v = xrealloc(again.v, (again.n + 1) * sizeof(*again.v));
			struct connection *x = &again.v[again.n++];
			x->name = xstrdup(c.v[i].name);
			x->uri = c.v[i].uri ? xstrdup(c.v[i].uri) : NULL;
			x->identity = c.v[i].identity ? xstrdup(c.v[i].identity) : NULL;
			x->is_default = false;
		}
		rc = json ? connections_parse_json(text, len, name, &again, &def2, &e)
			  : connections_parse_conf(text, len, name, &again, &def2, &e);
		if (rc != 0)
			fuzz_fail("%s: parsed once, refused the second time: %s", name, e.msg);
		check_same(name, &c, &again);
		if (!str_eq(def, def2))
			fuzz_fail("%s: the default changed when read again", name);
	}
	connections_free(&c);
	connections_free(&again);
	free(def);
	free(def2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	fuzz_one(false, text, size, lines);
	fuzz_one(true, text, size, lines);
	free(text);
	return 0;
}
