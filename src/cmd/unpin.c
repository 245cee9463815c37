/* unpin.c - placeholder until implemented. */
#include "cmd.h"

static int run_unpin(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'unpin' is not implemented yet");
}

const struct command cmd_unpin = {
	.name = "unpin",
	.args = "BACKEND",
	.summary = "unpin",
	.run = run_unpin,
};
