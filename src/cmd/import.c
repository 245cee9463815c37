/* import.c - placeholder until implemented. */
#include "cmd.h"

static int run_import(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'import' is not implemented yet");
}

const struct command cmd_import = {
	.name = "import",
	.args = "FILE...",
	.summary = "import",
	.run = run_import,
};
