/* export.c - placeholder until implemented. */
#include "cmd.h"

static int run_export(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'export' is not implemented yet");
}

const struct command cmd_export = {
	.name = "export",
	.args = "",
	.summary = "export",
	.run = run_export,
};
