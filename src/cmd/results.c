/* results.c - placeholder until implemented. */
#include "cmd.h"

static int run_results(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'results' is not implemented yet");
}

const struct command cmd_results = {
	.name = "results",
	.args = "",
	.summary = "results",
	.run = run_results,
};
