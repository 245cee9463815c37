/* cmd.h - what every command gets: the command descriptor (help and man
 * page come from it) and the shared context set up by main(). */
#ifndef TBX_CMD_H
#define TBX_CMD_H

#include <json-c/json.h>

#include "config.h"
#include "defs.h"
#include "podman.h"
#include "util.h"

struct ctx {
	/* global options */
	const char *url;        /* --url, NULL for the default */
	const char *home_opt;   /* -C */
	const char *connection; /* --connection NAME */
	bool json;              /* --json (global, or a command's) */
	bool no_wait;           /* a command's --no-wait */
	/* set up on demand by ctx_home()/ctx_podman() */
	char *home;
	bool loaded;
	struct backends backends;
	struct models models;
	struct config cfg;
	struct podman podman;
	bool podman_ready;
	struct err err;
};

/* Load home, definitions and config (once).  -1 with ctx->err set. */
int ctx_load(struct ctx *c);
/* Connect to Podman (once). */
int ctx_podman(struct ctx *c);

/* One option of a command, declared once: getopt, --help, the man page
 * and the bash completion (tbx help --complete) all come from it.  An
 * option named "json" or "no-wait" is also handled by the dispatcher
 * (ctx->json, ctx->no_wait). */
struct cmd_option {
	const char *name; /* long name without dashes ("allow-stale"); NULL: short only;
			   * "--": not an option, documents what follows "--" */
	char key;         /* short option letter, or 0 */
	const char *arg;  /* the value's name ("DIR"), NULL for a flag */
	const char *text; /* help */
};

#define CMD_OPTIONS_MAX 16

/* A command line parsed against a command's options. */
struct cmd_args {
	const struct cmd_option *options;
	struct strv given[CMD_OPTIONS_MAX]; /* per option: its values ("" for a flag) */
	int argc;                           /* the operands, after the options */
	char **argv;
};

/* The table of a command whose only option is --no-wait (pin, rollback). */
extern const struct cmd_option cmd_no_wait_only[];

/* Was option name given?  Its (last) value, or NULL.  All its values. */
bool cmd_has(const struct cmd_args *a, const char *name);
const char *cmd_value(const struct cmd_args *a, const char *name);
const struct strv *cmd_values(const struct cmd_args *a, const char *name);

struct command {
	const char *name;
	const char *args;    /* synopsis after the name: "[--check] [BACKEND...]" */
	const char *summary; /* one line */
	const char *description;
	const struct cmd_option *options;         /* terminated by { NULL, 0, NULL, NULL } */
	const struct command *const *subcommands; /* NULL-terminated (timer install...), or NULL */
	int (*run)(struct ctx *c, const struct cmd_args *a); /* exit code, or -1 with c->err */
};

/* Print "usage: tbx NAME ARGS" and a hint on stderr; returns EXIT_USAGE. */
int cmd_usage(const struct command *cmd, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Full help of a command on stdout. */
void cmd_help(const struct command *cmd);

/* ---- output: the front end prints what the core returns (print.c) ---- */
struct backend;
struct converge_outcome;
struct prune_result;
struct run_lock;
/* A JSON document on stdout, pretty-printed. */
void cmd_print_json(json_object *j);
/* What prune did, one line each ("prune: removed container 'x' (legacy)");
 * nothing with -q. */
void print_prune(const struct prune_result *r);
/* Take the run lock, saying on stderr whom we wait for (even with -q: a
 * cron log should show why a run took long). */
int cmd_lock(struct ctx *c, struct run_lock *l, const char *what, bool wait);
/* pins_switch() b to digest (pin DIGEST, rollback), then "ID: VERB DIGEST"
 * on stdout. */
struct imagelock;
int pin_switch_print(struct ctx *c, const struct backend *b, struct imagelock *il,
		     const char *digest, const char *verb);
/* converge's events as notes on stderr: "tbx: ID: pulling REF" (unless
 * -q), recoveries (unless -q), leftovers removed (with -v). */
enum converge_event;
void print_converge_event(const struct backend *b, enum converge_event ev, const char *detail,
			  void *ctx);

/* ---- what bench and curve share (bench.c) ---- */
struct bench_plan;
struct bench_opts {
	bool allow_stale, no_wait, dry_run, offline;
};
/* BACKEND MODEL [-- ARGS...]: *extra gets what follows "--".  0, or the
 * usage exit code (printed). */
int bench_operands(const struct command *cmd, const struct cmd_args *a, char ***extra,
		   int *n_extra);
/* Connect, take the run lock (what: who holds it), then the freshness
 * gate (or a native backend's checks) and the host's name, kernel and
 * state into the plan; the container is started when stopped. */
int bench_prepare(struct ctx *c, struct bench_plan *pl, const struct bench_opts *bo,
		  struct run_lock *lock, const char *what);
/* -1 with c->err set when the container was removed, replaced or stopped
 * since the gate judged it. */
int bench_container_unchanged(struct ctx *c, const struct bench_plan *pl);
/* After a failure: an interruption becomes exit 130/143, "interrupted:
 * nothing recorded", unless the error already says so. */
void bench_interrupted(struct ctx *c);

extern const struct command cmd_help_def, cmd_version, cmd_backends, cmd_models, cmd_doctor,
	cmd_refresh, cmd_status, cmd_pin, cmd_unpin, cmd_rollback, cmd_bench, cmd_results,
	cmd_report, cmd_import, cmd_export, cmd_timer, cmd_curve;

extern const struct command *const commands[];
const struct command *command_find(const char *name);

#endif
