/* tbx.c - main, global options, the command table and the dispatcher.
 *
 * Each command declares its options once (struct cmd_option); from that
 * table come the parsing (getopt_long, here: no command parses options by
 * hand), `tbx help`, `tbx CMD --help`, the man page (`tbx help --man`) and
 * the bash completion (`tbx help --complete`), so they never disagree.
 * The shared --json and --no-wait are set in the context here. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "record.h"
#include "remote.h"

const struct command *const commands[] = {
	&cmd_refresh, &cmd_status,  &cmd_bench,  &cmd_curve, &cmd_results, &cmd_report,  &cmd_pin,
	&cmd_unpin,   &cmd_rollback, &cmd_backends, &cmd_models, &cmd_doctor, &cmd_import,
	&cmd_export,  &cmd_timer,   &cmd_help_def, &cmd_version, NULL,
};

static const struct cmd_option global_options[] = {
	{ "url", 0, "unix:///PATH",
	  "Podman API socket (else CONTAINER_HOST, else $XDG_RUNTIME_DIR/podman/podman.sock when "
	  "not root - /run/user/UID/podman/podman.sock without XDG_RUNTIME_DIR, never root's - "
	  "else /run/podman/podman.sock); another user's rootless socket is refused (exit 3)" },
	{ "connection", 0, "NAME",
	  "use a Podman system connection (podman system connection list); remote sockets are "
	  "reached through ssh" },
	{ NULL, 'C', "DIR",
	  "tbx home: the directory holding containers/, manifests/ and results/ (else TBX_HOME, "
	  "else the nearest parent holding containers/ if it is yours and not writable by others "
	  "(see TBX_SAFE_HOME), else ${XDG_DATA_HOME:-~/.local/share}/tbx)" },
	{ "json", 0, NULL, "print data as JSON (commands that print data)" },
	{ "quiet", 'q', NULL, "print only errors" },
	{ "verbose", 'v', NULL, "say more about what is done" },
	{ "version", 0, NULL, "print the version" },
	{ "help", 'h', NULL, "print help" },
	{ NULL, 0, NULL, NULL },
};

const struct cmd_option cmd_no_wait_only[] = {
	{ "no-wait", 0, NULL, "fail at once when a bench or refresh holds the lock" },
	{ NULL, 0, NULL, NULL },
};

const char *const exit_codes_text[][2] = {
	{ "0", "success" },
	{ "1", "failure (a backend failed to refresh, a bench failed, a malformed definition or "
	       "manifest, a regression was found, refresh --check found a default backend frozen "
	       "upstream...)" },
	{ "2", "usage error (bad option or argument, unknown backend or model, a bad setting in "
	       "the config file)" },
	{ "3", "refused: stale or missing container, the device seen is not the one expected, "
	       "a home or config file someone else could have written (see TBX_SAFE_HOME), "
	       "another user's rootless Podman socket, or llama-bench output whose rows (or "
	       "warmup and measured run) report contradictory settings: nothing recorded" },
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
			   "git's safe.directory; the default home's containers/, manifests/, "
			   "results/, definitions and tbx.conf too); also 'safe_home = DIR' lines "
			   "in TBX_CONFIG or ~/.config/tbx/config" },
	{ "CONTAINER_HOST", "Podman socket URL when --url is not given" },
	{ "TBX_REGISTRY_MIRROR", "registry mirrors for digest checks, e.g. "
				 "docker.io=http://127.0.0.1:5000 (comma-separated); Podman's "
				 "own pulls follow registries.conf" },
	{ "TBX_MAX_AGE", "how long a registry verification stays valid (default 36h)" },
	{ "TBX_REGISTRY_TIMEOUT", "timeout of each registry request (default 10s)" },
	{ "TBX_PODMAN_TIMEOUT", "timeout of each ordinary Podman API call (default 120s); pulls "
				"and benches are bounded by a 5-minute stall limit instead" },
	{ "TBX_FROZEN_AFTER", "how far a channel's newest stamp tag may lag its repository's "
			      "newest before it is called frozen upstream (default 14d)" },
	{ "TBX_KEEP_IMAGES", "previous images of each backend kept locally for rollback "
			     "(default 2)" },
	{ "TBX_TAGS_PAGE_SIZE", "tags per page of the registry's tag list (default 1000)" },
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
	{ "TBX_HOST_ROOT", "root below which the host state of records and doctor's SELinux "
			   "check are read (default /; tests use fixture trees): SELinux's mode is "
			   "ROOT/sys/fs/selinux/enforce (1 enforcing, 0 permissive, absent: not "
			   "enabled), its booleans ROOT/sys/fs/selinux/booleans/NAME (\"1 1\": on). Below a ROOT other than /, the models root's label is its "
			   "security.selinux attribute, else its user.tbx.selinux attribute, which a "
			   "test sets where security.* cannot be set (not root, a file system without "
			   "SELinux): setfattr -n user.tbx.selinux -v "
			   "unconfined_u:object_r:user_home_t:s0 MODELS_ROOT" },
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
	{ "cache/records.cache", "what each record file holds as results and report read it, keyed by "
				 "the file's name, size, inode, mtime and ctime: files not changed since "
				 "are not parsed again (mode 0600; ignored and rewritten when it fails a "
				 "check; a cache: safe to delete)" },
	{ "cache/upstream.json", "the newest stamp tag of each upstream channel, from the last "
				 "tag list walk (a cache: safe to delete)" },
	{ "~/.config/systemd/user/tbx-refresh.{service,timer}", "the nightly refresh units "
								"written by 'tbx timer install'" },
	{ "tbx.conf", "settings: registry_mirror, max_age, registry_timeout, podman_timeout, "
		      "auth_file, frozen_after, keep_images, tags_page_size, adopt (yes: adopt "
		      "containers tbx did not make, as refresh --adopt) (and safe_home, only in "
		      "~/.config/tbx/config or TBX_CONFIG)" },
	{ NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (size_t i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* ---- options, from the tables ---- */

