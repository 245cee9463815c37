/* timer.c - placeholder until implemented. */
#include "cmd.h"

static int run_timer(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'timer' is not implemented yet");
}

const struct command cmd_timer = {
	.name = "timer",
	.args = "",
	.summary = "timer",
	.run = run_timer,
};
