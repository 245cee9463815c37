/* fuzz_curve_campaign.c - what an upstream campaign folder hands tbx
 * import (src/curve_import.c): campaign_manifest.json
 * (campaign_manifest_parse), run_metadata.txt (run_metadata_parse),
 * ubatch-calibrations.json (calibrations_parse, calibrations_find) and
 * curve file names (curve_name_parse).
 *
 * The whole input goes to each parser; up to its first NUL it is also a
 * file name.  Checks: a parsed manifest's depths and statuses are within
 * their caps, its commands' words within RECORD_MAX_TEXT; metadata values
 * are printable lines, a digest only when valid; a calibration found has
 * a micro-batch in range; a name accepted has a model, an environment and
 * a micro-batch in range, and no '/' in them; every message is one
 * printable line.
 */
#define _GNU_SOURCE
#include "curve_import.h"
#include "fuzz.h"
#include "imageref.h"
#include "json.h"
#include "record.h"

static void fuzz_manifest(const char *data, size_t size)
{
	struct campaign c;
	struct err e;
	err_clear(&e);
	if (campaign_manifest_parse(data, size, &c, &e) < 0) {
		fuzz_check_line("manifest message", e.msg, sizeof(e.msg));
		if (c.statuses || c.depths || c.n_statuses)
			fuzz_fail("a refused manifest holds something");
		return;
	}
	if (c.n_depths > RECORD_MAX_POINTS || c.n_statuses > CURVE_IMPORT_MAX_FILES)
		fuzz_fail("%zu depths, %zu statuses", c.n_depths, c.n_statuses);
	for (size_t i = 0; i < c.n_statuses; i++) {
		const struct campaign_status *s = &c.statuses[i];
		if (s->command.n > RECORD_MAX_LIST)
			fuzz_fail("a command of %zu words", s->command.n);
		for (size_t k = 0; k < s->command.n; k++)
			if (strlen(s->command.v[k]) > RECORD_MAX_TEXT)
				fuzz_fail("a command word of %zu bytes", strlen(s->command.v[k]));
		if (s->return_code < -1 || s->return_code > 255)
			fuzz_fail("return code %ld", s->return_code);
		if (campaign_status_find(&c, s->model, s->series) == NULL && s->model && s->series)
			fuzz_fail("a status not found by its own model and series");
	}
	campaign_free(&c);
}

static void fuzz_metadata(const char *data, size_t size)
{
	struct run_metadata m;
	run_metadata_parse(data, size, &m);
	const char *vals[] = { m.host, m.kernel, m.image, m.image_digest };
	for (size_t i = 0; i < 4; i++)
		if (vals[i])
			fuzz_check_line("metadata value", vals[i], 1025);
	if (m.image_digest && !digest_is_valid(m.image_digest))
		fuzz_fail("an invalid digest '%s' kept", m.image_digest);
	if (m.cooldown_s < -1 || m.cooldown_s > 86400)
		fuzz_fail("cooldown %ld", m.cooldown_s);
	run_metadata_free(&m);
}

static void fuzz_calibrations(const char *data, size_t size, const char *model)
{
	struct err e;
	err_clear(&e);
	json_object *root = calibrations_parse(data, size, &e);
	if (!root) {
		fuzz_check_line("calibrations message", e.msg, sizeof(e.msg));
		return;
	}
	const char *backends[] = { NULL, "rocm", "vulkan" };
	for (size_t i = 0; i < 3; i++) {
		json_object *c = calibrations_find(root, backends[i], model);
		if (c && (json_int(c, "ubatch", 0) < 1 || json_int(c, "ubatch", 0) > 1 << 24))
			fuzz_fail("a calibration with ubatch %lld", (long long)json_int(c, "ubatch", 0));
		json_object_put(c);
	}
	json_object_put(root);
}

static void fuzz_name(const char *name)
{
	struct curve_name n;
	if (!curve_name_parse(name, &n))
		return;
	if (!n.model || !*n.model || !n.env || !*n.env)
		fuzz_fail("a name accepted without model or environment");
	if (strchr(n.model, '/') || strchr(n.env, '/'))
		fuzz_fail("a '/' in a name's parts");
	if (n.ubatch < 1 || n.ubatch > 1 << 24)
		fuzz_fail("ubatch %ld", n.ubatch);
	curve_name_free(&n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	char *cstr = fuzz_cstr(data, size);
	fuzz_manifest(text, size);
	fuzz_metadata(text, size);
	fuzz_calibrations(text, size, "Qwen3.6-27B-UD-Q8_K_XL");
	fuzz_name(cstr);
	free(text), free(cstr);
	return 0;
}
