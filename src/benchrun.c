/* benchrun.c - running and recording one canonical bench. */
#define _GNU_SOURCE
#include "benchrun.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "regress.h"
#include "runcmd.h"
#include "store.h"

#define BENCH_MAX_OUTPUT ((size_t)32 << 20)

void bench_plan_init(struct bench_plan *pl, const struct backend *b, const char *alias,
		     const char *model_path, char *const *extra, int n_extra)
{
	memset(pl, 0, sizeof(*pl));
	pl->b = b;
	pl->model_alias = alias;
	pl->model_path = model_path;
	for (size_t i = 0; i < b->bench.n; i++)
		strv_push(&pl->argv, b->bench.v[i]);
	const char *canon[] = { "-m", model_path, "--n-gpu-layers", "99", "-p", "512",
				"-n", "128",      "-o",             "jsonl" };
	for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++)
		strv_push(&pl->argv, canon[i]);
	for (int i = 0; i < n_extra; i++) {
		strv_push(&pl->argv, extra[i]);
		strv_push(&pl->extra, extra[i]);
	}
	new_run_id(pl->run_id);
}

void bench_plan_set_args(struct bench_plan *pl, char *const *args)
{
	strv_free(&pl->argv);
	for (size_t i = 0; i < pl->b->bench.n; i++)
		strv_push(&pl->argv, pl->b->bench.v[i]);
	for (size_t i = 0; args[i]; i++)
		strv_push(&pl->argv, args[i]);
	for (size_t i = 0; i < pl->extra.n; i++)
		strv_push(&pl->argv, pl->extra.v[i]);
}

void bench_plan_free(struct bench_plan *pl)
{
	strv_free(&pl->argv);
	strv_free(&pl->extra);
	free(pl->image_ref), free(pl->image_digest), free(pl->image_id), free(pl->container_id);
	free(pl->image_platform_digest);
	free(pl->binary_path), free(pl->binary_sha256), free(pl->host), free(pl->kernel);
	json_object_put(pl->host_state);
	free(pl->stale_reason);
	free(pl->upstream_state), free(pl->upstream_last_build), free(pl->upstream_successor);
	memset(pl, 0, sizeof(*pl));
}

void bench_output_free(struct bench_output *o)
{
	buf_free(&o->out);
	buf_free(&o->err);
}

struct collect {
	struct bench_output *o;
	bool echo;
};

static void collect(int stream, const char *data, size_t len, void *ctx)
{
	struct collect *c = ctx;
	struct buf *b = stream == 2 ? &c->o->err : &c->o->out;
	if (b->len + len > BENCH_MAX_OUTPUT) {
		c->o->truncated = true;
		len = BENCH_MAX_OUTPUT > b->len ? BENCH_MAX_OUTPUT - b->len : 0;
	}
	buf_add(b, data, len);
	if (c->echo && stream == 2)
		fwrite(data, 1, len, stderr);
}

int bench_run_once(struct podman *p, const struct bench_plan *pl, struct bench_output *o,
		   bool echo_stderr, struct err *e)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->out);
	buf_init(&o->err);
	struct collect c = { .o = o, .echo = echo_stderr };
	if (pl->b->native) {
		struct runcmd rc = { .argv = pl->argv.v, .env = pl->b->env.v };
		if (runcmd_run(&rc, collect, &c, 0, &o->exit_code, e) < 0)
			return -1;
		if (g_interrupted) /* passed on to llama-bench by runcmd */
			return err_setx(e, g_interrupted == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM,
					"interrupted: stopped '%s'", pl->argv.v[0]);
		return 0;
	}
	char *pidfile = xasprintf("/tmp/tbx-bench-%s.pid", pl->run_id);
	struct exec_opts xo = {
		.argv = pl->argv.v,
		.env = pl->b->env.v,
		.on_output = collect,
		.ctx = &c,
		.interruptible = true,
		.pidfile = pidfile,
	};
	int rc = podman_exec(p, pl->b->container, &xo, &o->exit_code, e);
	free(pidfile);
	return rc;
}

