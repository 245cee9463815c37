/* doctor.c - placeholder until implemented. */
#include "cmd.h"

static int run_doctor(struct ctx *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return err_set(&c->err, "'doctor' is not implemented yet");
}

const struct command cmd_doctor = {
	.name = "doctor",
	.args = "",
	.summary = "doctor",
	.run = run_doctor,
};
