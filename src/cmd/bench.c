/* bench.c - placeholder until implemented. */
#include "cmd.h"

static int run_bench(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'bench' is not implemented yet");
}

const struct command cmd_bench = {
	.name = "bench",
	.args = "BACKEND MODEL",
	.summary = "bench",
	.run = run_bench,
};
