/* fuzz_bundle.c - the bundle reader of tbx import: bundle_check_mem() runs
 * every check bundle_import() makes (archive, entries, manifest, records)
 * on an archive in memory, writing nothing.
 *
 * Checks: a refusal says why; an accepted bundle's counts add up (no more
 * records kept or skipped than the archive can hold, never more than the
 * record limit), every invalid record has its warning, and the host and
 * date taken from MANIFEST.json are printable lines.
 */
#include "bundle.h"
#include "fuzz.h"

#define FUZZ_MAX_RECORDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_import_opts o = { .max_records = FUZZ_MAX_RECORDS };
	struct bundle_import_result r;
	struct strv warnings = STRV_INIT;
	struct err e;
	err_clear(&e);
	char *copy = fuzz_copy(data, size);
	int rc = bundle_check_mem(copy, size, &o, &r, &warnings, &e);
	free(copy);
	if (rc < 0) {
		if (rc != -1 || !e.msg[0])
			fuzz_fail("bundle_check_mem returned %d with message '%s'", rc, e.msg);
		fuzz_check_line("error", e.msg, sizeof(e.msg));
	} else {
		if (r.added + r.duplicates + r.invalid > FUZZ_MAX_RECORDS)
			fuzz_fail("%zu records taken, over the limit of %d",
				  r.added + r.duplicates + r.invalid, FUZZ_MAX_RECORDS);
		if (warnings.n < r.invalid)
			fuzz_fail("%zu invalid records but %zu warnings", r.invalid, warnings.n);
		fuzz_check_line("host", r.host, 200);
		fuzz_check_line("created_at", r.created_at, 64);
	}
	bundle_import_result_free(&r);
	strv_free(&warnings);
	return 0;
}
