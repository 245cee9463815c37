/* fuzz_record.c - record loading as store_load does it: json_parse, then
 * record_from_json (src/record.c), then the writer.
 *
 * Checks: a loaded record has the fields reports use without checking
 * (file, run_id, backend, lineage, model), its start time prints, its
 * sample arrays and curve points are bounded; what record_to_json writes of it reads back
 * and writes again to the same text; a rejected record says why and holds
 * nothing.
 */
#include "fuzz.h"
#include "json.h"
#include "store.h"

static void check_test(const char *what, const struct rec_test *t)
{
	if (t->n_samples > RECORD_MAX_SAMPLES)
		fuzz_fail("%s: %zu samples", what, t->n_samples);
	if (t->n_samples && !t->samples)
		fuzz_fail("%s: %zu samples at NULL", what, t->n_samples);
	if (!t->present && (t->samples || t->n_samples))
		fuzz_fail("%s: samples without the test", what);
}

static char *written(const struct record *r)
{
	json_object *j = record_to_json(r);
	char *s = json_pretty(j);
	json_object_put(j);
	return s;
}

/* write, read, write: the second text is the first */
static void check_rewrite(const struct record *r)
{
	char *first = written(r);
	struct err e;
	err_clear(&e);
	json_object *o = json_parse(first, strlen(first), "rewrite", &e);
	if (!o)
		fuzz_fail("the writer wrote invalid JSON: %s", e.msg);
	struct record back;
	if (record_from_json(o, "rewrite", &back, &e) < 0)
		fuzz_fail("a written record does not read back: %s", e.msg);
	char *second = written(&back);
	if (strcmp(first, second) != 0)
		fuzz_fail("written twice differently:\n%s\n%s", first, second);
	free(first), free(second);
	record_free(&back);
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct err e;
	err_clear(&e);
	json_object *o = json_parse(text, size, "results/fuzz.json", &e);
	free(text);
	if (!o)
		return 0;

	struct record r;
	memset(&r, 0xa5, sizeof(r)); /* record_from_json must set every field */
	err_clear(&e);
	int rc = record_from_json(o, "results/fuzz.json", &r, &e);
	if (rc == 0) {
		if (!r.file || !r.run_id || !r.backend || !r.lineage || !r.model)
			fuzz_fail("record loaded with a missing field");
		if (!r.failed && !record_is_curve(&r) && !r.pp512.present && !r.tg128.present)
			fuzz_fail("successful record without pp512 or tg128");
		if (!r.failed && record_is_curve(&r) && !r.curve.prefill.n_points &&
		    !r.curve.generation.n_points)
			fuzz_fail("successful curve record without a point");
		if (r.curve.prefill.n_points > RECORD_MAX_POINTS ||
		    r.curve.generation.n_points > RECORD_MAX_POINTS ||
		    r.curve.n_depths > RECORD_MAX_POINTS)
			fuzz_fail("a curve beyond %d points", RECORD_MAX_POINTS);
		for (size_t i = 0; i < r.curve.prefill.n_points; i++)
			check_test("curve.prefill", &r.curve.prefill.points[i].t);
		for (size_t i = 0; i < r.curve.generation.n_points; i++)
			check_test("curve.generation", &r.curve.generation.points[i].t);
		check_test("pp512", &r.pp512);
		check_test("tg128", &r.tg128);
		char ts[32];
		format_time(r.started_at, ts); /* what reports print */
		if (!ts[0])
			fuzz_fail("started_at %lld does not print", (long long)r.started_at);
		int64_t back;
		if (parse_time(ts, &back) != 0 || back != r.started_at)
			fuzz_fail("started_at %lld prints as '%s' that does not parse back",
				  (long long)r.started_at, ts);
		check_rewrite(&r);
	} else {
		if (rc != -1 || !e.msg[0])
			fuzz_fail("record_from_json returned %d with message '%s'", rc, e.msg);
		if (r.file || r.run_id || r.backend || r.pp512.samples || r.tg128.samples)
			fuzz_fail("rejected record still holds data");
	}
	record_free(&r);
	json_object_put(o);
	return 0;
}
