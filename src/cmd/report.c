/* report.c - placeholder until implemented. */
#include "cmd.h"

static int run_report(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'report' is not implemented yet");
}

const struct command cmd_report = {
	.name = "report",
	.args = "",
	.summary = "report",
	.run = run_report,
};
