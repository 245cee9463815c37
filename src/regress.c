/* regress.c - significance of performance changes. */
#define _GNU_SOURCE
#include "regress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imagelock.h"
#include "json.h"

static void sample_stats(const struct rec_test *t, double *mean, double *var, size_t *n)
{
	*n = 0;
	double sum = 0, sq = 0;
	for (size_t i = 0; i < t->n_samples; i++)
		if (isfinite(t->samples[i]))
			sum += t->samples[i], (*n)++;
	if (*n == 0) {
		*mean = t->mean;
		*var = isfinite(t->stddev) ? t->stddev * t->stddev : 0;
		*n = 1;
		return;
	}
	*mean = sum / (double)*n;
	for (size_t i = 0; i < t->n_samples; i++)
		if (isfinite(t->samples[i]))
			sq += (t->samples[i] - *mean) * (t->samples[i] - *mean);
	*var = *n > 1 ? sq / (double)(*n - 1) : (isfinite(t->stddev) ? t->stddev * t->stddev : 0);
}

double regress_change(const struct rec_test *a, const struct rec_test *b, bool *significant)
{
	double ma, va, mb, vb;
	size_t na, nb;
	*significant = false;
	if (!a->present || !b->present)
		return NAN;
	sample_stats(a, &ma, &va, &na);
	sample_stats(b, &mb, &vb, &nb);
	if (!isfinite(ma) || !isfinite(mb) || ma <= 0)
		return NAN;
	double pct = (mb - ma) / ma * 100.0;
	double se = sqrt(va / (double)na + vb / (double)nb);
	double t = se > 0 ? fabs(mb - ma) / se : INFINITY;
	*significant = fabs(pct) >= REGRESS_MIN_PCT && t >= REGRESS_MIN_T;
	return pct;
}

static const struct rec_test *test_of(const struct record *r, const char *test)
{
	return strcmp(test, "pp512") == 0 ? &r->pp512 : &r->tg128;
}

#define SHOWN_VALUE_MAX 60

/* A value for people: strings bare, null and absent as "?" (unknown). */
static char *shown(json_object *v, bool present)
{
	if (!present || !v)
		return xstrdup("?");
	const char *t = json_object_is_type(v, json_type_string)
				? json_object_get_string(v)
				: json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
									 JSON_C_TO_STRING_NOSLASHESCAPE);
	return sanitize_line(t, strlen(t), SHOWN_VALUE_MAX);
}

/* Between the two values of a changed item: host items as digests and
 * builds ("->"), effective settings with U+2192 ("flash_attn 0 U+2192 1"). */
#define ARROW_HOST "->"
#define ARROW_SETTING "\xe2\x86\x92"

static void add_item(struct strv *out, const char *arrow, const char *prefix, const char *key,
		     json_object *a, bool in_a, json_object *b, bool in_b)
{
	char *k = sanitize_line(key, strlen(key), SHOWN_VALUE_MAX);
	char *x = shown(a, in_a), *y = shown(b, in_b);
	strv_pushf(out, "%s%s%s %s %s %s", prefix ? prefix : "", prefix ? "." : "", k, x, arrow,
		   y);
	free(k), free(x), free(y);
}

/* Members of a and b that differ, "name old ARROW new", into out (objects
 * one level down as "name.member"); skip(name) leaves a member out. */
static void diff_objects(json_object *a, json_object *b, const char *arrow, const char *prefix,
			 int depth, bool (*skip)(const char *, void *), void *ctx,
			 struct strv *out)
{
	if (!json_object_is_type(a, json_type_object) || !json_object_is_type(b, json_type_object))
		return;
	for (int pass = 0; pass < 2; pass++) {
		json_object_object_foreach(pass ? a : b, key, val)
		{
			json_object *other = NULL;
			bool in_other = json_object_object_get_ex(pass ? b : a, key, &other);
			if (pass && in_other)
				continue; /* seen from b's side */
			if ((skip && skip(key, ctx)) || (in_other && json_object_equal(val, other)))
				continue;
			json_object *old = pass ? val : other, *now = pass ? other : val;
			bool in_old = pass ? true : in_other, in_now = pass ? in_other : true;
			/* a host item null or missing on one side is unknown there:
			 * no change (its members, one level down, are compared) */
			if (skip && depth == 0 && (!old || !now))
				continue;
			if (depth == 0 && json_object_is_type(old, json_type_object) &&
			    json_object_is_type(now, json_type_object))
				diff_objects(old, now, arrow, key, 1, NULL, NULL, out);
			else
				add_item(out, arrow, prefix, key, old, in_old, now, in_now);
		}
	}
}

