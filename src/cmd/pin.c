/* pin.c - placeholder until implemented. */
#include "cmd.h"

static int run_pin(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'pin' is not implemented yet");
}

const struct command cmd_pin = {
	.name = "pin",
	.args = "BACKEND [DIGEST]",
	.summary = "pin",
	.run = run_pin,
};
