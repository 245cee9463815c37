/* hoststate.c - reading the host's state below a configurable root. */
#define _GNU_SOURCE
#include "hoststate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "json.h"
#include "runcmd.h"

extern char **environ;

#define HOST_MAX_CPUINFO (256 * 1024)         /* the first CPUs are enough */
#define HOST_MAX_MEMINFO (64 * 1024)
#define HOST_MAX_LIMITS (16 * 1024)
#define HOST_MAX_DPKG ((size_t)64 << 20)      /* a big dpkg status is ~10 MB */
#define HOST_MAX_PROBE ((size_t)256 << 10)
#define HOST_MAX_PARAMS 64
#define HOST_MAX_PARAM_VALUE 256
#define HOST_MAX_ENV 64
#define HOST_MAX_ENV_VALUE 512
#define HOST_RPM_TIMEOUT_S 10.0 /* rpm -q answers in well under a second */

/* GPU firmware packages, by the names distributions give them. */
static const char *const firmware_packages[] = {
	"linux-firmware",        /* Fedora, Ubuntu, Arch */
	"amd-gpu-firmware",      /* Fedora 38 and later split it out */
	"firmware-amd-graphics", /* Debian */
	"linux-firmware-amdgpu", /* Arch splits it out (2025) */
	NULL,
};
/* Where the GPU's firmware files are, when no package database knows them. */
#define FIRMWARE_DIR "/usr/lib/firmware/amdgpu"
#define FIRMWARE_FILES_KEY "amdgpu-files-newest"
#define HOST_MAX_PACMAN_DESC (64 * 1024)
/* At most this many entries of a directory are looked at (firmware files,
 * pacman's database, the ROCm library directories). */
#define HOST_MAX_DIR_ENTRIES 20000
#define MESA_PACKAGE "mesa-vulkan-drivers" /* Fedora and Debian alike */

const char *host_root(void)
{
	const char *r = getenv("TBX_HOST_ROOT");
	return r && *r ? r : "/";
}

bool host_root_is_fixture(void)
{
	return strcmp(host_root(), "/") != 0;
}

static char *root_path(const char *root, const char *rel)
{
	while (*rel == '/')
		rel++;
	return path_join(root, rel);
}

int host_read(const char *root, const char *rel, size_t max, bool prefix, char **out,
	      size_t *len)
{
	*out = NULL;
	if (len)
		*len = 0;
	char *path = root_path(root, rel);
	const char *why = NULL;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		verbose("host state: %s skipped: %s", path,
			errno == ENOENT || errno == ENOTDIR ? "absent"
			: errno == ELOOP		    ? "a symbolic link"
							    : strerror(errno));
		free(path);
		return 1;
	}
	struct stat st;
	memset(&st, 0, sizeof(st));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		why = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory"
							   : "not a regular file";
		goto skip;
	}
	if (!prefix && st.st_size > 0 && (size_t)st.st_size > max && st.st_size != 4096) {
		/* sysfs says 4096 for every attribute: read and see */
		why = "too large";
		goto skip;
	}
	struct buf b = BUF_INIT;
	buf_init(&b);
	char chunk[8192];
	for (;;) {
		size_t want = max + 1 - b.len;
		ssize_t n = read(fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_free(&b);
			why = strerror(errno);
			goto skip;
		}
		if (n == 0)
			break;
		buf_add(&b, chunk, (size_t)n);
		if (b.len > max) {
			if (prefix) {
				b.len = max;
				b.p[max] = '\0';
				break;
			}
			buf_free(&b);
			why = "too large";
			goto skip;
		}
	}
	close(fd);
	if (memchr(b.p, '\0', b.len)) {
		verbose("host state: %s skipped: binary (holds NUL bytes)", path);
		buf_free(&b);
		free(path);
		return 1;
	}
	free(path);
	if (len)
		*len = b.len;
	*out = buf_detach(&b);
	return 0;
skip:
	verbose("host state: %s skipped: %s", path, why);
	close(fd);
	free(path);
	return 1;
}

/* ---- parsers ---- */

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The line at p: [p, *eol) without the newline; returns the next line. */
static const char *line_at(const char *p, const char *end, const char **eol)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*eol = nl ? nl : end;
	return nl ? nl + 1 : end;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

char *hs_first_line(const char *text, size_t len, size_t max)
{
	if (!text)
		return NULL;
	const char *s = text, *e;
	line_at(text, text + len, &e);
	trim(&s, &e);
	if (s == e)
		return NULL;
	return sanitize_line(s, (size_t)(e - s), max);
}

static bool version_char(char c)
{
	return isalnum((unsigned char)c) || strchr(".+~:_-", c);
}

