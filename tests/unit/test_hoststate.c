/* test_hoststate.c - the host state reader against the fixture trees in
 * tests/fixtures/host (present), and against trees made here: missing,
 * unreadable (FIFO, symbolic link, directory, huge, binary) and garbage.
 * Runs from the repository root. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hoststate.h"
#include "json.h"
#include "util.h"

#define FIXTURES "tests/fixtures/host"

static const char *str_at(json_object *o, const char *key)
{
	return json_str(o, key);
}

static bool is_null(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && v == NULL;
}

static void test_strix_halo_fixture(void **state)
{
	(void)state;
	json_object *h = hoststate_read_host(FIXTURES "/strix-halo");
	assert_true(json_flag(h, "state_read", false));
	assert_string_equal(str_at(h, "kernel_release"), "6.17.7-300.fc43.x86_64");
	json_object *kp = json_obj(h, "kernel_params");
	assert_non_null(kp);
	assert_int_equal(json_object_object_length(kp), 3);
	assert_string_equal(json_str(kp, "amdgpu.gttsize"), "126976");
	assert_string_equal(json_str(kp, "ttm.pages_limit"), "32505856");
	assert_null(json_get(kp, "amd_iommu"));
	assert_null(json_get(kp, "rhgb"));
	assert_int_equal(json_int(h, "ttm_pages_limit", 0), 32505856);
	assert_int_equal(json_int(h, "ttm_page_pool_size", 0), 32505856);
	assert_int_equal(json_int(h, "amdgpu_gttsize", 0), 126976);
	assert_string_equal(str_at(h, "platform_profile"), "performance");
	assert_string_equal(str_at(h, "tuned_profile"), "accelerator-performance");
	assert_string_equal(str_at(h, "cpu_model"), "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S");
	assert_int_equal(json_int(h, "mem_total_bytes", 0), (int64_t)130023424 * 1024);
	/* Fedora keeps versions in the rpm database, which a fixture lacks */
	assert_true(is_null(h, "firmware"));
	json_object_put(h);

	h = hoststate_read_host(FIXTURES "/strix-halo-iommu-off");
	assert_string_equal(json_str(json_obj(h, "kernel_params"), "amd_iommu"), "off");
	json_object_put(h);

	assert_int_equal(hoststate_selinux_mode(FIXTURES "/strix-halo"), SELINUX_ENFORCING);
	assert_int_equal(hoststate_selinux_mode(FIXTURES "/strix-halo-permissive"),
			 SELINUX_PERMISSIVE);
	assert_int_equal(hoststate_selinux_mode(FIXTURES "/debian"), SELINUX_ABSENT);
	/* booleans: "CURRENT PENDING", absent = -1 */
	assert_int_equal(hoststate_selinux_bool(FIXTURES "/strix-halo", "container_use_dri_devices"),
			 1);
	assert_int_equal(hoststate_selinux_bool(FIXTURES "/strix-halo", "container_use_devices"), 0);
	assert_int_equal(hoststate_selinux_bool(FIXTURES "/strix-halo-permissive",
						"container_use_devices"),
			 -1);
}

static void test_native_probe_fixture(void **state)
{
	(void)state;
	json_object *h = json_object_new_object();
	char *env[] = { "HIP_VISIBLE_DEVICES=0", "LANG=C", NULL };
	setenv("HSA_OVERRIDE_GFX_VERSION", "11.0.0", 1);
	hoststate_probe_native(FIXTURES "/strix-halo", env, h);
	unsetenv("HSA_OVERRIDE_GFX_VERSION");
	assert_true(is_null(h, "rocm"));
	assert_true(is_null(h, "mesa"));
	json_object *lim = json_obj(h, "limits");
	assert_int_equal(json_int(json_obj(lim, "memlock"), "soft", 0), 8388608);
	assert_int_equal(json_int(json_obj(lim, "nofile"), "hard", 0), 524288);
	json_object *ge = json_obj(h, "gpu_env");
	assert_string_equal(json_str(ge, "HSA_OVERRIDE_GFX_VERSION"), "11.0.0");
	assert_string_equal(json_str(ge, "HIP_VISIBLE_DEVICES"), "0");
	assert_null(json_get(ge, "LANG"));
	json_object_put(h);

	h = json_object_new_object();
	hoststate_probe_native(FIXTURES "/debian", NULL, h);
	assert_string_equal(str_at(h, "mesa"), "25.0.7-2");
	assert_true(is_null(h, "limits"));
	json_object_put(h);
}