static bool is_option(const struct cmd_option *o)
{
	return (o->name || o->key) && !(o->name && strcmp(o->name, "--") == 0);
}

static size_t options_count(const struct cmd_option *o)
{
	size_t n = 0;
	while (o && (o[n].name || o[n].key))
		n++;
	return n;
}

/* "-o, --output DIR", "--check", "-C DIR", "-- ARGS..." */
static char *option_flags(const struct cmd_option *o)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	if (o->key)
		buf_addf(&b, "-%c", o->key);
	if (o->key && o->name)
		buf_adds(&b, ", ");
	if (o->name)
		buf_addf(&b, strcmp(o->name, "--") == 0 ? "%s" : "--%s", o->name);
	if (o->arg)
		buf_addf(&b, " %s", o->arg);
	return buf_detach(&b);
}

static void print_options(FILE *f, const struct cmd_option *o, const char *prefix)
{
	for (; o && (o->name || o->key); o++) {
		char *flags = option_flags(o);
		fprintf(f, "  %-24s %s%s%s\n", flags, prefix ? prefix : "", prefix ? ": " : "", o->text);
		free(flags);
	}
}

static int option_index(const struct cmd_args *a, const char *name)
{
	for (size_t i = 0; a->options && (a->options[i].name || a->options[i].key); i++)
		if (a->options[i].name && strcmp(a->options[i].name, name) == 0)
			return (int)i;
	/* a name not in the table is a mistake in the command, found by its tests */
	abort();
}

bool cmd_has(const struct cmd_args *a, const char *name)
{
	return a->given[option_index(a, name)].n > 0;
}

const char *cmd_value(const struct cmd_args *a, const char *name)
{
	const struct strv *v = &a->given[option_index(a, name)];
	return v->n ? v->v[v->n - 1] : NULL;
}

const struct strv *cmd_values(const struct cmd_args *a, const char *name)
{
	return &a->given[option_index(a, name)];
}

static void cmd_args_free(struct cmd_args *a)
{
	for (size_t i = 0; i < CMD_OPTIONS_MAX; i++)
		strv_free(&a->given[i]);
}

/* getopt_long over the table ('+': options come before the operands).
 * 0, or EXIT_USAGE after saying what is wrong. */
static int parse_options(const struct command *usage_of, const struct cmd_option *opts, int argc,
			 char **argv, struct cmd_args *a)
{
	struct option lo[CMD_OPTIONS_MAX + 1];
	char shortopts[2 * CMD_OPTIONS_MAX + 3] = "+:";
	size_t n = options_count(opts), nl = 0, ns = 2;
	memset(a, 0, sizeof(*a));
	a->options = opts;
	if (n > CMD_OPTIONS_MAX)
		abort(); /* a table too long for CMD_OPTIONS_MAX: a mistake in the command */
	for (size_t i = 0; i < n; i++) {
		if (!is_option(&opts[i]))
			continue;
		if (opts[i].name)
			lo[nl++] = (struct option){ opts[i].name,
						    opts[i].arg ? required_argument : no_argument,
						    NULL, 256 + (int)i };
		if (opts[i].key) {
			shortopts[ns++] = opts[i].key;
			if (opts[i].arg)
				shortopts[ns++] = ':';
		}
	}
	lo[nl] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[ns] = '\0';
	optind = 0; /* glibc: a full reinitialisation */
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		int i = -1;
		if (ch >= 256)
			i = ch - 256;
		for (size_t k = 0; i < 0 && ch != '?' && ch != ':' && k < n; k++)
			if (opts[k].key == ch)
				i = (int)k;
		if (i < 0) {
			const char *what = argv[optind - 1];
			char shortname[3] = { '-', (char)optopt, 0 };
			if (optopt && !str_starts_with(what, "--"))
				what = shortname;
			cmd_args_free(a);
			if (!usage_of) {
				error_line("%s '%s'%s", ch == ':' ? "option" : "unknown option", what,
					   ch == ':' ? " needs a value" : "");
				fputs("usage: tbx [global options] COMMAND [args] (see 'tbx help')\n",
				      stderr);
				return EXIT_USAGE;
			}
			if (ch == ':')
				return cmd_usage(usage_of, "option '%s' needs a value", what);
			return cmd_usage(usage_of, "unknown option '%s'", what);
		}
		strv_push(&a->given[i], optarg ? optarg : "");
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return 0;
}

