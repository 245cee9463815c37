/* fuzz_import_log.c - tbx import of one llama-bench log made outside tbx:
 * import_record() on any text, under a file name in upstream's pattern or
 * with --backend/--model given (the first input byte chooses).
 *
 * Checks: a record built reads back through record_from_json() as the
 * store will read it (same run id, backend and model, marked imported,
 * never an image digest); its run id is a lowercase uuid derived from the
 * content alone; a refusal says why and builds nothing.
 */
#include "fuzz.h"
#include "importer.h"
#include "json.h"
#include "store.h"

static void check_uuid(const char *id)
{
	if (!id || strlen(id) != 36)
		fuzz_fail("run id '%s' is not a uuid", id ? id : "(null)");
	for (size_t i = 0; i < 36; i++) {
		char c = id[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			fuzz_fail("run id '%s' is not a lowercase uuid", id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool named = data[0] & 1;
	const char *text_in = (const char *)data + 1;
	size_t len = size - 1;
	char *text = fuzz_copy(data + 1, len);
	struct import_opts o = { 0 };
	if (!named) {
		o.backend = "rocm-7.2";
		o.model = "fuzz-model";
		o.host = "fuzz-host";
	}
	o.date = 1779000000; /* 2026-05-17 */
	struct err e;
	err_clear(&e);
	const char *name = named ? "Qwen3-00001-of-00002__vulkan_radv__fa1.log" : "log.txt";
	json_object *rec = import_record(text, len, name, 1700000000, &o, &e);
	if (!rec) {
		if (!e.msg[0])
			fuzz_fail("import_record refused the log without a message");
		free(text);
		return 0;
	}
	const char *run_id = json_str(rec, "run_id");
	check_uuid(run_id);
	char again[37];
	import_run_id(text_in, len, again);
	if (strcmp(again, run_id) != 0)
		fuzz_fail("run id %s is not the content's (%s)", run_id, again);
	if (json_str(rec, "image_digest"))
		fuzz_fail("an imported log claims an image digest");
	if (!json_flag(rec, "imported", false))
		fuzz_fail("record not marked imported");
	const char *err_text = json_str(rec, "error");
	fuzz_check_line("error", err_text, 2 * 400 + 8);

	/* what the store writes is what it reads back */
	char *s = json_pretty(rec);
	struct err pe;
	err_clear(&pe);
	json_object *back = json_parse(s, strlen(s), "results/fuzz.json", &pe);
	if (!back)
		fuzz_fail("the record does not parse back: %s", pe.msg);
	struct record r;
	if (record_from_json(back, "results/fuzz.json", &r, &pe) < 0)
		fuzz_fail("the store would refuse the imported record: %s", pe.msg);
	if (strcmp(r.run_id, run_id) != 0 || !str_eq(r.backend, json_str(rec, "backend")) ||
	    !str_eq(r.model, json_str(rec, "model")))
		fuzz_fail("the record reads back different");
	if (!named && (strcmp(r.backend, "rocm-7.2") != 0 || strcmp(r.model, "fuzz-model") != 0))
		fuzz_fail("--backend/--model not kept: %s %s", r.backend, r.model);
	record_free(&r);
	json_object_put(back);
	free(s);
	json_object_put(rec);
	free(text);
	return 0;
}
