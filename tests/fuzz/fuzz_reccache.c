/* fuzz_reccache.c - the record cache file (cache/records.cache, src/reccache.c),
 * which anyone who can write the home could have written.
 *
 * The input is parsed without its checksums (so the fuzzer reaches the
 * parser behind them) and with them.  Checks: every entry either decodes
 * to a record with the fields reports use without checking (run_id,
 * backend, lineage, model, config_key, config_variant) and samples,
 * points and lists within the RECORD_MAX_* limits, or fails holding
 * nothing; a name is a plain file name; the decoded records encode to a
 * cache that parses (checksums on), decodes to the same records
 * (record_to_json and the derived fields), and encodes to the same bytes.
 */
#include "fuzz.h"
#include "json.h"
#include "reccache.h"

static void check_test(const char *what, const struct rec_test *t)
{
	if (t->n_samples > RECORD_MAX_SAMPLES || (t->n_samples && !t->samples))
		fuzz_fail("%s: %zu samples", what, t->n_samples);
}

static void check_series(const char *what, const struct rec_series *s)
{
	if (s->n_points > RECORD_MAX_POINTS || (s->n_points && !s->points))
		fuzz_fail("%s: %zu points", what, s->n_points);
	if (s->command.n > RECORD_MAX_LIST)
		fuzz_fail("%s: %zu command words", what, s->command.n);
	for (size_t i = 0; i < s->n_points; i++)
		check_test(what, &s->points[i].t);
}

static void check_record(const struct record *r)
{
	if (!r->run_id || !r->backend || !r->lineage || !r->model || !r->config_key ||
	    !r->config_variant)
		fuzz_fail("a decoded record without run_id, backend, lineage, model or keys");
	check_test("pp512", &r->pp512);
	check_test("tg128", &r->tg128);
	check_test("warmup pp512", &r->warmup_pp512);
	check_test("warmup tg128", &r->warmup_tg128);
	check_test("curve warmup", &r->curve.warmup);
	check_series("prefill", &r->curve.prefill);
	check_series("generation", &r->curve.generation);
	if (r->curve.n_depths > RECORD_MAX_POINTS || (r->curve.n_depths && !r->curve.depths))
		fuzz_fail("%zu depths", r->curve.n_depths);
	if (r->command.n > RECORD_MAX_LIST || r->extra_args.n > RECORD_MAX_LIST ||
	    r->devices.n > RECORD_MAX_LIST)
		fuzz_fail("a list past RECORD_MAX_LIST");
}

static char *describe(const struct record *r)
{
	json_object *o = record_to_json(r);
	char *j = json_pretty(o);
	json_object_put(o);
	char *s = xasprintf("%s\n%s\n%s\n%d", j, r->config_key, r->config_variant, r->args_unknown);
	free(j);
	return s;
}

/* Decode every entry of c; the ones that decode go to items/v. */
static size_t decode_all(struct reccache *c, struct record *v, struct reccache_item *items)
{
	size_t m = 0;
	for (size_t i = 0; i < reccache_count(c); i++) {
		const char *name = reccache_name(c, i);
		if (!name || !*name || strchr(name, '/') || strlen(name) > 255)
			fuzz_fail("entry %zu: bad name", i);
		struct record *r = &v[m];
		if (reccache_decode(c, i, r, NULL, NULL) < 0) {
			if (r->run_id || r->backend || r->settings || r->curve.depths)
				fuzz_fail("a failed decode left fields set");
			continue;
		}
		check_record(r);
		items[m].name = name;
		if (reccache_entry_key(c, i, &items[m].key) < 0)
			fuzz_fail("no key for entry %zu", i);
		items[m].r = r;
		m++;
	}
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reccache_free(reccache_parse(data, size, 0, true));
	struct reccache *c = reccache_parse(data, size, 0, false);
	size_t n = reccache_count(c);
	if (n && !reccache_valid(c))
		fuzz_fail("an invalid cache with %zu entries", n);
	struct record *v = xcalloc(n ? n : 1, sizeof(*v));
	struct reccache_item *items = xcalloc(n ? n : 1, sizeof(*items));
	size_t m = decode_all(c, v, items);
	if (reccache_valid(c)) {
		struct buf first = BUF_INIT, second = BUF_INIT;
		buf_init(&first), buf_init(&second);
		reccache_encode(items, m, &first);
		struct reccache *again = reccache_parse(first.p, first.len, 0, true);
		if (!reccache_valid(again) || reccache_count(again) != m)
			fuzz_fail("own encoding of %zu records does not parse", m);
		struct record *w = xcalloc(m ? m : 1, sizeof(*w));
		struct reccache_item *items2 = xcalloc(m ? m : 1, sizeof(*items2));
		if (decode_all(again, w, items2) != m)
			fuzz_fail("own encoding does not decode");
		for (size_t i = 0; i < m; i++) {
			char *a = describe(&v[i]), *b = describe(&w[i]);
			if (strcmp(a, b) != 0 || strcmp(items[i].name, items2[i].name) != 0)
				fuzz_fail("entry %zu differs after a round trip:\n%s\n---\n%s", i, a, b);
			free(a), free(b);
		}
		reccache_encode(items2, m, &second);
		if (first.len != second.len || memcmp(first.p, second.p, first.len) != 0)
			fuzz_fail("encoded twice differently");
		for (size_t i = 0; i < m; i++)
			record_free(&w[i]);
		free(w), free(items2);
		reccache_free(again);
		buf_free(&first), buf_free(&second);
	}
	for (size_t i = 0; i < m; i++)
		record_free(&v[i]);
	free(v), free(items);
	reccache_free(c);
	return 0;
}
