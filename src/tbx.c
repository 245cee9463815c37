/* tbx.c - main, global options and the command table.
 *
 * Help (`tbx help`, `tbx CMD --help`) and the man page (`tbx help --man`)
 * are printed from the same descriptors, so they never disagree. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "remote.h"

const struct command *const commands[] = {
	&cmd_refresh, &cmd_status,  &cmd_bench,  &cmd_results, &cmd_report,  &cmd_pin,
	&cmd_unpin,   &cmd_rollback, &cmd_backends, &cmd_models, &cmd_doctor, &cmd_import,
	&cmd_export,  &cmd_timer,   &cmd_help_def, &cmd_version, NULL,
};

static const struct option_help global_options[] = {
	{ "--url unix:///PATH", "Podman API socket (else CONTAINER_HOST, else "
				"$XDG_RUNTIME_DIR/podman/podman.sock when not root, else "
				"/run/podman/podman.sock)" },
	{ "--connection NAME", "use a Podman system connection (podman system connection list); "
			       "remote sockets are reached through ssh" },
	{ "-C DIR", "tbx home: the directory holding containers/, manifests/ and results/ "
		    "(else TBX_HOME, else the nearest parent holding containers/, else "
		    "${XDG_DATA_HOME:-~/.local/share}/tbx)" },
	{ "--json", "print data as JSON (commands that print data)" },
	{ "-q, --quiet", "print only errors" },
	{ "-v, --verbose", "say more about what is done" },
	{ "--version", "print the version" },
	{ "-h, --help", "print help" },
	{ NULL, NULL },
};

const char *const exit_codes_text[][2] = {
	{ "0", "success" },
	{ "1", "failure (a backend failed to refresh, a bench failed, a malformed definition or "
	       "manifest, a regression was found...)" },
	{ "2", "usage error (bad option or argument, unknown backend or model, a bad setting in "
	       "the config file)" },
	{ "3", "refused: stale or missing container, the device seen is not the one expected, or "
	       "a home or config file someone else could have written (see TBX_SAFE_HOME)" },
	{ "130", "interrupted by SIGINT (Ctrl-C)" },
	{ "143", "terminated by SIGTERM" },
	{ NULL, NULL },
};

const char *const environment_text[][2] = {
	{ "TBX_HOME", "the tbx home directory (see -C)" },
	{ "TBX_SAFE_HOME", "':'-separated homes (or *) to use although they fail the check of a "
			   "discovered home: it, every directory up to it from the working "
			   "directory, its containers/, manifests/, results/, definitions and "
			   "tbx.conf must be owned by you or root and not writable by others (as "
			   "git's safe.directory); also 'safe_home = DIR' lines in TBX_CONFIG or "
			   "~/.config/tbx/config" },
	{ "CONTAINER_HOST", "Podman socket URL when --url is not given" },
	{ "TBX_REGISTRY_MIRROR", "registry mirrors for digest checks, e.g. "
				 "docker.io=http://127.0.0.1:5000 (comma-separated); Podman's "
				 "own pulls follow registries.conf" },
	{ "TBX_MAX_AGE", "how long a registry verification stays valid (default 36h)" },
	{ "TBX_REGISTRY_TIMEOUT", "timeout of each registry request (default 10s)" },
	{ "TBX_PODMAN_TIMEOUT", "timeout of each ordinary Podman API call (default 120s); pulls "
				"and benches are bounded by a 5-minute stall limit instead" },
	{ "TBX_CONFIG", "config file (default <home>/tbx.conf, else ~/.config/tbx/config)" },
	{ "REGISTRY_AUTH_FILE", "Podman's auth.json with registry credentials" },
	{ "TBX_LOCK_DIR", "directory of the run lock (default $XDG_RUNTIME_DIR/tbx, else "
			  "~/.local/state/tbx); must be private" },
	{ "TBX_DATADIR", "where the installed definitions are (seeds a new home)" },
	{ "CONTAINERS_CONF", "Podman's containers.conf, read for --connection "
			     "([engine.service_destinations])" },
	{ "PODMAN_CONNECTIONS_CONF", "Podman 5's podman-connections.json, read for --connection" },
	{ "XDG_CONFIG_HOME", "where the timer's systemd user units go (systemd/user) and the "
			     "config file (tbx/config)" },
	{ "XDG_DATA_HOME", "the default tbx home is ${XDG_DATA_HOME:-~/.local/share}/tbx" },
	{ "NO_COLOR", "disable colour" },
	{ NULL, NULL },
};

const char *const files_text[][2] = {
	{ "containers/ID.json", "one backend definition per file" },
	{ "manifests/models.json", "models root and model aliases" },
	{ "manifests/legacy.json", "exact names of legacy containers removed by --prune-legacy" },
	{ "manifests/images.lock.json", "pinned and verified digests per backend, with history "
					"(commit it)" },
	{ "results/*.json", "one JSON record per bench run" },
	{ "~/.config/systemd/user/tbx-refresh.{service,timer}", "the nightly refresh units "
								"written by 'tbx timer install'" },
	{ "tbx.conf", "settings: registry_mirror, max_age, registry_timeout, podman_timeout, "
		      "auth_file (and safe_home, only in ~/.config/tbx/config or TBX_CONFIG)" },
	{ NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_options(FILE *f, const struct option_help *o)
{
	for (; o && o->flags; o++)
		fprintf(f, "  %-24s %s\n", o->flags, o->text);
}

static void print_main_help(FILE *f)
{
	fprintf(f, "usage: tbx [global options] COMMAND [args]\n\n"
		   "Keeps llama.cpp benchmark containers fresh and their numbers traceable.\n\n"
		   "Commands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nGlobal options:\n");
	print_options(f, global_options);
	fprintf(f, "\nExit codes:\n");
	for (size_t i = 0; exit_codes_text[i][0]; i++)
		fprintf(f, "  %-4s %s\n", exit_codes_text[i][0], exit_codes_text[i][1]);
	fprintf(f, "\n'tbx COMMAND --help' describes a command; 'man tbx' has the rest.\n");
}

void cmd_help(const struct command *cmd)
{
	printf("usage: tbx %s %s\n\n%s\n", cmd->name, cmd->args, cmd->summary);
	if (cmd->description)
		printf("\n%s\n", cmd->description);
	if (cmd->options && cmd->options->flags) {
		printf("\nOptions:\n");
		print_options(stdout, cmd->options);
	}
}

int cmd_usage(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	if (fmt) {
		fputs("tbx: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: tbx %s %s\n(see 'tbx %s --help')\n", cmd->name, cmd->args,
		cmd->name);
	return EXIT_USAGE;
}

bool cmd_wants_help(const struct command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cmd_help(cmd);
			return true;
		}
	}
	return false;
}

/* ---- man page, from the same table ---- */