/* What a failed run said: "llama-bench failed (exit 1): ..." (caller frees). */
static char *failure_text(const struct bench_output *o)
{
	char *why = lb_error_summary(o->err.p, o->err.len);
	if (!why) {
		/* the last non-empty stderr line says most */
		const char *end = o->err.p + o->err.len;
		while (end > o->err.p && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		const char *start = end;
		while (start > o->err.p && start[-1] != '\n')
			start--;
		why = sanitize_line(start, (size_t)(end - start), 300);
	}
	char *text;
	if (o->exit_code == 127 && !*why)
		text = xstrdup("llama-bench was not found (exit 127)");
	else if (o->exit_code > 128)
		text = xasprintf("llama-bench died of signal %d (exit %d): %s", o->exit_code - 128,
				 o->exit_code, *why ? why : "no message");
	else
		text = xasprintf("llama-bench failed (exit %d): %s", o->exit_code,
				 *why ? why : "no message");
	free(why);
	return text;
}

static int parse_rows(const struct bench_output *o, struct lb_run *r, struct err *e)
{
	struct err pe = { 0 };
	if (lb_parse_jsonl(o->out.p, o->out.len, r, &pe) < 0) {
		if (pe.exit_code == EXIT_REFUSED) /* its rows disagree: not one configuration */
			return err_setx(e, EXIT_REFUSED, "%s", pe.msg);
		char *why = lb_error_summary(o->err.p, o->err.len);
		err_set(e, "llama-bench printed no usable results: %s%s%s", pe.msg, why ? "; it said: " : "",
			why ? why : "");
		free(why);
		return -1;
	}
	return 0;
}

int bench_parse(const struct bench_output *o, struct lb_run *r, struct err *e)
{
	lb_run_init(r);
	lb_parse_devices(o->err.p, o->err.len, &r->devices);
	if (o->exit_code != 0) {
		char *text = failure_text(o);
		err_set(e, "%s", text);
		free(text);
		return -1;
	}
	if (parse_rows(o, r, e) < 0)
		return -1;
	if (!lb_find(r, 512, 0, 0) || !lb_find(r, 0, 128, 0))
		return err_set(e, "llama-bench's output lacks the %s row",
			       lb_find(r, 512, 0, 0) ? "tg128" : "pp512");
	return 0;
}

int bench_parse_partial(const struct bench_output *o, struct lb_run *r, char **failure,
			struct err *e)
{
	*failure = NULL;
	lb_run_init(r);
	lb_parse_devices(o->err.p, o->err.len, &r->devices);
	bool has_rows = memchr(o->out.p ? o->out.p : "", '{', o->out.len) != NULL;
	if (o->exit_code != 0 && !has_rows) {
		char *text = failure_text(o);
		err_set(e, "%s", text);
		free(text);
		return -1;
	}
	if (parse_rows(o, r, e) < 0) {
		if (o->exit_code != 0) {
			char *text = failure_text(o);
			err_wrap(e, "%s", text);
			free(text);
		}
		return -1;
	}
	if (o->exit_code != 0 || o->truncated)
		*failure = o->truncated ? xstrdup("llama-bench's output was cut at 32 MiB")
					: failure_text(o);
	return 0;
}

int bench_verify_device(const struct backend *b, const struct lb_run *r, char **device,
			struct err *e)
{
	*device = NULL;
	struct buf seen = BUF_INIT;
	buf_init(&seen);
	buf_addf(&seen, "backends: %s; ", r->backends ? r->backends : "none");
	if (r->devices.n == 0)
		buf_adds(&seen, "no device line");
	for (size_t i = 0; i < r->devices.n; i++)
		buf_addf(&seen, "%s%s", i ? " / " : "device: ", r->devices.v[i]);
	char *shown = sanitize_line(seen.p, seen.len, 600);
	buf_free(&seen);
	int rc = 0;
	if (b->expect_backend && !expect_matches(b->expect_backend, r->backends)) {
		rc = err_setx(e, EXIT_REFUSED,
			      "refused: %s expects backend '%s' but llama-bench used another (%s)", b->id,
			      b->expect_backend, shown);
	} else if (b->expect_device) {
		for (size_t i = 0; i < r->devices.n && !*device; i++)
			if (expect_matches(b->expect_device, r->devices.v[i]))
				*device = xstrdup(r->devices.v[i]);
		if (!*device)
			rc = err_setx(e, EXIT_REFUSED,
				      "refused: %s expects device '%s' but llama-bench showed %s (wrong "
				      "ICD or driver, or a CPU fallback? check VK_ICD_FILENAMES and "
				      "the container's devices)",
				      b->id, b->expect_device, shown);
	} else if (r->devices.n) {
		*device = xstrdup(r->devices.v[0]);
	}
	free(shown);
	return rc;
}

int bench_same_settings(const struct lb_run *warmup, const struct lb_run *measured,
			struct err *e)
{
	if (!warmup->settings || !measured->settings ||
	    json_object_equal(warmup->settings, measured->settings))
		return 0;
	struct record a, b;
	record_init(&a), record_init(&b);
	a.settings = record_obj_text(warmup->settings);
	b.settings = record_obj_text(measured->settings);
	char *what = regress_settings_change(&a, &b);
	err_setx(e, EXIT_REFUSED,
		 "refused: contradictory settings: the warmup and the measured run differ (%s)",
		 what ? what : "?");
	free(what);
	record_free(&a), record_free(&b);
	return -1;
}

void bench_record_fill(struct record *r, const struct bench_plan *pl, const char *device,
		       int64_t started, int64_t finished)
{
	r->run_id = xstrdup(pl->run_id);
	r->started_at = started;
	r->finished_at = finished;
	r->backend = xstrdup(pl->b->id);
	r->lineage = pl->b->lineage ? xstrdup(pl->b->lineage) : NULL;
	r->model = xstrdup(pl->model_alias ? pl->model_alias : strrchr(pl->model_path, '/') + 1);
	r->model_path = xstrdup(pl->model_path);
	struct stat st;
	struct strv shards = STRV_INIT; /* every shard counts */
	model_shards(pl->model_path, &shards);
	r->model_bytes = 0;
	for (size_t i = 0; i < shards.n; i++)
		if (stat(shards.v[i], &st) == 0)
			r->model_bytes += st.st_size;
	strv_free(&shards);
	for (size_t i = 0; i < pl->argv.n; i++)
		strv_push(&r->command, pl->argv.v[i]);
	for (size_t i = 0; i < pl->extra.n; i++)
		strv_push(&r->extra_args, pl->extra.v[i]);
	r->host = pl->host ? xstrdup(pl->host) : NULL;
	r->kernel = pl->kernel ? xstrdup(pl->kernel) : NULL;
	r->tbx_version = xstrdup(TBX_VERSION);
	r->kind = xstrdup(pl->b->native ? "native" : "container");
	char **prov[] = { &r->image_ref, &r->image_digest, &r->image_id, &r->container,
			  &r->container_id, &r->binary_path, &r->binary_sha256, &r->device,
			  &r->stale_reason, &r->image_platform_digest };
	const char *from[] = { pl->image_ref,	  pl->image_digest, pl->image_id,
			       pl->b->container,  pl->container_id, pl->binary_path,
			       pl->binary_sha256, device,	    pl->stale_reason,
			       pl->image_platform_digest };
	for (size_t i = 0; i < sizeof(prov) / sizeof(prov[0]); i++)
		*prov[i] = from[i] ? xstrdup(from[i]) : NULL;
	r->host_state = record_obj_text(pl->host_state);
	r->stale = pl->stale;
	if (pl->upstream_state) {
		json_object *u = json_object_new_object();
		json_add_str(u, "state", pl->upstream_state);
		json_add_str(u, "last_build", pl->upstream_last_build);
		json_add_str(u, "successor", pl->upstream_successor);
		r->upstream = record_obj_text(u);
		json_object_put(u);
	}
}

json_object *bench_record(const struct bench_plan *pl, const struct lb_run *warmup,
			  const struct lb_run *m, const char *device, int64_t started,
			  int64_t finished)
{
	struct record r;
	record_init(&r);
	bench_record_fill(&r, pl, device, started, finished);
	record_set_results(&r, m, warmup);
	json_object *j = record_to_json(&r);
	record_free(&r);
	return j;
}