/* The settings that differ, joined by ", "; *n: how many (0: NULL). */
static char *settings_diff(const struct record *prev, const struct record *cur, size_t *n)
{
	*n = 0;
	if (!prev->settings || !cur->settings)
		return NULL; /* unknown is no change */
	if (strcmp(prev->settings, cur->settings) == 0)
		return NULL; /* the same text (loaded records share it): no parse needed */
	json_object *a = record_obj_parse(prev->settings), *b = record_obj_parse(cur->settings);
	struct strv items = STRV_INIT;
	diff_objects(a, b, ARROW_SETTING, NULL, 0, NULL, NULL, &items);
	json_object_put(a), json_object_put(b);
	if (!items.n)
		return NULL;
	struct buf out = BUF_INIT;
	buf_init(&out);
	for (size_t i = 0; i < items.n; i++)
		buf_addf(&out, "%s%s", i ? ", " : "", items.v[i]);
	*n = items.n;
	strv_free(&items);
	return buf_detach(&out);
}

char *regress_settings_change(const struct record *prev, const struct record *cur)
{
	size_t n;
	return settings_diff(prev, cur, &n);
}

char *regress_settings_named(const struct record *prev, const struct record *cur)
{
	size_t n;
	char *settings = settings_diff(prev, cur, &n);
	if (!settings)
		return NULL;
	bool new_build = !str_eq(prev->image_digest, cur->image_digest) ||
			 !str_eq(prev->binary_sha256, cur->binary_sha256) ||
			 prev->build_number != cur->build_number ||
			 !str_eq(prev->build_commit, cur->build_commit);
	/* "flash_attn 0 U+2192 1, a default of the new build" */
	char *out = xasprintf("%s, %s", settings,
			      !new_build ? "not in the arguments"
			      : n > 1	 ? "defaults of the new build"
					 : "a default of the new build");
	free(settings);
	return out;
}

/* Items read where llama-bench runs: inside the image for a container. */
static bool runs_side(const char *key)
{
	static const char *const names[] = { "mesa", "rocm", "limits", "gpu_env" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0)
			return true;
	return false;
}

struct host_skip {
	bool container;   /* leave out what the image holds */
	bool only_runs;   /* keep only what the image holds */
	bool has_kernel;  /* host.kernel compared already */
};

static bool skip_host_item(const char *key, void *ctx)
{
	const struct host_skip *h = ctx;
	if (strcmp(key, "state_read") == 0 || (h->has_kernel && strcmp(key, "kernel_release") == 0))
		return true;
	return h->only_runs ? !runs_side(key) : h->container && runs_side(key);
}

void regress_changes(const struct record *prev, const struct record *cur,
		     struct regress_changes *c)
{
	memset(c, 0, sizeof(*c));
	char s1[24], s2[24];
	bool digest = !str_eq(prev->image_digest, cur->image_digest) ||
		      !str_eq(prev->binary_sha256, cur->binary_sha256);
	bool build = prev->build_number != cur->build_number ||
		     !str_eq(prev->build_commit, cur->build_commit);
	c->native = !cur->image_digest && cur->binary_sha256;
	if (digest && cur->image_digest)
		strv_pushf(&c->image, "image %s -> %s", short_digest(prev->image_digest, s1),
			   short_digest(cur->image_digest, s2));
	else if (digest)
		strv_pushf(&c->image, "binary %s -> %s", short_digest(prev->binary_sha256, s1),
			   short_digest(cur->binary_sha256, s2));
	if (build)
		strv_pushf(&c->image, "build %ld -> %ld", prev->build_number, cur->build_number);
	char *settings = regress_settings_named(prev, cur);
	if (settings)
		strv_push(&c->image, settings);
	free(settings);
	bool container = cur->image_digest || str_eq(cur->kind, "container");
	bool kernels = prev->kernel && cur->kernel;
	if (kernels && strcmp(prev->kernel, cur->kernel) != 0) {
		json_object *a = json_object_new_string(prev->kernel);
		json_object *b = json_object_new_string(cur->kernel);
		add_item(&c->host, ARROW_HOST, NULL, "kernel", a, true, b, true);
		json_object_put(a), json_object_put(b);
	}
	if (!prev->host_state || !cur->host_state)
		return; /* unknown is no change */
	if (strcmp(prev->host_state, cur->host_state) == 0)
		return; /* the same text: every member equal */
	json_object *a = record_obj_parse(prev->host_state), *b = record_obj_parse(cur->host_state);
	if (json_flag(a, "state_read", true) && json_flag(b, "state_read", true)) {
		struct host_skip host = { .container = container, .has_kernel = kernels };
		diff_objects(a, b, ARROW_HOST, NULL, 0, skip_host_item, &host, &c->host);
		if (container) {
			struct host_skip image = { .only_runs = true };
			diff_objects(a, b, ARROW_HOST, NULL, 0, skip_host_item, &image, &c->image);
		}
	}
	json_object_put(a), json_object_put(b);
}

