/* test_regress.c - what changed between two runs of one configuration, and
 * to what a significant change is attributed: the image (digest, build,
 * effective settings, what is read inside the container) or the host
 * (kernel, its parameters, firmware, profiles).  Records are made in
 * memory; the samples make every change here far beyond the noise. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "regress.h"
#include "util.h"

#define HOST "{\"state_read\":true,\"kernel_release\":\"6.19.12\",\"kernel_params\":" \
	     "{\"amd_iommu\":\"off\"},\"platform_profile\":\"performance\",\"mesa\":\"25.2.7\"}"
#define SETTINGS "{\"n_threads\":16,\"flash_attn\":-1,\"load_mode\":\"auto\"}"

static void make(struct record *r, const char *digest, long build, const char *settings,
		 const char *host, double tg)
{
	double s[5];
	for (int i = 0; i < 5; i++)
		s[i] = tg + 0.01 * i;
	record_init(r);
	r->run_id = xstrdup("r");
	r->backend = xstrdup("rocm-7.2");
	r->model = xstrdup("qwen");
	r->image_digest = digest ? xstrdup(digest) : NULL;
	r->binary_sha256 = digest ? NULL : xstrdup("sha256:b1");
	r->kind = xstrdup(digest ? "container" : "native");
	r->build_number = build;
	r->kernel = xstrdup("6.19.12");
	r->settings = settings ? xstrdup(settings) : NULL;
	r->host_state = host ? xstrdup(host) : NULL;
	rec_test_set(&r->tg128, tg + 0.02, 0.016, s, 5);
	rec_test_set(&r->pp512, 1000, 1, (double[]){ 999, 1000, 1001 }, 3);
}

static char *flag_of(const struct record *a, const struct record *b, bool *reg)
{
	return regress_flag(a, b, "tg128", reg);
}

static void test_image_only(void **state)
{
	(void)state;
	struct record a, b;
	bool reg;
	make(&a, "sha256:aaaa", 9187, SETTINGS, HOST, 60);
	make(&b, "sha256:bbbb", 9187, SETTINGS, HOST, 50);
	char *f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after image sha256:aaaa -> sha256:bbbb; attributed to "
			       "the image");
	assert_true(reg);
	free(f);
	/* nothing known changed: not flagged, however large */
	free(b.image_digest);
	b.image_digest = xstrdup("sha256:aaaa");
	assert_null(flag_of(&a, &b, &reg));
	/* the pp512 "change" is noise: not flagged */
	free(b.image_digest);
	b.image_digest = xstrdup("sha256:bbbb");
	assert_null(regress_flag(&a, &b, "pp512", &reg));
	record_free(&a), record_free(&b);
}

static void test_settings_of_the_build(void **state)
{
	(void)state;
	struct record a, b;
	bool reg;
	make(&a, "sha256:aaaa", 9187, SETTINGS, HOST, 60);
	make(&b, "sha256:bbbb", 9193,
	     "{\"n_threads\":1,\"flash_attn\":-1,\"load_mode\":\"auto\",\"repack\":true}", HOST, 50);
	char *f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after image sha256:aaaa -> sha256:bbbb, build 9187 -> "
			       "9193, n_threads 16 \u2192 1, repack ? \u2192 true, defaults of the new "
			       "build; attributed to the image");
	free(f);
	char *s = regress_settings_change(&a, &b);
	assert_string_equal(s, "n_threads 16 \u2192 1, repack ? \u2192 true");
	free(s);
	/* the line after tbx bench: within the noise, the setting is named */
	{
		struct record c, d;
		make(&c, "sha256:aaaa", 9187, SETTINGS, HOST, 60);
		make(&d, "sha256:bbbb", 9193, "{\"n_threads\":1,\"flash_attn\":-1,\"load_mode\":\"auto\"}",
		     HOST, 60);
		c.started_at = 1778000000, d.started_at = 1778003600;
		struct records rs = { .v = (struct record[]){ c, d }, .n = 2 };
		char *line = regress_compare_last(&rs);
		assert_string_equal(line, "  vs previous (2026-05-05): pp512 +0.0%, tg128 +0.0%\n"
					  "  settings changed: n_threads 16 \u2192 1, a default of the new "
					  "build; attributed to the image\n");
		free(line);
		record_free(&c), record_free(&d);
	}
	/* a schema-1 record knows no settings: unknown is no change */
	free(a.settings);
	a.settings = NULL;
	assert_null(regress_settings_change(&a, &b));
	record_free(&a), record_free(&b);
}