/* The shared options, for whichever command declares them. */
static void apply_shared(struct ctx *c, const struct cmd_args *a)
{
	for (size_t i = 0; i < CMD_OPTIONS_MAX && a->options; i++) {
		const char *name = a->options[i].name;
		if (!name && !a->options[i].key)
			break;
		if (!a->given[i].n || !name)
			continue;
		if (strcmp(name, "json") == 0)
			c->json = true;
		else if (strcmp(name, "no-wait") == 0)
			c->no_wait = true;
	}
}

/* "install, status or remove" */
static char *subcommand_list(const struct command *cmd)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; cmd->subcommands[i]; i++)
		buf_addf(&b, "%s%s", i == 0 ? "" : cmd->subcommands[i + 1] ? ", " : " or ",
			 cmd->subcommands[i]->name);
	return buf_detach(&b);
}

/* Parse argv (argv[0]: the command's name) and run the command, or the
 * subcommand argv[1] names. */
static int run_command(struct ctx *c, const struct command *cmd, int argc, char **argv)
{
	const struct command *top = cmd;
	if (cmd->subcommands) {
		char *list = subcommand_list(cmd);
		const struct command *sub = NULL;
		for (size_t i = 0; argc > 1 && cmd->subcommands[i] && !sub; i++)
			if (strcmp(cmd->subcommands[i]->name, argv[1]) == 0)
				sub = cmd->subcommands[i];
		int rc = 0;
		if (argc < 2)
			rc = cmd_usage(cmd, "which one: %s?", list);
		else if (!sub)
			rc = cmd_usage(cmd, "unknown %s command '%s' (%s)", cmd->name, argv[1], list);
		free(list);
		if (rc)
			return rc;
		cmd = sub;
		argc--, argv++;
	}
	struct cmd_args a;
	int rc = parse_options(top, cmd->options, argc, argv, &a);
	if (rc)
		return rc;
	apply_shared(c, &a);
	rc = cmd->run(c, &a);
	cmd_args_free(&a);
	return rc;
}

static void print_main_help(FILE *f)
{
	fprintf(f, "usage: tbx [global options] COMMAND [args]\n\n"
		   "Keeps llama.cpp benchmark containers fresh and their numbers traceable.\n\n"
		   "Commands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nGlobal options:\n");
	print_options(f, global_options, NULL);
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
	bool any = options_count(cmd->options) > 0;
	for (size_t i = 0; cmd->subcommands && cmd->subcommands[i]; i++)
		any |= options_count(cmd->subcommands[i]->options) > 0;
	if (any) {
		printf("\nOptions:\n");
		print_options(stdout, cmd->options, NULL);
		for (size_t i = 0; cmd->subcommands && cmd->subcommands[i]; i++)
			print_options(stdout, cmd->subcommands[i]->options, cmd->subcommands[i]->name);
	}
}

int cmd_usage(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	if (fmt) { /* through the one sanitizer: it quotes the user's arguments */
		struct buf b = BUF_INIT;
		buf_init(&b);
		va_start(ap, fmt);
		buf_vaddf(&b, fmt, ap);
		va_end(ap);
		error_line("%s", b.p);
		buf_free(&b);
	}
	fprintf(stderr, "usage: tbx %s %s\n(see 'tbx %s --help')\n", cmd->name, cmd->args,
		cmd->name);
	return EXIT_USAGE;
}

/* True if argv[1..] asks for help (-h/--help); prints it. */
static bool cmd_wants_help(const struct command *cmd, int argc, char **argv)
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

