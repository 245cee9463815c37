/* rollback.c - placeholder until implemented. */
#include "cmd.h"

static int run_rollback(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'rollback' is not implemented yet");
}

const struct command cmd_rollback = {
	.name = "rollback",
	.args = "BACKEND",
	.summary = "rollback",
	.run = run_rollback,
};