static void roff(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			fputs("\\e", stdout);
		else if (*p == '-')
			fputs("\\-", stdout);
		else if ((*p == '.' || *p == '\'') && (p == s || p[-1] == '\n'))
			fputs("\\&", stdout), putchar(*p);
		else
			putchar(*p);
	}
}

static void man_options(const struct option_help *o)
{
	for (; o && o->flags; o++) {
		fputs(".TP\n.B ", stdout);
		roff(o->flags);
		putchar('\n');
		roff(o->text);
		putchar('\n');
	}
}

static void man_table(const char *const (*t)[2], bool bold)
{
	for (size_t i = 0; t[i][0]; i++) {
		fputs(bold ? ".TP\n.B " : ".TP\n", stdout);
		roff(t[i][0]);
		putchar('\n');
		roff(t[i][1]);
		putchar('\n');
	}
}

static void print_man(void)
{
	printf(".TH TBX 1 \"\" \"tbx %s\" \"User Commands\"\n", TBX_VERSION);
	printf(".SH NAME\ntbx \\- keep llama.cpp benchmark containers fresh and their results "
	       "traceable\n");
	printf(".SH SYNOPSIS\n");
	for (size_t i = 0; commands[i]; i++) {
		printf(".B tbx\n[\\fIglobal options\\fR]\n.B %s\n", commands[i]->name);
		roff(commands[i]->args);
		printf("\n.br\n");
	}
	printf(".SH DESCRIPTION\n");
	roff("tbx keeps a fleet of llama.cpp benchmark containers (the "
	     "docker.io/kyuz0/amd-strix-halo-toolboxes images) honest: it checks each image's "
	     "digest against its registry with a manifest HEAD, pulls only what changed, "
	     "recreates only the containers whose image or definition changed, refuses to bench "
	     "in a stale container, verifies the device llama-bench really used, and records every "
	     "result with the image digest and llama.cpp build that produced it.\n");
	printf(".SH GLOBAL OPTIONS\n");
	man_options(global_options);
	printf(".SH COMMANDS\n");
	for (size_t i = 0; commands[i]; i++) {
		const struct command *c = commands[i];
		printf(".SS \"tbx %s ", c->name);
		roff(c->args);
		printf("\"\n");
		roff(c->summary);
		putchar('\n');
		if (c->description) {
			printf(".PP\n");
			roff(c->description);
			putchar('\n');
		}
		man_options(c->options);
	}
	printf(".SH EXIT STATUS\n");
	man_table(exit_codes_text, true);
	printf(".SH ENVIRONMENT\n");
	man_table(environment_text, true);
	printf(".SH FILES\n");
	man_table(files_text, true);
	printf(".SH SEE ALSO\n.BR podman (1),\n.BR podman-system-service (1),\n"
	       ".BR containers-registries.conf (5)\n");
}