static char *version_of(const char *s, const char *e)
{
	trim(&s, &e);
	size_t n = (size_t)(e - s);
	if (n == 0 || n > 64 || !isdigit((unsigned char)*s))
		return NULL;
	for (const char *p = s; p < e; p++)
		if (!version_char(*p))
			return NULL;
	return xstrndup(s, n);
}

char *hs_version(const char *text, size_t len)
{
	if (!text)
		return NULL;
	const char *e;
	line_at(text, text + len, &e);
	return version_of(text, e);
}

int hs_integer(const char *text, size_t len, int64_t *out)
{
	if (!text)
		return -1;
	const char *s = text, *e = text + len;
	trim(&s, &e);
	if (s == e || e - s > 20)
		return -1;
	char tmp[24];
	memcpy(tmp, s, (size_t)(e - s));
	tmp[e - s] = '\0';
	long v;
	if (parse_long(tmp, -1, INT64_MAX, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

static bool relevant_param(const char *name, size_t n)
{
	static const char *const exact[] = { "amd_iommu", "iommu", NULL };
	static const char *const prefixes[] = { "amdgpu.", "amdttm.", "ttm.", NULL };
	for (size_t i = 0; exact[i]; i++)
		if (strlen(exact[i]) == n && memcmp(name, exact[i], n) == 0)
			return true;
	for (size_t i = 0; prefixes[i]; i++) {
		size_t k = strlen(prefixes[i]);
		if (n > k && memcmp(name, prefixes[i], k) == 0)
			return true;
	}
	return false;
}

static bool param_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

json_object *hs_kernel_params(const char *text, size_t len)
{
	json_object *o = json_object_new_object();
	const char *p = text, *end = text + len;
	size_t kept = 0;
	while (p < end && kept < HOST_MAX_PARAMS) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		/* a word, where double quotes protect blanks (name="a b") */
		const char *w = p;
		bool quoted = false;
		while (p < end && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		const char *we = p;
		const char *eq = memchr(w, '=', (size_t)(we - w));
		const char *ne = eq ? eq : we;
		if (!param_name_ok(w, (size_t)(ne - w)) || !relevant_param(w, (size_t)(ne - w)))
			continue;
		const char *vs = eq ? eq + 1 : we, *ve = we;
		if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"')
			vs++, ve--;
		char *name = xstrndup(w, (size_t)(ne - w));
		char *val = sanitize_line(vs, (size_t)(ve - vs), HOST_MAX_PARAM_VALUE);
		/* the kernel takes the last of repeated parameters */
		json_object_object_add(o, name, json_object_new_string(val));
		free(name);
		free(val);
		kept++;
	}
	return o;
}

/* The value of "KEY<blank>*:<value>" lines (cpuinfo, meminfo style). */
static bool key_value(const char *s, const char *e, const char *key, const char **vs,
		      const char **ve)
{
	size_t k = strlen(key);
	if ((size_t)(e - s) <= k || memcmp(s, key, k) != 0)
		return false;
	const char *p = skip_blank(s + k, e);
	if (p >= e || *p != ':')
		return false;
	*vs = p + 1;
	*ve = e;
	trim(vs, ve);
	return true;
}

char *hs_cpu_model(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *eol, *vs, *ve;
	while (p < end) {
		const char *next = line_at(p, end, &eol);
		if (key_value(p, eol, "model name", &vs, &ve))
			return vs < ve ? sanitize_line(vs, (size_t)(ve - vs), 200) : NULL;
		p = next;
	}
	return NULL;
}

int hs_mem_total(const char *text, size_t len, int64_t *bytes)
{
	const char *p = text, *end = text + len, *eol, *vs, *ve;
	while (p < end) {
		const char *next = line_at(p, end, &eol);
		if (key_value(p, eol, "MemTotal", &vs, &ve)) {
			int64_t kib;
			if (ve - vs > 3 && memcmp(ve - 2, "kB", 2) == 0 &&
			    hs_integer(vs, (size_t)(ve - 2 - vs), &kib) == 0 && kib > 0 &&
			    kib <= INT64_MAX / 1024) {
				*bytes = kib * 1024;
				return 0;
			}
			return -1;
		}
		p = next;
	}
	return -1;
}

char *hs_dpkg_version(const char *text, size_t len, const char *package)
{
	const char *p = text, *end = text + len, *eol, *vs, *ve;
	bool in_pkg = false, installed = false;
	char *version = NULL;
	for (;;) {
		bool at_end = p >= end;
		const char *next = at_end ? end : line_at(p, end, &eol);
		if (at_end || p == eol) { /* a paragraph ends */
			if (in_pkg && installed && version)
				return version;
			free(version);
			version = NULL;
			in_pkg = installed = false;
			if (at_end)
				return NULL;
		} else if (key_value(p, eol, "Package", &vs, &ve)) {
			in_pkg = (size_t)(ve - vs) == strlen(package) &&
				 memcmp(vs, package, (size_t)(ve - vs)) == 0;
		} else if (key_value(p, eol, "Status", &vs, &ve)) {
			/* "install ok installed", not "half-installed" or "not-installed" */
			installed = ve - vs >= 10 && memcmp(ve - 10, " installed", 10) == 0;
		} else if (key_value(p, eol, "Version", &vs, &ve)) {
			free(version);
			version = version_of(vs, ve);
		}
		p = next;
	}
}

/* "Max locked memory  8388608  8388608  bytes" -> {"soft", "hard"} */
static json_object *limit_pair(const char *s, const char *e)
{
	json_object *o = json_object_new_object();
	for (int i = 0; i < 2; i++) {
		s = skip_blank(s, e);
		const char *w = s;
		while (s < e && !isspace((unsigned char)*s))
			s++;
		int64_t v;
		json_object *val = NULL;
		if (s - w == 9 && memcmp(w, "unlimited", 9) == 0)
			val = json_object_new_string("unlimited");
		else if (hs_integer(w, (size_t)(s - w), &v) == 0 && v >= 0)
			val = json_object_new_int64(v);
		if (!val) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, i ? "hard" : "soft", val);
	}
	return o;
}

json_object *hs_limits(const char *text, size_t len)
{
	static const struct {
		const char *label, *key;
	} wanted[] = { { "Max locked memory", "memlock" }, { "Max open files", "nofile" } };
	json_object *o = json_object_new_object();
	const char *p = text, *end = text + len, *eol;
	while (p < end) {
		const char *next = line_at(p, end, &eol);
		for (size_t i = 0; i < 2; i++) {
			size_t k = strlen(wanted[i].label);
			if ((size_t)(eol - p) > k && memcmp(p, wanted[i].label, k) == 0 &&
			    isspace((unsigned char)p[k]) && !json_get(o, wanted[i].key)) {
				json_object *pair = limit_pair(p + k, eol);
				if (pair)
					json_object_object_add(o, wanted[i].key, pair);
			}
		}
		p = next;
	}
	if (json_object_object_length(o) == 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- environment ---- */

bool gpu_env_name(const char *name)
{
	static const char *const exact[] = {
		"CUDA_VISIBLE_DEVICES", "DRI_PRIME", "HCC_AMDGPU_TARGET", NULL,
	};
	/* HSA_OVERRIDE_GFX_VERSION, HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES,
	 * VK_ICD_FILENAMES, VK_DRIVER_FILES, GGML_VK_VISIBLE_DEVICES,
	 * AMD_VULKAN_ICD, RADV_PERFTEST, MESA_VK_DEVICE_SELECT, GPU_MAX_HW_QUEUES... */
	static const char *const prefixes[] = {
		"HSA_", "HIP_", "ROCR_", "ROCBLAS_", "HIPBLASLT_", "MIOPEN_", "GGML_",
		"VK_",  "RADV_", "AMD_", "AMDVLK_",  "MESA_VK_",  "GPU_",   NULL,
	};
	for (size_t i = 0; exact[i]; i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	for (size_t i = 0; prefixes[i]; i++)
		if (str_starts_with(name, prefixes[i]) && name[strlen(prefixes[i])])
			return true;
	return false;
}

static void add_env_entry(json_object *o, const char *entry, size_t len)
{
	const char *eq = memchr(entry, '=', len);
	if (!eq || eq == entry || eq - entry > 128)
		return;
	char *name = xstrndup(entry, (size_t)(eq - entry));
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			goto out;
	if (!gpu_env_name(name) || (!json_get(o, name) && json_object_object_length(o) >= HOST_MAX_ENV))
		goto out;
	char *val = sanitize_line(eq + 1, len - (size_t)(eq + 1 - entry), HOST_MAX_ENV_VALUE);
	json_object_object_add(o, name, json_object_new_string(val));
	free(val);
out:
	free(name);
}

json_object *gpu_env_object(char *const *base, char *const *over)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; base && base[i]; i++)
		add_env_entry(o, base[i], strlen(base[i]));
	for (size_t i = 0; over && over[i]; i++)
		add_env_entry(o, over[i], strlen(over[i]));
	return o;
}

/* ---- the probe run where llama-bench runs ---- */

/* Sections "@@name\n" then text up to the next "\n@@" line.  The env
 * section is /proc/self/environ: NUL-separated. */
static const char probe_script[] =
	"p() { if [ -f \"$1\" ] && [ ! -L \"$1\" ]; then head -c 4096 \"$1\"; fi; }\n"
	"echo @@rocm; p /opt/rocm/.info/version\n"
	"echo; echo @@hip; ls -1 /opt/rocm/lib/ /opt/rocm/lib64/ 2>/dev/null | "
	"grep '^libamdhip64\\.so\\.' | head -c 4096\n"
	"echo; echo @@limits; head -c 8192 /proc/self/limits\n"
	"echo; echo @@mesa-dpkg; if command -v dpkg-query >/dev/null 2>&1; then "
	"dpkg-query -W -f '${db:Status-Abbrev} ${Version}\\n' " MESA_PACKAGE
	" 2>/dev/null | head -c 256; fi\n"
	"echo; echo @@mesa-rpm; if command -v rpm >/dev/null 2>&1; then "
	"rpm -q --qf '%{VERSION}-%{RELEASE}\\n' " MESA_PACKAGE " 2>/dev/null | head -c 256; fi\n"
	"echo; echo @@mesa-file; for f in /usr/lib64/libvulkan_radeon.so "
	"/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so /usr/lib64/libvulkan_lvp.so "
	"/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so; do if [ -f \"$f\" ] && [ ! -L \"$f\" ]; "
	"then grep -aom1 'Mesa [0-9][0-9.]*[0-9]' \"$f\" 2>/dev/null | head -n 1; break; fi; done\n"
	"echo; echo @@env; head -c 65536 /proc/self/environ\n";

static bool section(const char *text, size_t len, const char *name, const char **s, size_t *n)
{
	char marker[32];
	snprintf(marker, sizeof(marker), "@@%s\n", name);
	size_t ml = strlen(marker);
	const char *p = text, *end = text + len;
	while (p < end) {
		if ((size_t)(end - p) >= ml && memcmp(p, marker, ml) == 0 &&
		    (p == text || p[-1] == '\n')) {
			*s = p + ml;
			const char *q = *s;
			while (q < end && !((size_t)(end - q) >= 3 && q[0] == '\n' && q[1] == '@' &&
					    q[2] == '@'))
				q++;
			*n = (size_t)(q - *s);
			return true;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

/* dpkg-query's "ii  25.2.6-1": only an installed package counts */
static char *dpkg_query_version(const char *s, size_t n)
{
	const char *e;
	line_at(s, s + n, &e);
	if (e - s < 3 || s[0] != 'i' || s[1] != 'i')
		return NULL;
	return version_of(s + 2, e);
}

char *hs_mesa_driver_version(const char *text, size_t len)
{
	static const char prefix[] = "Mesa ";
	size_t k = sizeof(prefix) - 1;
	if (!text || len <= k || memcmp(text, prefix, k) != 0)
		return NULL;
	const char *e;
	line_at(text, text + len, &e);
	return version_of(text + k, e);
}

char *hs_proc_version(const char *text, size_t len)
{
	static const char prefix[] = "Linux version ";
	size_t k = sizeof(prefix) - 1;
	if (!text || len <= k || memcmp(text, prefix, k) != 0)
		return NULL;
	const char *s = text + k, *end = text + len, *e = s;
	while (e < end && !isspace((unsigned char)*e))
		e++;
	return version_of(s, e);
}

char *hs_hip_version(const char *text, size_t len)
{
	static const char prefix[] = "libamdhip64.so.";
	const char *p = text, *end = text + len, *eol;
	char *best = NULL;
	while (p < end) {
		const char *next = line_at(p, end, &eol);
		const char *s = p, *e = eol;
		trim(&s, &e);
		size_t k = sizeof(prefix) - 1;
		if ((size_t)(e - s) > k && memcmp(s, prefix, k) == 0) {
			/* libamdhip64.so.7 -> .so.7.2 -> .so.7.2.26015: the longest */
			char *v = version_of(s + k, e);
			if (v && (!best || strlen(v) > strlen(best))) {
				free(best);
				best = v;
			} else {
				free(v);
			}
		}
		p = next;
	}
	return best;
}

void hs_parse_probe(const char *text, size_t len, json_object *host)
{
	const char *s;
	size_t n;
	char *v = NULL;
	if (section(text, len, "rocm", &s, &n))
		v = hs_version(s, n);
	if (!v && section(text, len, "hip", &s, &n))
		v = hs_hip_version(s, n);
	json_add_str(host, "rocm", v);
	free(v), v = NULL;
	if (section(text, len, "mesa-dpkg", &s, &n))
		v = dpkg_query_version(s, n);
	if (!v && section(text, len, "mesa-rpm", &s, &n))
		v = hs_version(s, n);
	if (!v && section(text, len, "mesa-file", &s, &n)) /* no package: the driver file */
		v = hs_mesa_driver_version(s, n);
	json_add_str(host, "mesa", v);
	free(v);
	json_object_object_add(host, "limits",
			       section(text, len, "limits", &s, &n) ? hs_limits(s, n) : NULL);
	json_object *env = json_object_new_object();
	if (section(text, len, "env", &s, &n)) {
		const char *p = s, *end = s + n;
		while (p < end) {
			const char *z = memchr(p, '\0', (size_t)(end - p));
			const char *ze = z ? z : end;
			add_env_entry(env, p, (size_t)(ze - p));
			p = ze + 1;
		}
		json_object_object_add(host, "gpu_env", env);
	} else {
		json_object_put(env);
		json_object_object_add(host, "gpu_env", NULL);
	}
}

struct probe_out {
	struct buf b;
};

static void probe_collect(int stream, const char *data, size_t len, void *ctx)
{
	struct probe_out *po = ctx;
	if (stream != 1 || po->b.len >= HOST_MAX_PROBE)
		return;
	if (len > HOST_MAX_PROBE - po->b.len)
		len = HOST_MAX_PROBE - po->b.len;
	buf_add(&po->b, data, len);
}

int hoststate_probe_container(struct podman *p, const char *container, char *const *env,
			      json_object *host, struct err *e)
{
	char *argv[] = { "sh", "-c", (char *)probe_script, NULL };
	struct probe_out po;
	buf_init(&po.b);
	struct exec_opts xo = {
		.argv = argv,
		.env = env,
		.on_output = probe_collect,
		.ctx = &po,
		.interruptible = true,
	};
	int code = 0;
	int rc = podman_exec(p, container, &xo, &code, e);
	if (rc == 0) {
		if (code != 0)
			verbose("host state: the probe in '%s' exited %d", container, code);
		hs_parse_probe(po.b.p, po.b.len, host);
	}
	buf_free(&po.b);
	return rc;
}

/* ---- packages on the host ---- */

struct run_out {
	struct buf b;
};

static void run_collect(int stream, const char *data, size_t len, void *ctx)
{
	struct run_out *ro = ctx;
	if (stream == 1 && ro->b.len + len <= 64 * 1024)
		buf_add(&ro->b, data, len);
}

/* rpm -q --qf '%{NAME} %{VERSION}-%{RELEASE}\n' NAMES...: only on the real
 * root (a fixture has no rpm database). */
static void rpm_versions(const char *root, const char *const *names, json_object *out)
{
	static const char *const rpms[] = { "/usr/bin/rpm", "/bin/rpm", NULL };
	const char *rpm = NULL;
	for (size_t i = 0; rpms[i] && !rpm; i++)
		if (access(rpms[i], X_OK) == 0)
			rpm = rpms[i];
	if (strcmp(root, "/") != 0 || !rpm)
		return;
	struct strv argv = STRV_INIT;
	strv_push(&argv, rpm);
	strv_push(&argv, "-q");
	strv_push(&argv, "--qf");
	strv_push(&argv, "%{NAME} %{VERSION}-%{RELEASE}\\n");
	for (size_t i = 0; names[i]; i++)
		strv_push(&argv, names[i]);
	struct run_out ro;
	buf_init(&ro.b);
	int code = 0;
	struct err e = { 0 };
	struct runcmd rc = { .argv = argv.v };
	int r = runcmd_run(&rc, run_collect, &ro, HOST_RPM_TIMEOUT_S, &code, &e);
	if (r != 0) {
		verbose("host state: %s", r < 0 ? e.msg : "rpm -q took too long (killed)");
	} else {
		const char *p = ro.b.p, *end = ro.b.p + ro.b.len, *eol;
		while (p < end) {
			const char *next = line_at(p, end, &eol);
			const char *sp = memchr(p, ' ', (size_t)(eol - p));
			for (size_t i = 0; sp && names[i]; i++) {
				if ((size_t)(sp - p) != strlen(names[i]) ||
				    memcmp(p, names[i], (size_t)(sp - p)) != 0)
					continue;
				char *v = version_of(sp + 1, eol);
				if (v)
					json_add_str(out, names[i], v);
				free(v);
			}
			p = next;
		}
	}
	buf_free(&ro.b);
	strv_free(&argv);
}

char *hs_pacman_version(const char *text, size_t len, const char *package)
{
	const char *p = text, *end = text + len, *eol;
	bool name_ok = false;
	char *version = NULL;
	while (p < end) {
		const char *next = line_at(p, end, &eol);
		const char *s = p, *e = eol;
		trim(&s, &e);
		/* "%NAME%" or "%VERSION%", its value on the next line */
		if (e - s > 2 && *s == '%' && e[-1] == '%' && next < end) {
			const char *ve, *after = line_at(next, end, &ve);
			const char *vs = next;
			trim(&vs, &ve);
			if ((size_t)(e - s) == 6 && memcmp(s, "%NAME%", 6) == 0)
				name_ok = (size_t)(ve - vs) == strlen(package) &&
					  memcmp(vs, package, (size_t)(ve - vs)) == 0;
			else if ((size_t)(e - s) == 9 && memcmp(s, "%VERSION%", 9) == 0 && !version)
				version = version_of(vs, ve);
			next = after;
		}
		p = next;
	}
	if (name_ok && version)
		return version;
	free(version);
	return NULL;
}

/* {package: version} of names from pacman's local database
 * (var/lib/pacman/local/NAME-VERSION-REL/desc). */
static void pacman_versions(const char *root, const char *const *names, json_object *out)
{
	char *dir = root_path(root, "/var/lib/pacman/local");
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	struct dirent *de;
	size_t seen = 0;
	while ((de = readdir(d)) && seen++ < HOST_MAX_DIR_ENTRIES) {
		for (size_t i = 0; names[i]; i++) {
			size_t k = strlen(names[i]);
			if (strncmp(de->d_name, names[i], k) != 0 || de->d_name[k] != '-' ||
			    json_get(out, names[i]))
				continue;
			char *rel = xasprintf("/var/lib/pacman/local/%s/desc", de->d_name);
			char *text = NULL;
			size_t len = 0;
			if (host_read(root, rel, HOST_MAX_PACMAN_DESC, false, &text, &len) == 0) {
				char *v = hs_pacman_version(text, len, names[i]);
				if (v)
					json_add_str(out, names[i], v);
				free(v);
			}
			free(text);
			free(rel);
		}
	}
	closedir(d);
	free(dir);
}

/* The newest modification time of the GPU firmware files, as a date:
 * what /usr/lib/firmware itself tells when no package database does (an
 * update of the firmware package writes them all anew).  NULL when there
 * are none. */
static char *firmware_files_date(const char *root)
{
	char *dir = root_path(root, FIRMWARE_DIR);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return NULL;
	}
	int fd = dirfd(d);
	int64_t newest = 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n++ < HOST_MAX_DIR_ENTRIES) {
		struct stat st;
		if (de->d_name[0] == '.' ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((int64_t)st.st_mtime > newest)
			newest = (int64_t)st.st_mtime;
	}
	closedir(d);
	free(dir);
	if (newest <= 0)
		return NULL;
	char when[32];
	format_time(newest, when);
	return xstrdup(when);
}

/* {package: version} from the dpkg status file, else pacman's database,
 * else rpm. */
static json_object *package_versions(const char *root, const char *const *names)
{
	json_object *o = json_object_new_object();
	char *text = NULL;
	size_t len = 0;
	bool dpkg_system = false;
	if (host_read(root, "/var/lib/dpkg/status", HOST_MAX_DPKG, false, &text, &len) == 0) {
		for (size_t i = 0; names[i]; i++) {
			char *v = hs_dpkg_version(text, len, names[i]);
			if (v)
				json_add_str(o, names[i], v);
			free(v);
		}
		/* packages installed by dpkg: it is this system's package
		 * manager, and an rpm there (for building packages) knows
		 * nothing of the host; not asked (rpm -q starts a shell or
		 * two: most of a bench's CPU time) */
		static const char installed[] = "\nStatus: install ok installed";
		dpkg_system = memmem(text, len, installed, sizeof(installed) - 1) != NULL;
		free(text);
	}
	if (json_object_object_length(o) == 0 && !dpkg_system)
		pacman_versions(root, names, o);
	if (json_object_object_length(o) == 0 && !dpkg_system)
		rpm_versions(root, names, o);
	return o;
}

/* ---- the host object ---- */

static const char *const host_items[] = {
	"kernel_release", "kernel_params", "ttm_pages_limit", "ttm_page_pool_size",
	"amdgpu_gttsize", "platform_profile", "tuned_profile",   "firmware",
	"cpu_model",      "mem_total_bytes", NULL,
};

static void add_text(json_object *o, const char *key, const char *root, const char *rel,
		     char *(*parse)(const char *, size_t))
{
	char *text = NULL, *v = NULL;
	size_t len = 0;
	if (host_read(root, rel, HOST_MAX_VALUE, false, &text, &len) == 0) {
		v = parse(text, len);
		if (!v)
			verbose("host state: %s%s holds no usable value", root, rel);
	}
	json_add_str(o, key, v);
	free(text), free(v);
}

static void add_integer(json_object *o, const char *key, const char *root, const char *rel)
{
	char *text = NULL;
	size_t len = 0;
	int64_t v;
	if (host_read(root, rel, HOST_MAX_VALUE, false, &text, &len) == 0 &&
	    hs_integer(text, len, &v) == 0) {
		json_add_int(o, key, v);
	} else {
		if (text)
			verbose("host state: %s%s is not an integer", root, rel);
		json_object_object_add(o, key, NULL);
	}
	free(text);
}

static char *profile_line(const char *text, size_t len)
{
	return hs_first_line(text, len, 128);
}

json_object *hoststate_read_host(const char *root)
{
	json_object *o = json_object_new_object();
	char *text = NULL;
	size_t len = 0;
	json_add_bool(o, "state_read", true);
	add_text(o, "kernel_release", root, "/proc/sys/kernel/osrelease", hs_version);
	if (!json_str(o, "kernel_release")) /* "Linux version 6.17.7-300.fc43.x86_64 (...)" */
		add_text(o, "kernel_release", root, "/proc/version", hs_proc_version);
	json_object *params = NULL;
	if (host_read(root, "/proc/cmdline", HOST_MAX_VALUE, false, &text, &len) == 0)
		params = hs_kernel_params(text, len);
	json_object_object_add(o, "kernel_params", params);
	free(text), text = NULL;
	add_integer(o, "ttm_pages_limit", root, "/sys/module/ttm/parameters/pages_limit");
	add_integer(o, "ttm_page_pool_size", root, "/sys/module/ttm/parameters/page_pool_size");
	add_integer(o, "amdgpu_gttsize", root, "/sys/module/amdgpu/parameters/gttsize");
	add_text(o, "platform_profile", root, "/sys/firmware/acpi/platform_profile", profile_line);
	add_text(o, "tuned_profile", root, "/etc/tuned/active_profile", profile_line);
	json_object *fw = package_versions(root, firmware_packages);
	if (json_object_object_length(fw) == 0) {
		char *date = firmware_files_date(root);
		if (date)
			json_add_str(fw, FIRMWARE_FILES_KEY, date);
		free(date);
	}
	if (json_object_object_length(fw) == 0) {
		json_object_put(fw);
		fw = NULL;
	}
	json_object_object_add(o, "firmware", fw);
	char *cpu = NULL;
	if (host_read(root, "/proc/cpuinfo", HOST_MAX_CPUINFO, true, &text, &len) == 0)
		cpu = hs_cpu_model(text, len);
	json_add_str(o, "cpu_model", cpu);
	free(cpu), free(text), text = NULL;
	int64_t mem;
	if (host_read(root, "/proc/meminfo", HOST_MAX_MEMINFO, true, &text, &len) == 0 &&
	    hs_mem_total(text, len, &mem) == 0)
		json_add_int(o, "mem_total_bytes", mem);
	else
		json_object_object_add(o, "mem_total_bytes", NULL);
	free(text);
	return o;
}

json_object *hoststate_unread(void)
{
	json_object *o = json_object_new_object();
	json_add_bool(o, "state_read", false);
	for (size_t i = 0; host_items[i]; i++)
		json_object_object_add(o, host_items[i], NULL);
	return o;
}

json_object *hoststate_from_metadata(const char *kernel, const char *host_profile,
				     const char *firmware)
{
	if (!kernel && !host_profile && !firmware)
		return NULL;
	json_object *o = hoststate_unread();
	json_add_bool(o, "state_read", true); /* read from the log, not at bench time */
	char *v = kernel ? hs_version(kernel, strlen(kernel)) : NULL;
	json_add_str(o, "kernel_release", v);
	free(v);
	if (host_profile) {
		json_object *kp = hs_kernel_params(host_profile, strlen(host_profile));
		if (json_object_object_length(kp) == 0) {
			json_object_put(kp);
			kp = NULL;
		}
		json_object_object_add(o, "kernel_params", kp);
		char *hp = sanitize_line(host_profile, strlen(host_profile), HOST_MAX_PARAM_VALUE);
		json_add_str(o, "host_profile", hp);
		free(hp);
	}
	if (firmware) {
		json_object *fw = json_object_new_object();
		char *f = sanitize_line(firmware, strlen(firmware), 128);
		json_add_str(fw, "linux-firmware", f);
		free(f);
		json_object_object_add(o, "firmware", fw);
	}
	return o;
}

/* The names in ROOT/opt/rocm/lib and lib64 that start libamdhip64.so.,
 * one a line, for hs_hip_version. */
static char *hip_names(const char *root)
{
	static const char *const dirs[] = { "/opt/rocm/lib", "/opt/rocm/lib64", NULL };
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; dirs[i]; i++) {
		char *dir = root_path(root, dirs[i]);
		DIR *d = opendir(dir);
		free(dir);
		if (!d)
			continue;
		struct dirent *de;
		size_t seen = 0;
		while ((de = readdir(d)) && seen++ < HOST_MAX_DIR_ENTRIES && b.len < 4096)
			if (str_starts_with(de->d_name, "libamdhip64.so."))
				buf_addf(&b, "%s\n", de->d_name);
		closedir(d);
	}
	return buf_detach(&b);
}

void hoststate_probe_native(const char *root, char *const *env, json_object *host)
{
	add_text(host, "rocm", root, "/opt/rocm/.info/version", hs_version);
	if (!json_str(host, "rocm")) { /* no .info/version: the HIP runtime's file name */
		char *names = hip_names(root);
		char *v = hs_hip_version(names, strlen(names));
		json_add_str(host, "rocm", v);
		free(v), free(names);
	}
	static const char *const mesa[] = { MESA_PACKAGE, NULL };
	json_object *m = package_versions(root, mesa);
	json_add_str(host, "mesa", json_str(m, MESA_PACKAGE));
	json_object_put(m);
	char *text = NULL;
	size_t len = 0;
	json_object *lim = NULL;
	if (host_read(root, "/proc/self/limits", HOST_MAX_LIMITS, false, &text, &len) == 0)
		lim = hs_limits(text, len);
	json_object_object_add(host, "limits", lim);
	free(text);
	json_object_object_add(host, "gpu_env", gpu_env_object(environ, env));
}

/* ---- SELinux ---- */

enum selinux_mode hoststate_selinux_mode(const char *root)
{
	char *text = NULL;
	size_t len = 0;
	if (host_read(root, "/sys/fs/selinux/enforce", HOST_MAX_VALUE, false, &text, &len) != 0) {
		char *dir = root_path(root, "/sys/fs/selinux");
		bool mounted = is_dir(dir);
		free(dir);
		return mounted ? SELINUX_UNKNOWN : SELINUX_ABSENT;
	}
	int64_t v = -1;
	enum selinux_mode m = SELINUX_UNKNOWN;
	if (hs_integer(text, len, &v) == 0 && (v == 0 || v == 1))
		m = v ? SELINUX_ENFORCING : SELINUX_PERMISSIVE;
	free(text);
	return m;
}

int hoststate_selinux_bool(const char *root, const char *name)
{
	char *rel = xasprintf("/sys/fs/selinux/booleans/%s", name);
	char *text = NULL;
	size_t len = 0;
	int rc = host_read(root, rel, HOST_MAX_VALUE, false, &text, &len);
	free(rel);
	if (rc != 0)
		return -1;
	/* "CURRENT PENDING": the first number is what the kernel enforces */
	size_t n = 0;
	while (n < len && text[n] != ' ' && text[n] != '\n')
		n++;
	int64_t v = -1;
	int out = hs_integer(text, n, &v) == 0 && (v == 0 || v == 1) ? (int)v : -1;
	free(text);
	return out;
}

static char *xattr_text(const char *path, const char *name)
{
	char v[512];
	ssize_t n = getxattr(path, name, v, sizeof(v) - 1);
	if (n <= 0)
		return NULL;
	while (n > 0 && v[n - 1] == '\0')
		n--;
	return n > 0 ? sanitize_line(v, (size_t)n, 255) : NULL;
}

char *hoststate_selinux_label(const char *path)
{
	char *l = xattr_text(path, "security.selinux");
	if (!l && host_root_is_fixture())
		l = xattr_text(path, "user.tbx.selinux");
	return l;
}

char *selinux_label_type(const char *label)
{
	const char *a = label ? strchr(label, ':') : NULL;
	const char *b = a ? strchr(a + 1, ':') : NULL;
	if (!b)
		return NULL;
	const char *c = strchr(b + 1, ':');
	const char *end = c ? c : b + 1 + strlen(b + 1);
	if (end == b + 1)
		return NULL;
	return xstrndup(b + 1, (size_t)(end - (b + 1)));
}

bool selinux_type_container_readable(const char *type)
{
	/* what container-selinux lets container_t read */
	static const char *const ok[] = {
		"container_file_t",   "container_ro_file_t", "container_share_t",
		"svirt_sandbox_file_t", "svirt_lxc_file_t",  "usr_t",
		NULL,
	};
	for (size_t i = 0; type && ok[i]; i++)
		if (strcmp(type, ok[i]) == 0)
			return true;
	return false;
}
