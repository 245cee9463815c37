/* fuzz_llama_bench.c - llama-bench output: lb_parse_jsonl, lb_parse_json,
 * lb_parse_markdown and lb_parse_any, each over the same input.
 *
 * Besides memory errors, checks what llama_bench.h promises: a 0 return
 * holds rows (or, for markdown, a failed run with a reason), rows are
 * unique by their triple, kept strings are sanitised, and a -1 return
 * comes with a message; the effective settings are an object whose known
 * fields have their normalised types (flash_attn -1/0/1, load_mode a
 * string, no use_mmap left) and that a record keeps and gives back as
 * the same JSON.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "llama_bench.h"
#include "record.h"

#define LB_MAX_FIELD 1024 /* as in llama_bench.c */
#define LB_MAX_TESTS 10000
#define LB_MAX_DEVICES 64

typedef int (*lb_parser)(const char *, size_t, struct lb_run *, struct err *);

static void check_run(const char *name, int rc, const struct lb_run *r, const struct err *e,
		      bool markdown)
{
	if (rc != 0 && rc != -1)
		fuzz_fail("%s returned %d", name, rc);
	if (rc < 0) {
		if (!e->msg[0])
			fuzz_fail("%s failed without a message", name);
		return;
	}
	if (!markdown && r->n_tests == 0)
		fuzz_fail("%s succeeded without rows", name);
	if (markdown && r->n_tests == 0 && !(r->failed && r->error))
		fuzz_fail("%s succeeded without rows and without a failure reason", name);
	if (r->failed && !r->error)
		fuzz_fail("%s: failed run without a reason", name);
	if (r->n_tests > LB_MAX_TESTS)
		fuzz_fail("%s: %zu rows", name, r->n_tests);
	if (r->devices.n > LB_MAX_DEVICES)
		fuzz_fail("%s: %zu device lines", name, r->devices.n);
	fuzz_check_line("build_commit", r->build_commit, LB_MAX_FIELD);
	fuzz_check_line("backends", r->backends, LB_MAX_FIELD);
	fuzz_check_line("gpu_info", r->gpu_info, LB_MAX_FIELD);
	fuzz_check_line("model_filename", r->model_filename, LB_MAX_FIELD);
	fuzz_check_line("model_type", r->model_type, LB_MAX_FIELD);
	fuzz_check_line("error", r->error, 2 * 400);
	for (size_t i = 0; i < r->devices.n; i++)
		fuzz_check_line("device", r->devices.v[i], LB_MAX_FIELD);
	if (r->build_number < 0)
		fuzz_fail("%s: negative build number %ld", name, r->build_number);
	for (size_t i = 0; i < r->n_tests; i++) {
		const struct lb_test *t = &r->tests[i];
		if (!t->name[0] || memchr(t->name, '\0', sizeof(t->name)) == NULL)
			fuzz_fail("%s: row %zu has no name", name, i);
		if (t->n_prompt < 0 || t->n_gen < 0 || t->n_depth < 0)
			fuzz_fail("%s: row '%s' has a negative count", name, t->name);
		if (lb_find(r, t->n_prompt, t->n_gen, t->n_depth) != t)
			fuzz_fail("%s: row '%s' is there twice", name, t->name);
		if (!isfinite(t->mean))
			fuzz_fail("%s: row '%s' has a mean of %g", name, t->name, t->mean);
		if ((t->n_samples == 0) != (t->samples == NULL))
			fuzz_fail("%s: row '%s': %zu samples at %p", name, t->name, t->n_samples,
				  (void *)t->samples);
		for (size_t k = 0; k < t->n_samples; k++)
			if (!isfinite(t->samples[k]) || t->samples[k] < 0)
				fuzz_fail("%s: row '%s' sample %zu is %g", name, t->name, k,
					  t->samples[k]);
	}
}

static void check_settings(const char *name, json_object *s)
{
	if (!s)
		return;
	if (!json_object_is_type(s, json_type_object))
		fuzz_fail("%s: settings are not an object", name);
	json_object_object_foreach(s, key, val)
	{
		const char *type = lb_setting_type(key);
		if (!type)
			continue;
		if (strcmp(key, "use_mmap") == 0 || strcmp(key, "use_direct_io") == 0)
			fuzz_fail("%s: %s left beside load_mode", name, key);
		bool ok = strcmp(type, "int") == 0	  ? json_object_is_type(val, json_type_int)
			  : strcmp(type, "bool") == 0	  ? json_object_is_type(val, json_type_boolean)
			  : strcmp(type, "flash_attn") == 0 ? json_object_is_type(val, json_type_int) &&
								      json_object_get_int64(val) >= -1 &&
								      json_object_get_int64(val) <= 1
							    : json_object_is_type(val, json_type_string);
		if (!ok)
			fuzz_fail("%s: setting %s is not a normalised %s", name, key, type);
	}
	/* kept in a record and given back unchanged */
	char *text = record_obj_text(s);
	json_object *back = record_obj_parse(text);
	if (!back || !json_object_equal(back, s))
		fuzz_fail("%s: settings do not survive a record: %s", name, text ? text : "(null)");
	json_object_put(back);
	free(text);
}

static void run(const char *name, lb_parser fn, const char *text, size_t len, bool markdown)
{
	struct lb_run r;
	struct err e;
	lb_run_init(&r);
	err_clear(&e);
	int rc = fn(text, len, &r, &e);
	check_run(name, rc, &r, &e, markdown);
	if (rc == 0)
		check_settings(name, r.settings);
	lb_run_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	run("lb_parse_jsonl", lb_parse_jsonl, text, size, false);
	run("lb_parse_json", lb_parse_json, text, size, false);
	run("lb_parse_markdown", lb_parse_markdown, text, size, true);
	/* lb_parse_any picks one of the three: markdown's contract is the loosest */
	run("lb_parse_any", lb_parse_any, text, size, true);
	free(text);
	return 0;
}
