/* models.c - tbx models: list the model aliases. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "json.h"

static int run_models(struct ctx *c, const struct cmd_args *a)
{
	if (a->argc > 0)
		return cmd_usage(&cmd_models, "unexpected argument '%s'", a->argv[0]);
	if (ctx_load(c) < 0)
		return -1;
	if (c->json) {
		json_object *j = json_object_new_object();
		json_add_str(j, "root", c->models.root);
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < c->models.n; i++) {
			json_object *m = json_object_new_object();
			json_add_str(m, "alias", c->models.v[i].alias);
			json_add_str(m, "path", c->models.v[i].path);
			bool inside = models_inside_root(&c->models, c->models.v[i].path);
			json_add_bool(m, "inside_root", inside);
			/* a file outside the root is not looked at: null */
			if (inside)
				json_add_bool(m, "present", path_exists(c->models.v[i].path));
			else
				json_object_object_add(m, "present", NULL);
			json_object_array_add(arr, m);
		}
		json_object_object_add(j, "models", arr);
		cmd_print_json(j);
		json_object_put(j);
		return EXIT_OK;
	}
	printf("models root: %s\n", c->models.root);
	for (size_t i = 0; i < c->models.n; i++) {
		const char *path = c->models.v[i].path;
		bool inside = models_inside_root(&c->models, path);
		printf("%-12s %-8s %s%s\n", c->models.v[i].alias,
		       !inside		   ? "OUTSIDE"
		       : path_exists(path) ? "present"
					   : "MISSING",
		       path, inside ? "" : " (outside the models root: not looked at)");
	}
	return EXIT_OK;
}

static const struct cmd_option json_option[] = {
	{ "json", 0, NULL, "print the models root and the aliases as JSON" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_models = {
	.name = "models",
	.args = "[--json]",
	.summary = "list the model aliases (manifests/models.json) and whether their files exist",
	.description = "Each alias with its file: present, MISSING, or OUTSIDE when the path (as written, "
		"or through a symlink) leaves the models root that containers mount; such a file is "
		"not looked at, and bench refuses it. --json gives root, and per model alias, path, "
		"inside_root and present (null when outside).",
	.options = json_option,
	.run = run_models,
};
