/* fuzz_hoststate.c - the host state parsers (proc/sysfs values, kernel
 * command line, cpuinfo, meminfo, dpkg status, pacman desc files, limits, the container
 * probe's output, SELinux labels).
 *
 * Checks: every string kept is one sanitized line within its limit;
 * versions are version characters only; at most 64 kernel parameters;
 * limits hold only numbers or "unlimited"; nothing reads past the input.
 */
#include <ctype.h>

#include "fuzz.h"
#include "hoststate.h"
#include "json.h"

static void check_version(const char *what, const char *v)
{
	if (!v)
		return;
	size_t n = strlen(v);
	if (n == 0 || n > 64 || !isdigit((unsigned char)v[0]))
		fuzz_fail("%s: '%s' is not a version token", what, v);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr(".+~:_-", v[i]))
			fuzz_fail("%s: '%s' holds '%c'", what, v, v[i]);
}

static void check_limits(json_object *l)
{
	if (!l)
		return;
	json_object_object_foreach(l, k, pair)
	{
		if (strcmp(k, "memlock") != 0 && strcmp(k, "nofile") != 0)
			fuzz_fail("limits: unexpected key '%s'", k);
		json_object_object_foreach(pair, side, v)
		{
			if (strcmp(side, "soft") != 0 && strcmp(side, "hard") != 0)
				fuzz_fail("limits: unexpected side '%s'", side);
			if (json_object_is_type(v, json_type_int) ? json_object_get_int64(v) < 0
								    : !str_eq(json_object_get_string(v),
									      "unlimited"))
				fuzz_fail("limits: bad value %s", json_object_to_json_string(v));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	char *s = hs_first_line(text, size, 128);
	fuzz_check_line("hs_first_line", s, 128);
	free(s);
	s = hs_version(text, size);
	check_version("hs_version", s);
	free(s);
	int64_t n;
	hs_integer(text, size, &n);
	json_object *kp = hs_kernel_params(text, size);
	if (json_object_object_length(kp) > 64)
		fuzz_fail("%d kernel parameters kept", json_object_object_length(kp));
	json_object_object_foreach(kp, k, v)
	{
		fuzz_check_line("kernel parameter name", k, 128);
		fuzz_check_line("kernel parameter value", json_object_get_string(v), 256);
	}
	json_object_put(kp);
	s = hs_cpu_model(text, size);
	fuzz_check_line("hs_cpu_model", s, 200);
	free(s);
	if (hs_mem_total(text, size, &n) == 0 && n <= 0)
		fuzz_fail("hs_mem_total gave %lld", (long long)n);
	s = hs_dpkg_version(text, size, "mesa-vulkan-drivers");
	check_version("hs_dpkg_version", s);
	free(s);
	s = hs_mesa_driver_version(text, size);
	check_version("hs_mesa_driver_version", s);
	free(s);
	s = hs_proc_version(text, size);
	check_version("hs_proc_version", s);
	free(s);
	s = hs_hip_version(text, size);
	check_version("hs_hip_version", s);
	free(s);
	s = hs_pacman_version(text, size, "linux-firmware");
	check_version("hs_pacman_version", s);
	free(s);
	json_object *l = hs_limits(text, size);
	check_limits(l);
	json_object_put(l);
	json_object *h = json_object_new_object();
	hs_parse_probe(text, size, h);
	check_version("probe rocm", json_str(h, "rocm"));
	check_version("probe mesa", json_str(h, "mesa"));
	check_limits(json_obj(h, "limits"));
	json_object *ge = json_obj(h, "gpu_env");
	if (ge && json_object_object_length(ge) > 64)
		fuzz_fail("%d env entries kept", json_object_object_length(ge));
	if (ge) {
		json_object_object_foreach(ge, name, val)
		{
			if (!gpu_env_name(name))
				fuzz_fail("env '%s' kept but not GPU-related", name);
			fuzz_check_line("env value", json_object_get_string(val), 512);
		}
	}
	json_object_put(h);
	char *c = fuzz_cstr(data, size);
	s = selinux_label_type(c);
	if (s && (!*s || strchr(s, ':')))
		fuzz_fail("selinux_label_type gave '%s'", s);
	free(s);
	free(c);
	free(text);
	return 0;
}