static void man_options(const struct cmd_option *o, const char *prefix)
{
	for (; o && (o->name || o->key); o++) {
		char *flags = option_flags(o);
		fputs(".TP\n.B ", stdout);
		roff(flags);
		putchar('\n');
		if (prefix) {
			roff(prefix);
			fputs(": ", stdout);
		}
		roff(o->text);
		putchar('\n');
		free(flags);
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
	man_options(global_options, NULL);
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
		man_options(c->options, NULL);
		for (size_t k = 0; c->subcommands && c->subcommands[k]; k++)
			man_options(c->subcommands[k]->options, c->subcommands[k]->name);
	}
	printf(".SH RECORDS\n");
	roff(record_doc_intro);
	putchar('\n');
	man_table(record_fields_doc, true);
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

/* For the bash completion: one word a line.  No command: the commands,
 * then the global options; a command: its subcommands, then its options
 * ("--output DIR": the value's name follows an option that takes one). */
static void print_completion(int argc, char **argv)
{
	const struct cmd_option *opts = global_options;
	const struct command *cmd = argc > 0 ? command_find(argv[0]) : NULL;
	if (argc == 0)
		for (size_t i = 0; commands[i]; i++)
			printf("%s\n", commands[i]->name);
	for (size_t i = 0; cmd && cmd->subcommands && cmd->subcommands[i]; i++) {
		if (argc > 1 && strcmp(cmd->subcommands[i]->name, argv[1]) == 0)
			cmd = cmd->subcommands[i];
		else if (argc == 1)
			printf("%s\n", cmd->subcommands[i]->name);
	}
	if (cmd)
		opts = cmd->options;
	else if (argc > 0)
		return;
	for (; opts && (opts->name || opts->key); opts++) {
		if (!is_option(opts))
			continue;
		if (opts->key)
			printf("-%c%s%s\n", opts->key, opts->arg ? " " : "", opts->arg ? opts->arg : "");
		if (opts->name)
			printf("--%s%s%s\n", opts->name, opts->arg ? " " : "",
			       opts->arg ? opts->arg : "");
	}
	if (cmd)
		printf("--help\n");
}

static int run_help(struct ctx *c, const struct cmd_args *a)
{
	(void)c;
	if (cmd_has(a, "man")) {
		print_man();
		return EXIT_OK;
	}
	if (cmd_has(a, "complete")) {
		print_completion(a->argc, a->argv);
		return EXIT_OK;
	}
	if (a->argc > 0) {
		const struct command *cmd = command_find(a->argv[0]);
		if (!cmd) {
			error_line("unknown command '%s' (see 'tbx help')", a->argv[0]);
			return EXIT_USAGE;
		}
		cmd_help(cmd);
		return EXIT_OK;
	}
	print_main_help(stdout);
	return EXIT_OK;
}

static const struct cmd_option help_options[] = {
	{ "man", 0, NULL, "print the man page (roff) instead" },
	{ "complete", 0, NULL, "list commands, subcommands and options for the bash completion" },
	{ NULL, 0, NULL, NULL },
};

const struct command cmd_help_def = {
	.name = "help",
	.args = "[COMMAND | --man | --complete [COMMAND [SUBCOMMAND]]]",
	.summary = "show help for tbx or a command (--man: the man page source)",
	.options = help_options,
	.run = run_help,
};

static int run_version(struct ctx *c, const struct cmd_args *a)
{
	(void)c;
	if (a->argc > 0)
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
	struct ctx c;
	struct cmd_args g;
	memset(&c, 0, sizeof(c));
	install_signal_handlers();
	/* '+': stop at the command name; its own options are its own */
	int rc = parse_options(NULL, global_options, argc, argv, &g);
	if (rc)
		return rc;
	c.url = cmd_value(&g, "url");
	c.connection = cmd_value(&g, "connection");
	for (size_t i = 0; global_options[i].name || global_options[i].key; i++)
		if (global_options[i].key == 'C' && g.given[i].n)
			c.home_opt = g.given[i].v[g.given[i].n - 1];
	c.json = cmd_has(&g, "json");
	if (cmd_has(&g, "quiet"))
		g_verbosity = -1;
	if (cmd_has(&g, "verbose"))
		g_verbosity = 1;
	if (cmd_has(&g, "version") || cmd_has(&g, "help")) {
		if (cmd_has(&g, "version"))
			printf("tbx %s\n", TBX_VERSION);
		else
			print_main_help(stdout);
		cmd_args_free(&g);
		return EXIT_OK;
	}
	int optind_cmd = argc - g.argc;
	const struct command *cmd = optind_cmd < argc ? command_find(argv[optind_cmd]) : NULL;
	if (!cmd) {
		if (optind_cmd >= argc)
			print_main_help(stderr);
		else
			error_line("unknown command '%s' (see 'tbx help')", argv[optind_cmd]);
		cmd_args_free(&g);
		return EXIT_USAGE;
	}
	int cargc = argc - optind_cmd;
	char **cargv = argv + optind_cmd;
	if (cmd != &cmd_help_def && cmd_wants_help(cmd, cargc, cargv))
		rc = EXIT_OK;
	else
		rc = run_command(&c, cmd, cargc, cargv);
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
	cmd_args_free(&g); /* c's global options point into it */
	if (rc == EXIT_OK && g_interrupted)
		rc = g_interrupted == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
	return rc;
}