/* ---- the help and version commands ---- */

static int run_help(struct ctx *c, int argc, char **argv)
{
	(void)c;
	if (argc > 1 && strcmp(argv[1], "--man") == 0) {
		print_man();
		return EXIT_OK;
	}
	if (argc > 1) {
		const struct command *cmd = command_find(argv[1]);
		if (!cmd) {
			fprintf(stderr, "tbx: unknown command '%s' (see 'tbx help')\n", argv[1]);
			return EXIT_USAGE;
		}
		cmd_help(cmd);
		return EXIT_OK;
	}
	print_main_help(stdout);
	return EXIT_OK;
}

const struct command cmd_help_def = {
	.name = "help",
	.args = "[COMMAND | --man]",
	.summary = "show help for tbx or a command (--man: the man page source)",
	.run = run_help,
};

static int run_version(struct ctx *c, int argc, char **argv)
{
	(void)c, (void)argv;
	if (argc > 1)
		return cmd_usage(&cmd_version, "'version' takes no arguments");
	printf("tbx %s\n", TBX_VERSION);
	return EXIT_OK;
}

const struct command cmd_version = {
	.name = "version",
	.args = "",
	.summary = "print tbx's version",
	.run = run_version,
};

/* ---- context ---- */

int ctx_load(struct ctx *c)
{
	if (c->loaded)
		return 0;
	if (home_find(c->home_opt, &c->home, &c->err) < 0)
		return -1;
	if (config_load(c->home, &c->cfg, &c->err) < 0)
		return -1;
	if (backends_load(c->home, &c->backends, &c->err) < 0)
		return -1;
	if (models_load(c->home, &c->models, &c->err) < 0)
		return -1;
	c->loaded = true;
	return 0;
}

int ctx_podman(struct ctx *c)
{
	if (c->podman_ready)
		return 0;
	if (c->connection) {
		if (remote_connect(c->connection, &c->podman, &c->err) < 0)
			return -1;
	} else {
		char *url = c->url ? xstrdup(c->url) : podman_default_url();
		int rc = podman_open(&c->podman, url, &c->err);
		free(url);
		if (rc < 0)
			return -1;
	}
	if (c->loaded)
		c->podman.timeout_s = c->cfg.podman_timeout_s;
	c->podman_ready = true;
	return 0;
}

static void ctx_free(struct ctx *c)
{
	if (c->podman_ready)
		podman_close(&c->podman);
	backends_free(&c->backends);
	models_free(&c->models);
	config_free(&c->cfg);
	free(c->home);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'U' },
		{ "connection", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c;
	memset(&c, 0, sizeof(c));
	install_signal_handlers();
	opterr = 0;
	int ch;
	/* '+': stop at the command name; its own options are its own */
	while ((ch = getopt_long(argc, argv, "+C:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'U': c.url = optarg; break;
		case 'N': c.connection = optarg; break;
		case 'C': c.home_opt = optarg; break;
		case 'j': c.json = true; break;
		case 'q': g_verbosity = -1; break;
		case 'v': g_verbosity = 1; break;
		case 'V': printf("tbx %s\n", TBX_VERSION); return EXIT_OK;
		case 'h': print_main_help(stdout); return EXIT_OK;
		default:
			if (optopt)
				fprintf(stderr, "tbx: unknown or incomplete option '-%c'\n", optopt);
			else
				fprintf(stderr, "tbx: unknown or incomplete option '%s'\n",
					argv[optind - 1]);
			fprintf(stderr, "usage: tbx [global options] COMMAND [args] (see 'tbx help')\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_main_help(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = command_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "tbx: unknown command '%s' (see 'tbx help')\n", argv[optind]);
		return EXIT_USAGE;
	}
	int cargc = argc - optind;
	char **cargv = argv + optind;
	int rc;
	if (cmd != &cmd_help_def && cmd_wants_help(cmd, cargc, cargv)) {
		rc = EXIT_OK;
	} else {
		optind = 0; /* reset getopt for the command (glibc: full reinit) */
		rc = cmd->run(&c, cargc, cargv);
	}
	if (rc < 0) {
		fprintf(stderr, "tbx: %s\n", c.err.msg[0] ? c.err.msg : "failed");
		rc = c.err.exit_code ? c.err.exit_code : EXIT_FAIL;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tbx: cannot write output\n");
		if (rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	ctx_free(&c);
	if (rc == EXIT_OK && g_interrupted)
		rc = g_interrupted == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
	return rc;
}