static void test_host_only(void **state)
{
	(void)state;
	struct record a, b;
	bool reg;
	make(&a, "sha256:aaaa", 9187, SETTINGS,
	     "{\"state_read\":true,\"kernel_release\":\"6.19.12\",\"kernel_params\":{},"
	     "\"platform_profile\":\"performance\",\"mesa\":\"25.2.7\"}",
	     60);
	make(&b, "sha256:aaaa", 9187, SETTINGS, HOST, 50);
	char *f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after kernel_params.amd_iommu ? -> off; attributed to "
			       "the host");
	free(f);
	struct regress_changes c;
	regress_changes(&a, &b, &c);
	assert_int_equal(c.image.n, 0);
	assert_int_equal(c.host.n, 1);
	assert_string_equal(regress_attribution(&c), "the host");
	regress_changes_free(&c);
	/* the kernel and the power profile too; both sides at once */
	free(b.kernel);
	b.kernel = xstrdup("6.20.1");
	free(b.image_digest);
	b.image_digest = xstrdup("sha256:bbbb");
	free(b.host_state);
	b.host_state = xstrdup("{\"state_read\":true,\"kernel_release\":\"6.20.1\",\"kernel_params\":"
			       "{},\"platform_profile\":\"balanced\",\"mesa\":\"25.2.7\"}");
	f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after image sha256:aaaa -> sha256:bbbb, kernel 6.19.12 "
			       "-> 6.20.1, platform_profile performance -> balanced; attributed "
			       "to the image and the host");
	free(f);
	/* a remote engine's host was not read: no host item counts */
	free(b.host_state);
	b.host_state = xstrdup("{\"state_read\":false,\"kernel_params\":null}");
	free(b.kernel);
	b.kernel = xstrdup("6.19.12");
	f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after image sha256:aaaa -> sha256:bbbb; attributed to "
			       "the image");
	free(f);
	/* an item unknown in one run (unreadable then, or an imported log that
	 * does not say) is no change; a known one that differs still is */
	free(b.host_state);
	b.host_state = xstrdup("{\"state_read\":true,\"kernel_release\":\"6.19.12\",\"kernel_params\":"
			       "{},\"platform_profile\":null,\"firmware\":{\"linux-firmware\":\"1\"}}");
	f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after image sha256:aaaa -> sha256:bbbb; attributed to "
			       "the image");
	free(f);
	free(b.image_digest);
	b.image_digest = xstrdup("sha256:aaaa");
	free(b.host_state);
	b.host_state = xstrdup("{\"state_read\":true,\"kernel_release\":\"6.19.12\",\"kernel_params\":"
			       "{\"amd_iommu\":\"on\"},\"platform_profile\":null}");
	f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after kernel_params.amd_iommu ? -> on; attributed to the "
			       "host");
	free(f);
	record_free(&a), record_free(&b);
}

/* Mesa is read where llama-bench runs: inside the image for a container,
 * on the host for a native backend */
static void test_mesa_side(void **state)
{
	(void)state;
	struct record a, b;
	bool reg;
	const char *newer = "{\"state_read\":true,\"kernel_release\":\"6.19.12\",\"kernel_params\":"
			    "{\"amd_iommu\":\"off\"},\"platform_profile\":\"performance\","
			    "\"mesa\":\"25.3.0\"}";
	make(&a, "sha256:aaaa", 9187, SETTINGS, HOST, 60);
	make(&b, "sha256:aaaa", 9187, SETTINGS, newer, 50);
	char *f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after mesa 25.2.7 -> 25.3.0; attributed to the image");
	free(f);
	record_free(&a), record_free(&b);
	make(&a, NULL, 9187, SETTINGS, HOST, 60);
	make(&b, NULL, 9187, SETTINGS, newer, 50);
	f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after mesa 25.2.7 -> 25.3.0; attributed to the host");
	free(f);
	free(b.binary_sha256);
	b.binary_sha256 = xstrdup("sha256:b2");
	free(b.host_state);
	b.host_state = xstrdup(HOST);
	f = flag_of(&a, &b, &reg);
	assert_string_equal(f, "tg128 -16.7% after binary sha256:b1 -> sha256:b2; attributed to "
			       "the binary");
	free(f);
	record_free(&a), record_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_only),
		cmocka_unit_test(test_settings_of_the_build),
		cmocka_unit_test(test_host_only),
		cmocka_unit_test(test_mesa_side),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