void regress_changes_free(struct regress_changes *c)
{
	strv_free(&c->image);
	strv_free(&c->host);
}

const char *regress_attribution(const struct regress_changes *c)
{
	const char *image = c->native ? "the binary" : "the image";
	if (c->image.n && c->host.n)
		return c->native ? "the binary and the host" : "the image and the host";
	if (c->image.n)
		return image;
	return c->host.n ? "the host" : NULL;
}

char *regress_flag(const struct record *prev, const struct record *cur, const char *test,
		   bool *regression)
{
	return regress_flag_values(prev, cur, test, test_of(prev, test), test_of(cur, test),
				   regression);
}

char *regress_flag_values(const struct record *prev, const struct record *cur, const char *test,
			  const struct rec_test *before, const struct rec_test *after, bool *regression)
{
	*regression = false;
	bool sig = false;
	double pct = regress_change(before, after, &sig);
	if (!sig)
		return NULL; /* noise: what changed does not matter (and is not parsed) */
	struct regress_changes c;
	regress_changes(prev, cur, &c);
	const char *who = regress_attribution(&c);
	if (!who) {
		regress_changes_free(&c);
		return NULL;
	}
	*regression = pct < 0;
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_addf(&b, "%s %+.1f%% after ", test, pct);
	size_t k = 0;
	for (size_t i = 0; i < c.image.n; i++)
		buf_addf(&b, "%s%s", k++ ? ", " : "", c.image.v[i]);
	for (size_t i = 0; i < c.host.n; i++)
		buf_addf(&b, "%s%s", k++ ? ", " : "", c.host.v[i]);
	buf_addf(&b, "; attributed to %s", who);
	regress_changes_free(&c);
	return buf_detach(&b);
}

char *regress_compare_last(const struct records *rs)
{
	const struct record *cur = NULL, *prev = NULL;
	for (size_t i = rs->n; i-- > 0;) {
		if (rs->v[i].failed)
			continue;
		if (!cur)
			cur = &rs->v[i];
		else if (!prev)
			prev = &rs->v[i];
	}
	if (!cur || !prev)
		return NULL;
	struct buf b = BUF_INIT;
	buf_init(&b);
	char date[32];
	format_time(prev->started_at, date);
	bool s1, s2;
	double p1 = regress_change(&prev->pp512, &cur->pp512, &s1);
	double p2 = regress_change(&prev->tg128, &cur->tg128, &s2);
	buf_addf(&b, "  vs previous (%.10s): pp512 %+.1f%%, tg128 %+.1f%%\n", date, p1, p2);
	static const char *const tests[] = { "pp512", "tg128" };
	bool flagged = false;
	for (int i = 0; i < 2; i++) {
		bool reg;
		char *flag = regress_flag(prev, cur, tests[i], &reg);
		if (flag)
			buf_addf(&b, "  %s: %s\n", reg ? "REGRESSION" : "improvement", flag);
		flagged |= flag != NULL;
		free(flag);
	}
	/* within the noise, a setting the new build defaults otherwise is
	 * still named (the report's history does the same) */
	char *settings = flagged ? NULL : regress_settings_named(prev, cur);
	if (settings) {
		struct regress_changes c;
		regress_changes(prev, cur, &c);
		buf_addf(&b, "  settings changed: %s; attributed to %s\n", settings,
			 regress_attribution(&c));
		regress_changes_free(&c);
	}
	free(settings);
	return buf_detach(&b);
}