static void test_debian_fixture(void **state)
{
	(void)state;
	json_object *h = hoststate_read_host(FIXTURES "/debian");
	assert_string_equal(str_at(h, "kernel_release"), "6.12.57+deb13-amd64");
	json_object *kp = json_obj(h, "kernel_params");
	assert_int_equal(json_object_object_length(kp), 1);
	assert_string_equal(json_str(kp, "iommu"), "pt");
	json_object *fw = json_obj(h, "firmware");
	assert_non_null(fw);
	assert_string_equal(json_str(fw, "firmware-amd-graphics"), "20250410-2");
	/* only config files left: not installed */
	assert_null(json_get(fw, "linux-firmware"));
	const char *absent[] = { "ttm_pages_limit", "ttm_page_pool_size", "amdgpu_gttsize",
				 "platform_profile", "tuned_profile", "cpu_model",
				 "mem_total_bytes", NULL };
	for (size_t i = 0; absent[i]; i++) {
		if (!is_null(h, absent[i]))
			fail_msg("%s should be null", absent[i]);
	}
	json_object_put(h);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void put(const char *root, const char *rel, const void *data, size_t len)
{
	char *p = path_join(root, rel);
	char *dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	struct err e = { 0 };
	assert_int_equal(mkdir_p(dir, 0755, &e), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fwrite(data, 1, len, f);
	fclose(f);
	free(dir);
	free(p);
}

static void test_missing(void **state)
{
	(void)state;
	json_object *h = hoststate_read_host("/nonexistent/tbx-host-root");
	assert_true(json_flag(h, "state_read", false));
	json_object_object_foreach(h, k, v)
	{
		if (strcmp(k, "state_read") != 0 && v != NULL)
			fail_msg("%s should be null", k);
	}
	assert_int_equal(json_object_object_length(h), 11);
	json_object_put(h);
	h = hoststate_unread();
	assert_false(json_flag(h, "state_read", true));
	assert_int_equal(json_object_object_length(h), 11);
	json_object_put(h);
}

static void test_unreadable_and_garbage(void **state)
{
	(void)state;
	char root[] = "/tmp/tbx-hoststate.XXXXXX";
	assert_non_null(mkdtemp(root));
	char *p;
	/* a FIFO where the kernel release should be: skipped, no hang */
	put(root, "proc/sys/kernel/.keep", "", 0);
	p = path_join(root, "proc/sys/kernel/osrelease");
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	/* a symbolic link: not followed */
	put(root, "elsewhere", "performance\n", 12);
	put(root, "sys/firmware/acpi/.keep", "", 0);
	p = path_join(root, "sys/firmware/acpi/platform_profile");
	assert_int_equal(symlink("../../../elsewhere", p), 0);
	free(p);
	/* a directory */
	put(root, "etc/tuned/active_profile/x", "", 0);
	/* huge */
	size_t big = HOST_MAX_VALUE * 4;
	char *huge = xmalloc(big);
	memset(huge, '7', big);
	put(root, "sys/module/ttm/parameters/pages_limit", huge, big);
	free(huge);
	/* binary */
	put(root, "sys/module/ttm/parameters/page_pool_size", "12\0\0\xff", 5);
	/* garbage */
	put(root, "sys/module/amdgpu/parameters/gttsize", "lots\n", 5);
	put(root, "proc/meminfo", "MemTotal: many kB\n", 18);
	put(root, "proc/cpuinfo", "processor: 0\nvendor_id: x\n", 26);
	put(root, "proc/cmdline", "\x01\x02 amd_iommu=\"o\x1b" "ff\" ttm.=1 =2 amdgpu.x\n", 39);
	put(root, "sys/fs/selinux/enforce", "maybe\n", 6);
	put(root, "sys/fs/selinux/booleans/container_use_devices", "2 1", 3);
	put(root, "sys/fs/selinux/booleans/container_use_dri_devices", "on", 2);

	g_verbosity = -1;
	json_object *h = hoststate_read_host(root);
	g_verbosity = 0;
	const char *nulls[] = { "kernel_release", "platform_profile", "tuned_profile",
				"ttm_pages_limit", "ttm_page_pool_size", "amdgpu_gttsize",
				"mem_total_bytes", "cpu_model", "firmware", NULL };
	for (size_t i = 0; nulls[i]; i++)
		if (!is_null(h, nulls[i]))
			fail_msg("%s should be null, is %s", nulls[i],
				 json_object_to_json_string(json_get(h, nulls[i])));
	json_object *kp = json_obj(h, "kernel_params");
	assert_int_equal(json_object_object_length(kp), 2);
	assert_string_equal(json_str(kp, "amd_iommu"), "o?ff");
	assert_string_equal(json_str(kp, "amdgpu.x"), "");
	json_object_put(h);
	assert_int_equal(hoststate_selinux_mode(root), SELINUX_UNKNOWN);
	assert_int_equal(hoststate_selinux_bool(root, "container_use_devices"), -1);
	assert_int_equal(hoststate_selinux_bool(root, "container_use_dri_devices"), -1);

	/* a FIFO read directly returns at once */
	char *out = NULL;
	assert_int_equal(host_read(root, "/proc/sys/kernel/osrelease", 100, false, &out, NULL), 1);
	assert_null(out);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_parsers(void **state)
{
	(void)state;
	char *v = hs_version("  7.2.0-43 \nmore", 16);
	assert_string_equal(v, "7.2.0-43");
	free(v);
	assert_null(hs_version("rocm 7", 6));
	assert_null(hs_version("7.2 0", 5));
	assert_null(hs_version("", 0));
	int64_t n = 0;
	assert_int_equal(hs_integer(" -1\n", 4, &n), 0);
	assert_int_equal(n, -1);
	assert_int_equal(hs_integer("12x", 3, &n), -1);
	assert_int_equal(hs_integer("99999999999999999999999", 23, &n), -1);

	const char *lim = "Limit  Soft Limit  Hard Limit  Units\n"
			  "Max open files            20000                20000                files\n"
			  "Max locked memory         unlimited            unlimited            bytes\n";
	json_object *l = hs_limits(lim, strlen(lim));
	assert_string_equal(json_str(json_obj(l, "memlock"), "soft"), "unlimited");
	assert_int_equal(json_int(json_obj(l, "nofile"), "soft", 0), 20000);
	json_object_put(l);
	assert_null(hs_limits("Max open files  x y files\n", 26));

	static const char probe[] = "@@rocm\n7.2.0\n\n@@limits\n"
			    "Max locked memory 65536 65536 bytes\n\n"
			    "@@mesa-dpkg\nii  25.2.6-1\n\n@@mesa-rpm\n\n@@env\n"
			    "PATH=/usr/bin\0VK_ICD_FILENAMES=/x.json\0GGML_VK_VISIBLE_DEVICES=0\0";
	size_t plen = sizeof(probe) - 1;
	json_object *h = json_object_new_object();
	hs_parse_probe(probe, plen, h);
	assert_string_equal(json_str(h, "rocm"), "7.2.0");
	assert_string_equal(json_str(h, "mesa"), "25.2.6-1");
	assert_int_equal(json_int(json_obj(json_obj(h, "limits"), "memlock"), "hard", 0), 65536);
	json_object *ge = json_obj(h, "gpu_env");
	assert_int_equal(json_object_object_length(ge), 2);
	assert_string_equal(json_str(ge, "VK_ICD_FILENAMES"), "/x.json");
	json_object_put(h);

	/* an empty probe: everything null, nothing guessed */
	h = json_object_new_object();
	hs_parse_probe("", 0, h);
	assert_true(is_null(h, "rocm") && is_null(h, "mesa") && is_null(h, "limits") &&
		    is_null(h, "gpu_env"));
	json_object_put(h);
	/* no package database in the image: the driver file's "Mesa X.Y.Z" */
	h = json_object_new_object();
	static const char mf[] = "@@mesa-dpkg\n\n@@mesa-rpm\n\n@@mesa-file\nMesa 26.1.6\n\n@@env\n";
	hs_parse_probe(mf, sizeof(mf) - 1, h);
	assert_string_equal(json_str(h, "mesa"), "26.1.6");
	json_object_put(h);
	assert_null(hs_mesa_driver_version("Mesa \n", 6));
	assert_null(hs_mesa_driver_version("Mesa x1\n", 8));
	/* the package first */
	h = json_object_new_object();
	static const char mp[] = "@@mesa-dpkg\nii  26.1.6-1\n\n@@mesa-file\nMesa 26.1.6\n";
	hs_parse_probe(mp, sizeof(mp) - 1, h);
	assert_string_equal(json_str(h, "mesa"), "26.1.6-1");
	json_object_put(h);
	/* /proc/version when osrelease is missing */
	char *kv = hs_proc_version("Linux version 6.17.7-300.fc43.x86_64 (mockbuild@x) #1 SMP\n", 58);
	assert_string_equal(kv, "6.17.7-300.fc43.x86_64");
	free(kv);
	assert_null(hs_proc_version("Linux version \n", 15));
	assert_null(hs_proc_version("BSD version 6.1 x", 17));
	char vroot[] = "/tmp/tbx-hoststate.XXXXXX";
	assert_non_null(mkdtemp(vroot));
	put(vroot, "proc/version", "Linux version 6.18.4-200.fc43.x86_64 (gcc) #1\n", 46);
	json_object *vh = hoststate_read_host(vroot);
	assert_string_equal(json_str(vh, "kernel_release"), "6.18.4-200.fc43.x86_64");
	json_object_put(vh);
	assert_int_equal(nftw(vroot, rm_cb, 8, FTW_DEPTH | FTW_PHYS), 0);
	/* no .info/version (TheRock, some ROCm builds): the HIP runtime's name */
	h = json_object_new_object();
	static const char hip[] = "@@rocm\n\n@@hip\nlibamdhip64.so.7\nlibamdhip64.so.7.2.26015\n"
				  "libamdhip64.so.7.2\n\n@@limits\n";
	hs_parse_probe(hip, sizeof(hip) - 1, h);
	assert_string_equal(json_str(h, "rocm"), "7.2.26015");
	json_object_put(h);
	char *hv = hs_hip_version("libamdhip64.so.x\nlibamdhip64.so.\nlibfoo.so.7\n", 45);
	assert_null(hv);
	/* .info/version first */
	h = json_object_new_object();
	static const char both[] = "@@rocm\n6.4.4\n\n@@hip\nlibamdhip64.so.7.2.0\n";
	hs_parse_probe(both, sizeof(both) - 1, h);
	assert_string_equal(json_str(h, "rocm"), "6.4.4");
	json_object_put(h);
	/* a native backend: the same from the files below the root */
	char root[] = "/tmp/tbx-hoststate.XXXXXX";
	assert_non_null(mkdtemp(root));
	put(root, "opt/rocm/lib/libamdhip64.so.6.4.43484", "", 0);
	put(root, "opt/rocm/lib/libamdhip64.so.6", "", 0);
	h = json_object_new_object();
	hoststate_probe_native(root, NULL, h);
	assert_string_equal(json_str(h, "rocm"), "6.4.43484");
	json_object_put(h);
	put(root, "opt/rocm/.info/version", "6.4.4-120\n", 10);
	h = json_object_new_object();
	hoststate_probe_native(root, NULL, h);
	assert_string_equal(json_str(h, "rocm"), "6.4.4-120");
	json_object_put(h);
	assert_int_equal(nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS), 0);
	/* an rpm answer that is not a version */
	h = json_object_new_object();
	const char *rpm = "@@mesa-dpkg\n\n@@mesa-rpm\npackage mesa-vulkan-drivers is not installed\n";
	hs_parse_probe(rpm, strlen(rpm), h);
	assert_true(is_null(h, "mesa"));
	json_object_put(h);

	assert_true(gpu_env_name("HSA_OVERRIDE_GFX_VERSION"));
	assert_true(gpu_env_name("ROCR_VISIBLE_DEVICES"));
	assert_true(gpu_env_name("GGML_VK_VISIBLE_DEVICES"));
	assert_true(gpu_env_name("VK_ICD_FILENAMES"));
	assert_false(gpu_env_name("HSA_"));
	assert_false(gpu_env_name("PATH"));
	assert_false(gpu_env_name("HOME"));

	char *t = selinux_label_type("unconfined_u:object_r:user_home_t:s0");
	assert_string_equal(t, "user_home_t");
	assert_false(selinux_type_container_readable(t));
	free(t);
	t = selinux_label_type("system_u:object_r:container_file_t:s0:c1,c2");
	assert_string_equal(t, "container_file_t");
	assert_true(selinux_type_container_readable(t));
	free(t);
	assert_null(selinux_label_type("garbage"));
	assert_null(selinux_label_type("a:b::s0"));
}

static void test_selinux_label_override(void **state)
{
	(void)state;
	char dir[] = "/tmp/tbx-label.XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *l = "unconfined_u:object_r:user_home_t:s0";
	if (setxattr(dir, "user.tbx.selinux", l, strlen(l), 0) < 0) {
		rmdir(dir);
		skip();
	}
	setenv("TBX_HOST_ROOT", FIXTURES "/strix-halo", 1);
	char *got = hoststate_selinux_label(dir);
	assert_string_equal(got, l);
	free(got);
	/* on the real root the test attribute is never read */
	unsetenv("TBX_HOST_ROOT");
	got = hoststate_selinux_label(dir);
	if (got) /* a real SELinux label, if this machine has one */
		assert_string_not_equal(got, l);
	free(got);
	rmdir(dir);
}

/* Firmware from pacman's database, else from the files' own dates. */
static void test_firmware_sources(void **state)
{
	(void)state;
	char root[] = "/tmp/tbx-hoststate.XXXXXX";
	assert_non_null(mkdtemp(root));
	static const char desc[] = "%NAME%\nlinux-firmware-amdgpu\n\n%VERSION%\n"
				   "20260309.a1b2c3d4-1\n\n%BASE%\nlinux-firmware\n";
	put(root, "var/lib/pacman/local/linux-firmware-amdgpu-20260309.a1b2c3d4-1/desc", desc,
	    sizeof(desc) - 1);
	/* a directory whose name starts alike but holds another package */
	static const char other[] = "%NAME%\nlinux-firmware-whence\n\n%VERSION%\n1-1\n";
	put(root, "var/lib/pacman/local/linux-firmware-whence-1-1/desc", other, sizeof(other) - 1);
	put(root, "usr/lib/firmware/amdgpu/gc_11_5_1_me.bin.xz", "x", 1);
	json_object *h = hoststate_read_host(root);
	json_object *fw = json_obj(h, "firmware");
	assert_non_null(fw);
	assert_int_equal(json_object_object_length(fw), 1);
	assert_string_equal(json_str(fw, "linux-firmware-amdgpu"), "20260309.a1b2c3d4-1");
	json_object_put(h);

	/* no package database: the newest GPU firmware file's date; a FIFO
	 * and a link there are not looked into */
	char *p = path_join(root, "var/lib/pacman");
	assert_int_equal(nftw(p, rm_cb, 8, FTW_DEPTH | FTW_PHYS), 0);
	free(p);
	put(root, "usr/lib/firmware/amdgpu/gc_11_5_1_pfp.bin.xz", "y", 1);
	struct timeval tv[2] = { { 1773014400, 0 }, { 1773014400, 0 } }; /* 2026-03-09 */
	p = path_join(root, "usr/lib/firmware/amdgpu/gc_11_5_1_pfp.bin.xz");
	assert_int_equal(utimes(p, tv), 0);
	free(p);
	tv[0].tv_sec = tv[1].tv_sec = 1700000000;
	p = path_join(root, "usr/lib/firmware/amdgpu/gc_11_5_1_me.bin.xz");
	assert_int_equal(utimes(p, tv), 0);
	free(p);
	p = path_join(root, "usr/lib/firmware/amdgpu/fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	p = path_join(root, "usr/lib/firmware/amdgpu/link");
	assert_int_equal(symlink("/etc/passwd", p), 0);
	free(p);
	h = hoststate_read_host(root);
	fw = json_obj(h, "firmware");
	assert_non_null(fw);
	assert_string_equal(json_str(fw, "amdgpu-files-newest"), "2026-03-09T00:00:00Z");
	json_object_put(h);

	/* a desc file that is garbage names no version */
	assert_null(hs_pacman_version("%NAME%\nlinux-firmware\n%VERSION%\n", 32, "linux-firmware"));
	assert_null(hs_pacman_version("%NAME%\nx\n\n%VERSION%\n1-1\n", 24, "linux-firmware"));
	assert_null(hs_pacman_version("%VERSION%\n$(rm)\n%NAME%\nlinux-firmware\n", 38, "linux-firmware"));
	assert_int_equal(nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strix_halo_fixture),
		cmocka_unit_test(test_native_probe_fixture),
		cmocka_unit_test(test_debian_fixture),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unreadable_and_garbage),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_firmware_sources),
		cmocka_unit_test(test_selinux_label_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
