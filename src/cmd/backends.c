/* backends.c - tbx backends: list the backend definitions. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"

static json_object *backend_json(const struct backend *b)
{
	json_object *j = json_object_new_object();
	json_add_str(j, "id", b->id);
	json_add_str(j, "kind", b->native ? "native" : "container");
	json_add_str(j, "image", b->image);
	json_add_str(j, "container", b->container);
	json_object_object_add(j, "aliases", json_strv_array(&b->aliases));
	json_add_bool(j, "optional", b->optional);
	json_add_bool(j, "experimental", b->experimental);
	if (b->retired_on)
		json_add_str(j, "retired", b->retired_on);
	else
		json_add_bool(j, "retired", b->retired);
	json_add_str(j, "successor", b->successor);
	json_object_object_add(j, "devices", json_strv_array(&b->devices));
	json_add_bool(j, "unsafe_devices", b->unsafe_devices);
	json_object_object_add(j, "groups", json_strv_array(&b->groups));
	json_add_str(j, "seccomp", b->seccomp_unconfined ? "unconfined" : NULL);
	json_add_str(j, "selinux", b->native ? NULL : label_mode_name(b->selinux));
	json_object_object_add(j, "env", json_env_map(&b->env));
	json_object_object_add(j, "bench", json_strv_array(&b->bench));
	json_object *x = json_object_new_object();
	json_add_str(x, "backend", b->expect_backend);
	json_add_str(x, "device", b->expect_device);
	json_object_object_add(j, "expect", x);
	json_add_str(j, "lineage", b->lineage);
	json_add_str(j, "file", b->file);
	return j;
}

static int run_backends(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc > 0)
		return cmd_usage(&cmd_backends, "unexpected argument '%s'", a->argv[0]);
	if (ctx_load(c) < 0)
		return -1;
	if (c->json) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < c->backends.n; i++)
			json_object_array_add(arr, backend_json(&c->backends.v[i]));
		cmd_print_json(arr);
		json_object_put(arr);
		return EXIT_OK;
	}
	int w = 16;
	for (size_t i = 0; i < c->backends.n; i++)
		if ((int)strlen(c->backends.v[i].id) > w)
			w = (int)strlen(c->backends.v[i].id);
	printf("%-*s %-9s %-22s %-10s %-14s %s\n", w, "BACKEND", "KIND", "ALIASES", "LINEAGE",
	       "SELINUX", "IMAGE / BINARY");
	for (size_t i = 0; i < c->backends.n; i++) {
		const struct backend *b = &c->backends.v[i];
		struct buf al = BUF_INIT;
		buf_init(&al);
		for (size_t k = 0; k < b->aliases.n; k++)
			buf_addf(&al, "%s%s", k ? "," : "", b->aliases.v[k]);
		struct buf tags = BUF_INIT;
		buf_init(&tags);
		if (b->optional)
			buf_adds(&tags, " (optional)");
		if (b->experimental)
			buf_adds(&tags, " (experimental)");
		if (b->retired)
			buf_addf(&tags, " (retired%s%s%s%s)", b->retired_on ? " " : "",
				 b->retired_on ? b->retired_on : "", b->successor ? ", successor " : "",
				 b->successor ? b->successor : "");
		printf("%-*s %-9s %-22s %-10s %-14s %s%s\n", w, b->id,
		       b->native ? "native" : "container", al.len ? al.p : "-", b->lineage,
		       b->native ? "-" : label_mode_name(b->selinux),
		       b->native ? b->bench.v[0] : b->image, buf_str(&tags));
		buf_free(&tags);
		buf_free(&al);
	}
	return EXIT_OK;
}

static const struct cmd_option json_option[] = {
	{ "json", 0, NULL, "print the definitions as JSON" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_backends = {
	.name = "backends",
	.args = "[--json]",
	.summary = "list the backend definitions (containers/*.json)",
	.options = json_option,
	.description =
		"One line per definition: id, kind, aliases, lineage, SELinux labelling of its "
		"container (disable, relabel-shared or default; '-' for native backends) and the "
		"image or host binary. --json prints every key of every definition.",
	.run = run_backends,
};
