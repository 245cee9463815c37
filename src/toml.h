/* toml.h - reading a TOML subset (what containers.conf uses).  The
 * reader decodes strings and checks the shape of everything else. */
#ifndef TBX_TOML_H
#define TBX_TOML_H

#include "util.h"

/* Called for each string value with its full key path (the [table] path
 * then the dotted key; keys under [[x]] get a "[]" element after x). */
typedef void (*toml_string_fn)(const struct strv *path, const char *val, void *ctx);

/* Parse text (name is used in errors: "NAME:LINE: what", exit code 2).
 * A leading UTF-8 BOM is skipped.  0, or -1 with e set. */
int toml_parse(const char *text, size_t len, const char *name, toml_string_fn fn, void *ctx,
	       struct err *e);

#endif
