/* fuzz_lb_devices.c - llama-bench stderr: lb_parse_devices and
 * lb_error_summary.
 *
 * Checks: device lines are sanitised, unique, at most 64, and appended
 * after what the vector already held; the summary is one sanitised line.
 */
#include "fuzz.h"
#include "llama_bench.h"

#define LB_MAX_FIELD 1024  /* as in llama_bench.c */
#define LB_MAX_SUMMARY 400
#define LB_MAX_DEVICES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct strv devices = STRV_INIT;
	strv_push(&devices, "already there");
	lb_parse_devices(text, size, &devices);
	if (devices.n < 1 || strcmp(devices.v[0], "already there") != 0)
		fuzz_fail("lb_parse_devices changed what the vector held");
	if (devices.n > LB_MAX_DEVICES)
		fuzz_fail("lb_parse_devices kept %zu lines", devices.n);
	if (devices.v[devices.n] != NULL)
		fuzz_fail("device vector not NULL-terminated");
	for (size_t i = 1; i < devices.n; i++) {
		fuzz_check_line("device", devices.v[i], LB_MAX_FIELD);
		for (size_t j = 1; j < i; j++)
			if (strcmp(devices.v[i], devices.v[j]) == 0)
				fuzz_fail("device line '%s' kept twice", devices.v[i]);
	}
	strv_free(&devices);

	char *summary = lb_error_summary(text, size);
	fuzz_check_line("lb_error_summary", summary, 2 * LB_MAX_SUMMARY);
	free(summary);
	free(text);
	return 0;
}
