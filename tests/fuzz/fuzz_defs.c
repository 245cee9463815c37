/* fuzz_defs.c - definition loading: backend_parse on the input, then the
 * same bytes as manifests/models.json and manifests/legacy.json of a
 * private home (a temporary directory) through models_load and
 * legacy_load.
 *
 * Checks: a parsed backend is complete and valid (what the rest of tbx
 * relies on without checking again), its devices are GPU/accelerator
 * nodes unless it says "unsafe_devices", a failure says why and frees
 * everything (LeakSanitizer), loaded models have absolute paths and a
 * root that is not a system directory (read without symlinks here: the
 * fuzzer writes no links).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defs.h"
#include "fuzz.h"

static char *home; /* the private home, removed at exit */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_home(void)
{
	if (home)
		nftw(home, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(home);
	home = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *tmp = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/tbx-fuzz-defs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		abort();
	}
	home = tmpl;
	char *dir = path_join(home, "manifests");
	if (mkdir(dir, 0700) < 0) {
		perror("mkdir");
		abort();
	}
	free(dir);
	/* "~" in definitions expands to $HOME; keep it fixed and harmless */
	setenv("HOME", "/nonexistent-home", 1);
	atexit(remove_home);
	return 0;
}

static void put(const char *name, const uint8_t *data, size_t size)
{
	char *path = path_join(home, name);
	/* a new file, not O_TRUNC: ext4 flushes truncated files on close
	 * (auto_da_alloc), which made this target ten times slower */
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0) {
		perror(path);
		abort();
	}
	free(path);
}

/* The allow-list of defs.c, written again from the README. */
static bool allowed_device(const char *d)
{
	static const char *const whole[] = { "/dev/dri", "/dev/kfd", "/dev/infiniband",
					     "/dev/accel", "/dev/infiniband/rdma_cm", NULL };
	static const char *const numbered[] = { "/dev/dri/renderD", "/dev/dri/card",
						"/dev/accel/accel", "/dev/infiniband/uverbs",
						"/dev/infiniband/umad", "/dev/infiniband/issm", NULL };
	for (size_t i = 0; whole[i]; i++)
		if (strcmp(d, whole[i]) == 0)
			return true;
	for (size_t i = 0; numbered[i]; i++) {
		size_t n = strlen(numbered[i]);
		if (strncmp(d, numbered[i], n) == 0 && d[n] && strspn(d + n, "0123456789") ==
		    strlen(d + n))
			return true;
	}
	return false;
}

/* "/a/./b/../c" -> "/a/c" */
static char *lexical(const char *p)
{
	char *out = xmalloc(strlen(p) + 2);
	size_t k = 0;
	for (const char *q = p; *q;) {
		size_t n = strcspn(q, "/");
		if (n == 2 && q[0] == '.' && q[1] == '.') {
			while (k && out[k - 1] != '/')
				k--;
			if (k)
				k--;
		} else if (n && !(n == 1 && q[0] == '.')) {
			out[k++] = '/';
			memcpy(out + k, q, n);
			k += n;
		}
		q += n + (q[n] == '/');
	}
	if (!k)
		out[k++] = '/';
	out[k] = '\0';
	return out;
}

static void check_models_root(const char *root)
{
	static const char *const tree[] = { "/proc", "/sys", "/dev", "/etc", "/boot", "/run", NULL };
	static const char *const exact[] = { "/", "/usr", "/var", "/home", "/tmp", "/var/tmp",
					     "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
					     NULL };
	char *l = lexical(root);
	for (size_t i = 0; tree[i]; i++) {
		size_t n = strlen(tree[i]);
		if (strncmp(l, tree[i], n) == 0 && (l[n] == '\0' || l[n] == '/'))
			fuzz_fail("models root '%s' is under %s", root, tree[i]);
	}
	for (size_t i = 0; exact[i]; i++)
		if (strcmp(l, exact[i]) == 0)
			fuzz_fail("models root '%s' is %s", root, exact[i]);
	free(l);
}

static void check_backend(const struct backend *b)
{
	if (!b->id || !b->file || !b->lineage || b->bench.n == 0 || !b->bench.v[0])
		fuzz_fail("backend_parse succeeded with a missing field");
	if (b->native == (b->image != NULL) || b->native == (b->container != NULL))
		fuzz_fail("backend_parse: native %d with image %p, container %p", b->native,
			  (void *)b->image, (void *)b->container);
	for (size_t i = 1; i < b->env.n; i++)
		if (strcmp(b->env.v[i - 1], b->env.v[i]) > 0)
			fuzz_fail("backend env not sorted: '%s' before '%s'", b->env.v[i - 1],
				  b->env.v[i]);
	for (size_t i = 0; i < b->devices.n && !b->unsafe_devices; i++)
		if (!allowed_device(b->devices.v[i]))
			fuzz_fail("device '%s' passed without unsafe_devices", b->devices.v[i]);
	for (size_t i = 0; i < b->env.n; i++)
		if (!strchr(b->env.v[i], '='))
			fuzz_fail("backend env entry '%s' has no '='", b->env.v[i]);
	char hash[65];
	backend_spec_hash(b, "/models", hash);
	if (strlen(hash) != 64)
		fuzz_fail("backend_spec_hash gave '%s'", hash);
	/* the device lines of the logs in the corpus */
	static const char *const lines[] = {
		"ggml_vulkan: 0 = AMD Radeon 8060S Graphics (RADV GFX1151) (radv) | uma: 1",
		"Device 0: AMD Radeon 8060S Graphics, gfx1151 (0x1151), VMM: no, Wave Size: 32",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		(void)expect_matches(b->expect_backend, lines[i]);
		(void)expect_matches(b->expect_device, lines[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	struct backend b;
	struct err e;
	err_clear(&e);
	int rc = backend_parse(text, size, "containers/fuzz.json", &b, &e);
	if (rc == 0)
		check_backend(&b);
	else if (rc != -1 || !e.msg[0])
		fuzz_fail("backend_parse returned %d with message '%s'", rc, e.msg);
	backend_free(&b);
	free(text);

	put("manifests/models.json", data, size);
	put("manifests/legacy.json", data, size);

	struct models m;
	err_clear(&e);
	rc = models_load(home, &m, &e);
	if (rc == 0) {
		if (!m.root || m.root[0] != '/')
			fuzz_fail("models root '%s' is not absolute", m.root ? m.root : "(null)");
		check_models_root(m.root);
		for (size_t i = 0; i < m.n; i++)
			if (!m.v[i].alias || !m.v[i].path || m.v[i].path[0] != '/')
				fuzz_fail("model %zu has no alias or a relative path", i);
	} else if (rc != -1 || !e.msg[0]) {
		fuzz_fail("models_load returned %d with message '%s'", rc, e.msg);
	}
	models_free(&m);

	struct strv names = STRV_INIT;
	err_clear(&e);
	rc = legacy_load(home, &names, &e);
	if (rc != 0 && (rc != -1 || !e.msg[0]))
		fuzz_fail("legacy_load returned %d with message '%s'", rc, e.msg);
	strv_free(&names);
	return 0;
}
