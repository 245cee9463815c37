/* test_registry.c - references, challenges, mirrors, auth.json, and real
 * HTTP: Debian's docker-registry on loopback (pushed to without podman)
 * and a canned fake server for auth, rate limits and broken answers. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "registry.h"
#include "registry_tokens.h"
#include "sha256.h"
#include "util.h"

#define DIGEST_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* ---- small helpers: digests, base64, temp dirs ---- */

/* "sha256:<hex>" of data; caller frees */
static char *sha256_digest(const void *data, size_t len)
{
	struct sha256 s;
	char hex[65];
	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_hex(&s, hex);
	return xasprintf("sha256:%s", hex);
}

static char *b64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		buf_addc(&b, tab[v >> 18 & 63]);
		buf_addc(&b, tab[v >> 12 & 63]);
		buf_addc(&b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_addc(&b, i + 2 < n ? tab[v & 63] : '=');
	}
	return buf_detach(&b);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
	char *d = xstrdup("/tmp/tbx-test-registry.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void write_text(const char *path, const char *text)
{
	struct err e = { 0 };
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0600, &e), 0);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void assert_no_secret(const char *msg)
{
	if (strstr(msg, "SECRET") || strstr(msg, "dXNlcjpwdy1TRUNSRVQ"))
		fail_msg("secret in message: %s", msg);
}

/* ---- image references ---- */

struct ref_case {
	const char *in, *registry, *repo, *tag, *digest;
};

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_ref_parse_valid(void **state)
{
	(void)state;
	static const struct ref_case cases[] = {
		{ "ubuntu", "docker.io", "library/ubuntu", "latest", NULL },
		{ "docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2", "docker.io",
		  "kyuz0/amd-strix-halo-toolboxes", "rocm-7.2", NULL },
		{ "kyuz0/amd-strix-halo-toolboxes:rocm-7.2", "docker.io",
		  "kyuz0/amd-strix-halo-toolboxes", "rocm-7.2", NULL },
		{ "docker.io/ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", NULL },
		{ "index.docker.io/library/ubuntu", "docker.io", "library/ubuntu", "latest", NULL },
		{ "localhost/foo", "localhost", "foo", "latest", NULL },
		{ "localhost:5000/a/b:c", "localhost:5000", "a/b", "c", NULL },
		{ "127.0.0.1:5000/x/y:z", "127.0.0.1:5000", "x/y", "z", NULL },
		{ "quay.io/org/img@sha256:" HEX64, "quay.io", "org/img", NULL, "sha256:" HEX64 },
		{ "quay.io/org/img:v1@sha256:" HEX64, "quay.io", "org/img", "v1", "sha256:" HEX64 },
		{ "ubuntu@sha256:" HEX64, "docker.io", "library/ubuntu", NULL, "sha256:" HEX64 },
		{ "ghcr.io/a/b_c__d-e.f---g:TAG_1.x-y", "ghcr.io", "a/b_c__d-e.f---g", "TAG_1.x-y",
		  NULL },
		{ "localhost:5000", "docker.io", "library/localhost", "5000", NULL },
		{ "[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL },
		{ "my-reg.example.com:443/ns/sub/img:t", "my-reg.example.com:443", "ns/sub/img", "t",
		  NULL },
		{ "Registry.Example.com/x", "Registry.Example.com", "x", "latest", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_ref r;
		struct err e = { 0 };
		if (image_ref_parse(cases[i].in, &r, &e) != 0)
			fail_msg("'%s': %s", cases[i].in, e.msg);
		assert_string_equal(r.registry, cases[i].registry);
		assert_string_equal(r.repo, cases[i].repo);
		if (cases[i].tag)
			assert_string_equal(r.tag, cases[i].tag);
		else
			assert_null(r.tag);
		if (cases[i].digest)
			assert_string_equal(r.digest, cases[i].digest);
		else
			assert_null(r.digest);
		image_ref_free(&r);
	}
}

static void test_ref_parse_invalid(void **state)
{
	(void)state;
	char long_tag[200], long_ref[2100];
	memset(long_tag, 0, sizeof(long_tag));
	memcpy(long_tag, "x:", 2);
	memset(long_tag + 2, 't', 129);
	memset(long_ref, 'a', sizeof(long_ref) - 1);
	long_ref[sizeof(long_ref) - 1] = '\0';
	static const char *const upper = "sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
	char upper_ref[200];
	snprintf(upper_ref, sizeof(upper_ref), "ubuntu@%s", upper);
	const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "empty image reference" },
		{ "Ubuntu", "invalid image reference 'Ubuntu': repository name must be lowercase" },
		{ "docker.io/Kyuz0/x", "'docker.io/Kyuz0/x': repository name must be lowercase" },
		{ "ubuntu latest", "'ubuntu latest': whitespace or control characters" },
		{ "a\nb", "'a b': whitespace or control characters" },
		{ "ubuntu:", "'ubuntu:': invalid tag" },
		{ "x:.tag", "invalid tag" },
		{ long_tag, "invalid tag" },
		{ "ubuntu@sha256:abc", "'ubuntu@sha256:abc': invalid digest" },
		{ upper_ref, "invalid digest" },
		{ "ubuntu@md5:" HEX64, "invalid digest" },
		{ "a@b@c", "invalid digest" },
		{ ":tag", "invalid repository name" },
		{ "a//b", "invalid repository name" },
		{ "a/b/", "invalid repository name" },
		{ "-a", "invalid repository name" },
		{ "a..b", "invalid repository name" },
		{ "a___b", "invalid repository name" },
		{ "a_-b", "invalid repository name" },
		{ "example.com:abc/x", "'example.com:abc/x': invalid registry host" },
		{ "-bad.com/x", "invalid registry host" },
		{ "example.com/", "empty repository name" },
		{ long_ref, "too long" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_ref r;
		struct err e = { 0 };
		if (image_ref_parse(cases[i].in, &r, &e) == 0)
			fail_msg("'%s' was accepted", cases[i].in);
		assert_contains(e.msg, cases[i].want);
		assert_null(strchr(e.msg, '\n'));
		assert_null(r.registry);
		image_ref_free(&r);
	}
	struct image_ref r;
	struct err e = { 0 };
	assert_int_equal(image_ref_parse(NULL, &r, &e), -1);
}

static void test_ref_name(void **state)
{
	(void)state;
	struct image_ref r;
	struct err e = { 0 };
	assert_int_equal(image_ref_parse("kyuz0/x:rocm-7.2@sha256:" HEX64, &r, &e), 0);
	char *n = image_ref_name(&r);
	assert_string_equal(n, "docker.io/kyuz0/x:rocm-7.2");
	free(n);
	image_ref_free(&r);
	assert_int_equal(image_ref_parse("quay.io/a/b@sha256:" HEX64, &r, &e), 0);
	n = image_ref_name(&r);
	assert_string_equal(n, "quay.io/a/b");
	free(n);
	image_ref_free(&r);
	image_ref_free(&r); /* twice is harmless */
}

/* ---- WWW-Authenticate ---- */

struct chal_case {
	const char *in, *scheme, *realm, *service, *scope;
};

static void check_str(const char *got, const char *want, const char *in)
{
	if (!want && got)
		fail_msg("'%s': got '%s', want NULL", in, got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("'%s': got '%s', want '%s'", in, got ? got : "(null)", want);
}

static void test_challenge_valid(void **state)
{
	(void)state;
	static char huge_unknown[12000];
	snprintf(huge_unknown, sizeof(huge_unknown), "Bearer foo=\"%0*d\", realm=\"r\"", 10000, 0);
	const struct chal_case cases[] = {
		{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		  "scope=\"repository:x:pull\"",
		  "Bearer", "https://auth.docker.io/token", "registry.docker.io",
		  "repository:x:pull" },
		{ "bearer REALM=\"r\", Service=s , SCOPE = \"a,b\"", "Bearer", "r", "s", "a,b" },
		{ "Basic realm=\"Registry Realm\"", "Basic", "Registry Realm", NULL, NULL },
		{ "BASIC", "Basic", NULL, NULL, NULL },
		{ "Bearer realm=\"a\\\"b\\\\c\"", "Bearer", "a\"b\\c", NULL, NULL },
		{ "Bearer realm=https://x/token,service=svc", "Bearer", "https://x/token", "svc", NULL },
		{ "Bearer foo=\"bar\", realm=\"r\", x=y", "Bearer", "r", NULL, NULL },
		{ "Bearer realm=\"first\", realm=\"second\"", "Bearer", "first", NULL, NULL },
		{ "Basic dXNlcjpwYXNz==", "Basic", NULL, NULL, NULL },
		{ "Basic realm=\"x\", Bearer realm=\"y\"", "Basic", "x", NULL, NULL },
		{ "  Bearer   realm = \"r\"  ", "Bearer", "r", NULL, NULL },
		{ "Bearer realm=\"\"", "Bearer", NULL, NULL, NULL },
		{ "Negotiate", "Negotiate", NULL, NULL, NULL },
		{ "Bearer realm=\"r\",,,service=\"s\",", "Bearer", "r", "s", NULL },
		{ "Bearer realm=\"r\" service=\"s\"", "Bearer", "r", "s", NULL },
		{ "Bearer realm=\"r\"garbage", "Bearer", "r", NULL, NULL },
		{ "Bearer realm==x", "Bearer", "=x", NULL, NULL },
		{ "Bearer realm=\"a,b=c\\\\\"", "Bearer", "a,b=c\\", NULL, NULL },
		{ huge_unknown, "Bearer", "r", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct auth_challenge c;
		if (registry_parse_challenge(cases[i].in, &c) != 0)
			fail_msg("'%s' was rejected", cases[i].in);
		check_str(c.scheme, cases[i].scheme, cases[i].in);
		check_str(c.realm, cases[i].realm, cases[i].in);
		check_str(c.service, cases[i].service, cases[i].in);
		check_str(c.scope, cases[i].scope, cases[i].in);
		auth_challenge_free(&c);
		auth_challenge_free(&c);
	}
}

static void test_challenge_hostile(void **state)
{
	(void)state;
	static char huge_realm[6000], long_scheme[100];
	snprintf(huge_realm, sizeof(huge_realm), "Bearer realm=\"%0*d\"", 5000, 0);
	memset(long_scheme, 'B', 80);
	const char *cases[] = {
		"",
		"   ",
		"\"Bearer\"",
		"Bearer realm=\"unterminated",
		"Bearer realm=\"x\\",
		"=realm",
		"Bearer ,=\"x\"",
		"Bearer\"x\"",
		"Bearer realm=\"a\x01b\"",
		"Bearer realm=\"a\tb\"", /* a tab inside a quoted value is a control character */
		"Bearer service=\"s\", realm=\"x",
		huge_realm,
		long_scheme,
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct auth_challenge c;
		if (registry_parse_challenge(cases[i], &c) != -1)
			fail_msg("'%.60s' was accepted", cases[i]);
		assert_null(c.scheme);
		assert_null(c.realm);
		assert_null(c.service);
		auth_challenge_free(&c);
	}
	struct auth_challenge c;
	assert_int_equal(registry_parse_challenge(NULL, &c), -1);
}

/* A poor man's fuzzer: random strings over an alphabet of the parser's
 * special characters, for ASan/valgrind to watch. */
static void test_challenge_random(void **state)
{
	(void)state;
	static const char alpha[] = "Bearer Basic realm=\"\\,\t =scope service\x01\xff";
	unsigned seed = 12345;
	char s[64];
	for (int round = 0; round < 50000; round++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = (seed >> 16) % (sizeof(s) - 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		s[n] = '\0';
		struct auth_challenge c;
		if (registry_parse_challenge(s, &c) == 0)
			assert_non_null(c.scheme);
		auth_challenge_free(&c);
	}
}

/* ---- mirrors ---- */

static void check_base(const char *mirrors, const char *registry, const char *want)
{
	struct registry_opts o = { .mirrors = mirrors };
	char *got = registry_base_url(&o, registry);
	if (!want && got)
		fail_msg("%s with '%s': got '%s', want NULL", registry, mirrors, got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("%s with '%s': got '%s', want '%s'", registry, mirrors ? mirrors : "(null)",
			 got ? got : "(null)", want);
	free(got);
}

static void test_mirror_mapping(void **state)
{
	(void)state;
	const char *m = "docker.io=http://127.0.0.1:5000,quay.io=https://m:8443";
	check_base(NULL, "docker.io", "https://registry-1.docker.io");
	check_base(NULL, "index.docker.io", "https://registry-1.docker.io");
	check_base(NULL, "quay.io", "https://quay.io");
	check_base(NULL, "localhost:5000", "https://localhost:5000");
	check_base("", "docker.io", "https://registry-1.docker.io");
	check_base(m, "docker.io", "http://127.0.0.1:5000");
	check_base(m, "quay.io", "https://m:8443");
	check_base(m, "ghcr.io", "https://ghcr.io");
	check_base(" docker.io = http://127.0.0.1:5000/ ,\tquay.io=https://m:8443 , ", "docker.io",
		   "http://127.0.0.1:5000");
	check_base("index.docker.io=http://h:1", "docker.io", "http://h:1");
	check_base("docker.io=https://m.example/prefix/", "docker.io", "https://m.example/prefix");
	check_base("docker.io=HTTP://h", "docker.io", "HTTP://h");
	/* invalid configurations name no URL and give no default */
	check_base("docker.io", "docker.io", NULL);
	check_base("docker.io=ftp://x", "docker.io", NULL);
	check_base("docker.io=http://u:SECRET@x", "docker.io", NULL);
	check_base("docker.io=http://a,docker.io=http://b", "docker.io", NULL);
	check_base("=http://x", "docker.io", NULL);
	check_base("docker.io=http://", "docker.io", NULL);
	check_base("docker.io=http://x y", "docker.io", NULL);
	check_base("docker.io=http://x?q=1", "docker.io", NULL);
	check_base("quay.io=nonsense,docker.io=http://x", "docker.io", NULL);
}

static void check_mirror_error(const char *mirrors, const char *want)
{
	struct registry_opts o = { .mirrors = mirrors, .timeout_s = 2 };
	struct image_ref r;
	struct registry_answer a;
	struct err e = { 0 };
	assert_int_equal(image_ref_parse("kyuz0/x:y", &r, &e), 0);
	assert_int_equal(registry_head_digest(&o, &r, &a), -1);
	assert_contains(a.err.msg, want);
	assert_no_secret(a.err.msg);
	assert_false(a.ok);
	assert_int_equal(a.status, 0);
	registry_answer_free(&a);
	image_ref_free(&r);
}

static void test_mirror_errors(void **state)
{
	(void)state;
	check_mirror_error("docker.io=ftp://x",
			   "invalid registry mirror entry 'docker.io=ftp://x': expected "
			   "REGISTRY=http(s)://HOST[:PORT]");
	check_mirror_error("quay.io=https://q, docker.io",
			   "invalid registry mirror entry 'docker.io'");
	check_mirror_error("docker.io=http://u:SECRET@x",
			   "registry mirror entry 1 must not contain credentials");
	check_mirror_error("docker.io=http://a,index.docker.io=http://b",
			   "registry mirror for 'docker.io' is given twice");
}

/* ---- base64 and auth.json ---- */

static void test_base64(void **state)
{
	(void)state;
	const struct {
		const char *in, *out;
	} ok[] = {
		{ "dXNlcjpwYXNz", "user:pass" }, { "YQ==", "a" }, { "YQ", "a" }, { "YWI=", "ab" },
		{ "YWI", "ab" }, { "", "" }, { "YWJj", "abc" },
	};
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(registry_base64_decode(ok[i].in, strlen(ok[i].in), &b), 0);
		assert_int_equal(b.len, strlen(ok[i].out));
		assert_memory_equal(b.p, ok[i].out, b.len);
	}
	assert_int_equal(registry_base64_decode("/+8=", 4, &b), 0);
	assert_int_equal(b.len, 2);
	assert_int_equal((unsigned char)b.p[0], 0xff);
	assert_int_equal((unsigned char)b.p[1], 0xef);
	const char *bad[] = { "Y", "YQ=", "Y Q==", "YQ==YQ==", "====", "YQ===", "Y-Q=", "YWJjZ" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (registry_base64_decode(bad[i], strlen(bad[i]), &b) != -1)
			fail_msg("'%s' was accepted", bad[i]);
	buf_free(&b);
}

static char *g_tmp; /* per-group temp dir */

static int group_tmp_setup(void **state)
{
	(void)state;
	g_tmp = make_tmpdir();
	return 0;
}

static int group_tmp_teardown(void **state)
{
	(void)state;
	rm_rf(g_tmp);
	free(g_tmp);
	g_tmp = NULL;
	return 0;
}

static void check_creds(const char *file, const char *host, const char *repo, const char *want)
{
	char *up = NULL;
	struct err e = { 0 };
	if (registry_find_credentials(file, host, repo, &up, &e) != 0)
		fail_msg("%s/%s: %s", host, repo ? repo : "", e.msg);
	if (!want && up)
		fail_msg("%s/%s: got credentials, want none", host, repo ? repo : "");
	if (want && (!up || strcmp(up, want) != 0))
		fail_msg("%s/%s: wrong credentials (want %s)", host, repo ? repo : "", want);
	free(up);
}

static char *auth_json(const char *const *kv)
{
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_adds(&b, "{\"auths\": {");
	for (size_t i = 0; kv[i]; i += 2) {
		char *enc = b64(kv[i + 1]);
		buf_addf(&b, "%s\"%s\": {\"auth\": \"%s\"}", i ? ", " : "", kv[i], enc);
		free(enc);
	}
	buf_adds(&b, "}}");
	return buf_detach(&b);
}

static void test_auth_lookup(void **state)
{
	(void)state;
	char *file = path_join(g_tmp, "auth.json");
	char *hub = b64("hub:pw-SECRET-hub"), *ky = b64("ky:pw-SECRET-ky"), *q = b64("q:pw-SECRET-q"),
	     *l = b64("l:pw-SECRET-l"), *nc = b64("justuser");
	char *text = xasprintf(
		"{\"auths\": {\n"
		"  \"https://index.docker.io/v1/\": {\"auth\": \"%s\"},\n"
		"  \"docker.io/kyuz0\": {\"auth\": \"%s\"},\n"
		"  \"quay.io\": {\"auth\": \"%s\"},\n"
		"  \"quay.io/org/img\": {\"username\": \"u\", \"password\": \"pw-SECRET-u\"},\n"
		"  \"http://127.0.0.1:5000/v2/\": {\"auth\": \"%s\"},\n"
		"  \"ghcr.io\": {},\n"
		"  \"bad.io\": {\"auth\": \"!!!SECRET\"},\n"
		"  \"nocolon.io\": {\"auth\": \"%s\"},\n"
		"  \"weird.io\": \"not an object\"\n"
		"}, \"credHelpers\": {}}\n",
		hub, ky, q, l, nc);
	write_text(file, text);
	check_creds(file, "docker.io", "library/ubuntu", "hub:pw-SECRET-hub");
	check_creds(file, "index.docker.io", "library/ubuntu", "hub:pw-SECRET-hub");
	check_creds(file, "docker.io", "kyuz0/x", "ky:pw-SECRET-ky");
	check_creds(file, "docker.io", "kyuz0", "ky:pw-SECRET-ky");
	check_creds(file, "docker.io", "kyuz0x/y", "hub:pw-SECRET-hub");
	check_creds(file, "quay.io", "org/img", "u:pw-SECRET-u");
	check_creds(file, "quay.io", "org/img/sub", "u:pw-SECRET-u");
	check_creds(file, "quay.io", "org/img2", "q:pw-SECRET-q");
	check_creds(file, "127.0.0.1:5000", "x", "l:pw-SECRET-l");
	check_creds(file, "ghcr.io", "a/b", NULL);
	check_creds(file, "other.io", "a/b", NULL);
	check_creds(file, "weird.io", "a/b", NULL);

	const char *bad_hosts[] = { "bad.io", "nocolon.io" };
	for (size_t i = 0; i < 2; i++) {
		char *up = NULL;
		struct err e = { 0 };
		assert_int_equal(registry_find_credentials(file, bad_hosts[i], "a", &up, &e), -1);
		assert_null(up);
		assert_contains(e.msg, file);
		assert_contains(e.msg, bad_hosts[i]);
		assert_no_secret(e.msg);
	}

	/* registry-1.docker.io as the key */
	const char *kv[] = { "registry-1.docker.io", "r1:pw-SECRET-r1", NULL };
	char *t2 = auth_json(kv);
	write_text(file, t2);
	check_creds(file, "docker.io", "library/ubuntu", "r1:pw-SECRET-r1");
	free(t2);

	/* malformed and missing files */
	write_text(file, "{\"auths\": {\"docker.io\": {\"auth\": \"SECRET\"");
	char *up = NULL;
	struct err e = { 0 };
	assert_int_equal(registry_find_credentials(file, "docker.io", "a/b", &up, &e), -1);
	assert_contains(e.msg, file);
	assert_no_secret(e.msg);
	char *missing = path_join(g_tmp, "missing.json");
	assert_int_equal(registry_find_credentials(missing, "docker.io", "a/b", &up, &e), -1);
	assert_contains(e.msg, "missing.json");
	free(missing);
	free(text);
	free(hub), free(ky), free(q), free(l), free(nc);
	free(file);
}

static void setenv_or_unset(const char *name, const char *val)
{
	if (val)
		setenv(name, val, 1);
	else
		unsetenv(name);
}

static void test_auth_default_search(void **state)
{
	(void)state;
	char *saved[3];
	const char *names[3] = { "HOME", "XDG_RUNTIME_DIR", "REGISTRY_AUTH_FILE" };
	for (int i = 0; i < 3; i++) {
		const char *v = getenv(names[i]);
		saved[i] = v ? xstrdup(v) : NULL;
	}
	char *home = path_join(g_tmp, "home"), *xdg = path_join(g_tmp, "xdg");
	char *d1 = path_join(home, ".docker"), *d2 = path_join(xdg, "containers");
	struct err e = { 0 };
	assert_int_equal(mkdir_p(d1, 0700, &e), 0);
	assert_int_equal(mkdir_p(d2, 0700, &e), 0);
	setenv("HOME", home, 1);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	unsetenv("REGISTRY_AUTH_FILE");

	check_creds(NULL, "docker.io", "a/b", NULL); /* no files at all */

	const char *kv1[] = { "docker.io", "dock:pw-SECRET-1", "quay.io", "dockq:pw-SECRET-2", NULL };
	const char *kv2[] = { "quay.io", "xdg:pw-SECRET-3", NULL };
	char *t1 = auth_json(kv1), *t2 = auth_json(kv2);
	char *f1 = path_join(d1, "config.json"), *f2 = path_join(d2, "auth.json");
	write_text(f1, t1);
	write_text(f2, t2);
	check_creds(NULL, "docker.io", "a/b", "dock:pw-SECRET-1");
	check_creds(NULL, "quay.io", "a/b", "xdg:pw-SECRET-3"); /* XDG first */

	setenv("REGISTRY_AUTH_FILE", f2, 1); /* only that file */
	check_creds(NULL, "docker.io", "a/b", NULL);
	check_creds(NULL, "quay.io", "a/b", "xdg:pw-SECRET-3");

	for (int i = 0; i < 3; i++) {
		setenv_or_unset(names[i], saved[i]);
		free(saved[i]);
	}
	free(t1), free(t2), free(f1), free(f2), free(d1), free(d2), free(home), free(xdg);
}

/* ---- a canned fake registry ---- */

struct fake_server {
	int fd, port;
	atomic_int stop;
	pthread_t thread;
	int parked[16]; /* connections left unanswered (timeouts) */
	int nparked;
	pthread_mutex_t lock;
	struct strv log; /* "METHOD PATH|AUTHORIZATION" per request */
	struct strv conns; /* the connection number of each request in log */
	int nconns;        /* connections accepted */
	atomic_int keepalive; /* answer without "Connection: close" */
	atomic_int expires_in; /* of the "short" repository's tokens */
};

static struct fake_server g_fake;
static char *g_basic_ok; /* "Authorization: Basic base64(user:pw-SECRET-2)" value */

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int status, const char *extra_headers, const char *body)
{
	char *r = xasprintf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s%s\r\n%s", status,
			    strlen(body), atomic_load(&g_fake.keepalive) ? "" : "Connection: close\r\n",
			    extra_headers, body);
	send_all(fd, r, strlen(r));
	free(r);
}

/* A Bearer challenge for SCOPE, with error="ERROR" when one is given. */
static void bearer_401_error(int fd, const char *scope, const char *error)
{
	char *h = xasprintf("WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\","
			    "service=\"fake.registry\",scope=\"repository:%s:pull\"%s%s%s\r\n",
			    g_fake.port, scope, error ? ",error=\"" : "", error ? error : "",
			    error ? "\"" : "");
	respond(fd, 401, h, "");
	free(h);
}

static void bearer_401(int fd, const char *scope)
{
	bearer_401_error(fd, scope, NULL);
}

static const char *token_for(const char *path, const char *auth)
{
	static _Thread_local char shortlived[128];
	if (strstr(path, "scope=repository%3Ashort%2Fapp%3Apull")) {
		/* a new token each time, living expires_in seconds */
		static atomic_int serial;
		snprintf(shortlived, sizeof(shortlived), "{\"token\":\"short-%d\",\"expires_in\":%d}",
			 atomic_fetch_add(&serial, 1), atomic_load(&g_fake.expires_in));
		return shortlived;
	}
	if (strstr(path, "scope=repository%3Alag%2Fapp%3Apull")) {
		/* lag-0, lag-1, ...: one second each */
		static atomic_int lag_serial;
		snprintf(shortlived, sizeof(shortlived), "{\"token\":\"lag-%d\",\"expires_in\":1}",
			 atomic_fetch_add(&lag_serial, 1));
		return shortlived;
	}
	if (strstr(path, "scope=repository%3Aotherpriv%2Fapp%3Apull"))
		return "{\"token\":\"tok-anon-8\"}";
	if (strstr(path, "scope=repository%3Ascoped%2Fapp%3Apull"))
		return "{\"token\":\"tok-SECRET-7\",\"expires_in\":300}";
	if (strstr(path, "scope=repository%3Ahuge%2Fapp%3Apull"))
		return NULL; /* answered in fake_handle */
	if (strstr(path, "scope=repository%3Abearer%2Fapp%3Apull"))
		return "{\"token\":\"tok-SECRET-1\",\"expires_in\":300}";
	if (strstr(path, "scope=repository%3Aprivate%2Fapp%3Apull"))
		return strcmp(auth, g_basic_ok) == 0 ? "{\"access_token\":\"tok-SECRET-3\"}" : NULL;
	if (strstr(path, "scope=repository%3Adenied%2Fapp%3Apull"))
		return "{\"token\":\"tok-SECRET-4\"}";
	if (strstr(path, "scope=repository%3Anoscope%2Fapp%3Apull"))
		return "{\"token\":\"tok-SECRET-5\"}";
	if (strstr(path, "scope=repository%3Acrlf%2Fapp%3Apull"))
		return "{\"token\":\"a\\r\\nX-Evil: SECRET\"}";
	if (strstr(path, "scope=repository%3Agarbage%2Fapp%3Apull"))
		return "<html>SECRET</html>";
	if (strstr(path, "scope=repository%3Anotoken%2Fapp%3Apull"))
		return "{\"expires_in\":300}";
	if (strstr(path, "scope=repository%3Aotherhost%2Fapp%3Apull"))
		return "{\"token\":\"tok-SECRET-6\"}";
	return NULL;
}

/* Answers one request; returns fd, or -1 when it was parked. */
static int fake_handle(int fd, const char *method, const char *path, const char *auth)
{
	const char *digest_a = "Docker-Content-Digest: " DIGEST_A "\r\n";
	char *h;
	if (strcmp(method, "GET") == 0 && str_starts_with(path, "/token?") &&
	    strstr(path, "scope=repository%3Ahuge%2Fapp%3Apull")) {
		struct buf b = BUF_INIT;
		buf_init(&b);
		buf_adds(&b, "{\"token\":\"");
		for (int i = 0; i < 70000; i++)
			buf_addc(&b, 'x');
		buf_adds(&b, "\"}");
		respond(fd, 200, "Content-Type: application/json\r\n", buf_str(&b));
		buf_free(&b);
	} else if (strcmp(method, "GET") == 0 && str_starts_with(path, "/token?")) {
		const char *t = token_for(path, auth);
		if (t)
			respond(fd, 200, "Content-Type: application/json\r\n", t);
		else
			respond(fd, 401, "", "{\"details\":\"incorrect username or password\"}");
	} else if (str_starts_with(path, "/v2/bearer/app/") || str_starts_with(path, "/v2/multi/app/")) {
		if (strcmp(auth, "Bearer tok-SECRET-1") == 0)
			respond(fd, 200, digest_a, "");
		else if (str_starts_with(path, "/v2/multi/")) {
			h = xasprintf("WWW-Authenticate: Basic realm=\"basic\"\r\n"
				      "WWW-Authenticate: Negotiate, Bearer realm=\"http://127.0.0.1:%d/token\","
				      "scope=\"repository:bearer/app:pull\"\r\n",
				      g_fake.port);
			respond(fd, 401, h, "");
			free(h);
		} else
			bearer_401(fd, "bearer/app");
	} else if (str_starts_with(path, "/v2/short/app/")) {
		/* only the newest short-N token is good */
		if (str_starts_with(auth, "Bearer short-"))
			respond(fd, 200, digest_a, "");
		else
			bearer_401(fd, "short/app");
	} else if (str_starts_with(path, "/v2/lag/app/")) {
		/* a far registry: the first two tokens have expired when their
		 * requests arrive (invalid_token, as distribution says it) */
		if (str_eq(auth, "Bearer lag-0") || str_eq(auth, "Bearer lag-1")) {
			usleep(1200 * 1000);
			bearer_401_error(fd, "lag/app", "invalid_token");
		} else if (str_starts_with(auth, "Bearer lag-")) {
			respond(fd, 200, digest_a, "");
		} else {
			bearer_401(fd, "lag/app");
		}
	} else if (str_starts_with(path, "/v2/scoped/app/")) {
		bearer_401_error(fd, "scoped/app",
				 strcmp(auth, "Bearer tok-SECRET-7") == 0 ? "insufficient_scope" : NULL);
	} else if (str_starts_with(path, "/v2/otherpriv/app/")) {
		/* a private repository whose realm is plain http on another host */
		h = xasprintf("WWW-Authenticate: Bearer realm=\"http://localhost:%d/token\","
			      "service=\"fake.registry\",scope=\"repository:otherpriv/app:pull\"%s\r\n",
			      g_fake.port, auth[0] ? ",error=\"insufficient_scope\"" : "");
		respond(fd, 401, h, "");
		free(h);
	} else if (str_starts_with(path, "/v2/huge/app/")) {
		bearer_401(fd, "huge/app");
	} else if (str_starts_with(path, "/v2/private/app/")) {
		if (strcmp(auth, "Bearer tok-SECRET-3") == 0)
			respond(fd, 200, "Docker-Content-Digest: " DIGEST_B "\r\n", "");
		else
			bearer_401(fd, "private/app");
	} else if (str_starts_with(path, "/v2/noscope/app/")) {
		if (strcmp(auth, "Bearer tok-SECRET-5") == 0)
			respond(fd, 200, digest_a, "");
		else {
			h = xasprintf("WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\"\r\n",
				      g_fake.port);
			respond(fd, 401, h, "");
			free(h);
		}
	} else if (str_starts_with(path, "/v2/basic/app/")) {
		if (strcmp(auth, g_basic_ok) == 0)
			respond(fd, 200, digest_a, "");
		else
			respond(fd, 401, "WWW-Authenticate: Basic realm=\"fake\"\r\n", "");
	} else if (str_starts_with(path, "/v2/denied/app/") || str_starts_with(path, "/v2/crlf/app/") ||
		   str_starts_with(path, "/v2/garbage/app/") || str_starts_with(path, "/v2/notoken/app/")) {
		char scope[64];
		snprintf(scope, sizeof(scope), "%.*s/app", (int)strcspn(path + 4, "/"), path + 4);
		bearer_401(fd, scope);
	} else if (str_starts_with(path, "/v2/otherhost/app/")) {
		/* a plain-http realm on another host name ("localhost" is not
		 * the registry's "127.0.0.1") */
		if (strcmp(auth, "Bearer tok-SECRET-6") == 0) {
			respond(fd, 200, digest_a, "");
		} else {
			h = xasprintf("WWW-Authenticate: Bearer realm=\"http://localhost:%d/token\","
				      "service=\"fake.registry\",scope=\"repository:otherhost/app:pull\"\r\n",
				      g_fake.port);
			respond(fd, 401, h, "");
			free(h);
		}
	} else if (str_starts_with(path, "/v2/filerealm/app/")) {
		respond(fd, 401, "WWW-Authenticate: Bearer realm=\"file:///etc/passwd\"\r\n", "");
	} else if (str_starts_with(path, "/v2/nochallenge/app/")) {
		respond(fd, 401, "", "");
	} else if (str_starts_with(path, "/v2/limited/app/")) {
		respond(fd, 429, "", "");
	} else if (str_starts_with(path, "/v2/broken/app/")) {
		respond(fd, 500, "", "");
	} else if (str_starts_with(path, "/v2/redirect/app/")) {
		respond(fd, 307, "Location: http://127.0.0.1:1/elsewhere\r\n", "");
	} else if (str_starts_with(path, "/v2/baddigest/app/")) {
		respond(fd, 200, "Docker-Content-Digest: sha256:xyz\x01zz\r\n", "");
	} else if (str_starts_with(path, "/v2/nodigest/app/")) {
		respond(fd, 200, "", "");
	} else if (str_starts_with(path, "/v2/cut/app/")) {
		send_all(fd, "HTTP/1.1 2", 10);
	} else if (str_starts_with(path, "/v2/cutheader/app/")) {
		send_all(fd, "HTTP/1.1 200 OK\r\nDocker-Content-Di", 34);
	} else if (str_starts_with(path, "/v2/deadrealm/app/")) {
		respond(fd, 401, "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:1/token\"\r\n", "");
	} else if (str_starts_with(path, "/v2/slowtok/app/")) {
		h = xasprintf("WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/slowtoken\"\r\n",
			      g_fake.port);
		respond(fd, 401, h, "");
		free(h);
	} else if (str_starts_with(path, "/v2/slow/app/") || str_starts_with(path, "/slowtoken")) {
		pthread_mutex_lock(&g_fake.lock);
		if (g_fake.nparked < 16) {
			g_fake.parked[g_fake.nparked++] = fd;
			fd = -1;
		}
		pthread_mutex_unlock(&g_fake.lock);
		if (fd >= 0)
			respond(fd, 500, "", "");
	} else {
		respond(fd, 404, "", "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}");
	}
	return fd;
}

/* One request from fd: 0 when answered, 1 when parked, -1 when there
 * was none to read. */
static int fake_serve_one(int fd, int conn)
{
	char req[16384];
	size_t n = 0;
	while (n < sizeof(req) - 1) {
		ssize_t r = recv(fd, req + n, sizeof(req) - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	char method[16] = "", path[4096] = "", auth[1024] = "";
	if (sscanf(req, "%15s %4095s", method, path) != 2)
		return -1;
	for (char *line = strstr(req, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "Authorization: ", 15) == 0) {
			size_t l = strcspn(line + 17, "\r\n");
			snprintf(auth, sizeof(auth), "%.*s", (int)l, line + 17);
		}
	}
	pthread_mutex_lock(&g_fake.lock);
	strv_pushf(&g_fake.log, "%s %s|%s", method, path, auth);
	strv_pushf(&g_fake.conns, "%d", conn);
	pthread_mutex_unlock(&g_fake.lock);
	return fake_handle(fd, method, path, auth) < 0 ? 1 : 0;
}

static void fake_serve(int fd)
{
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int conn = ++g_fake.nconns;
	int rc = fake_serve_one(fd, conn);
	if (rc == 1)
		return; /* parked: closed at teardown */
	if (rc < 0) {
		close(fd);
		return;
	}
	/* kept alive: more requests on it, while they come quickly */
	struct timeval quick = { .tv_usec = 300000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quick, sizeof(quick));
	while (atomic_load(&g_fake.keepalive) && fake_serve_one(fd, conn) == 0)
		;
	close(fd);
}

static void *fake_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_fake.stop)) {
		struct pollfd p = { .fd = g_fake.fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(g_fake.fd, NULL, NULL);
		if (c >= 0)
			fake_serve(c);
	}
	return NULL;
}

static int fake_setup(void **state)
{
	(void)state;
	memset(&g_fake, 0, sizeof(g_fake));
	pthread_mutex_init(&g_fake.lock, NULL);
	g_fake.fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (g_fake.fd < 0 || bind(g_fake.fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(g_fake.fd, 64) < 0 || getsockname(g_fake.fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	g_fake.port = ntohs(a.sin_port);
	char *enc = b64("user:pw-SECRET-2");
	g_basic_ok = xasprintf("Basic %s", enc);
	free(enc);
	g_tmp = make_tmpdir();
	return pthread_create(&g_fake.thread, NULL, fake_main, NULL) == 0 ? 0 : -1;
}

/* Each test starts as a new command with no cache. */
static int fresh_command(void **state)
{
	(void)state;
	registry_tokens_reset();
	return 0;
}

static int fake_teardown(void **state)
{
	(void)state;
	atomic_store(&g_fake.stop, 1);
	pthread_join(g_fake.thread, NULL);
	close(g_fake.fd);
	for (int i = 0; i < g_fake.nparked; i++)
		close(g_fake.parked[i]);
	strv_free(&g_fake.log);
	strv_free(&g_fake.conns);
	pthread_mutex_destroy(&g_fake.lock);
	free(g_basic_ok);
	rm_rf(g_tmp);
	free(g_tmp);
	g_tmp = NULL;
	return 0;
}

/* Did a request contain needle (or, exact, was one exactly that)? */
static bool fake_saw_ex(const char *needle, bool exact)
{
	bool seen = false;
	pthread_mutex_lock(&g_fake.lock);
	for (size_t i = 0; i < g_fake.log.n && !seen; i++)
		seen = exact ? strcmp(g_fake.log.v[i], needle) == 0
			     : strstr(g_fake.log.v[i], needle) != NULL;
	pthread_mutex_unlock(&g_fake.lock);
	return seen;
}

static bool fake_saw(const char *needle)
{
	return fake_saw_ex(needle, false);
}

/* HEAD docker.io/NAME/app:latest through the fake server as docker.io's
 * mirror, with auth.json giving user:pw-SECRET-2 for it. */
static int fake_head(const char *name, long timeout_s, struct registry_answer *a)
{
	char *mirrors = xasprintf("docker.io=http://127.0.0.1:%d", g_fake.port);
	char *file = path_join(g_tmp, "fake-auth.json");
	char *key = xasprintf("127.0.0.1:%d", g_fake.port);
	const char *kv[] = { key, "user:pw-SECRET-2", NULL };
	char *text = auth_json(kv);
	write_text(file, text);
	struct registry_opts o = { .mirrors = mirrors, .auth_file = file, .timeout_s = timeout_s };
	struct image_ref r;
	struct err e = { 0 };
	char *ref = xasprintf("%s/app", name);
	assert_int_equal(image_ref_parse(ref, &r, &e), 0);
	registry_tokens_reset(); /* each call is a command of its own */
	int rc = registry_head_digest(&o, &r, a);
	assert_no_secret(a->err.msg);
	if (rc == 0) {
		assert_true(a->ok);
		assert_non_null(a->digest);
	} else {
		assert_false(a->ok);
		assert_null(a->digest);
		assert_null(strchr(a->err.msg, '\n'));
	}
	image_ref_free(&r);
	free(ref), free(text), free(key), free(file), free(mirrors);
	return rc;
}

static void expect_fake_error(const char *name, long status, const char *want)
{
	struct registry_answer a;
	if (fake_head(name, 5, &a) != -1)
		fail_msg("%s: no error (digest %s)", name, a.digest);
	assert_contains(a.err.msg, want);
	assert_int_equal(a.status, status);
	registry_answer_free(&a);
}

static void expect_fake_digest(const char *name, const char *digest)
{
	struct registry_answer a;
	if (fake_head(name, 5, &a) != 0)
		fail_msg("%s: %s", name, a.err.msg);
	assert_string_equal(a.digest, digest);
	assert_int_equal(a.status, 200);
	registry_answer_free(&a);
}

static void test_fake_bearer(void **state)
{
	(void)state;
	expect_fake_digest("bearer", DIGEST_A);
	/* the token request carried the challenge's service and scope */
	char *want = xasprintf("GET /token?service=fake.registry&scope=repository%%3Abearer%%2Fapp"
			       "%%3Apull|%s", g_basic_ok);
	assert_true(fake_saw_ex(want, true));
	free(want);
	assert_true(fake_saw_ex("HEAD /v2/bearer/app/manifests/latest|Bearer tok-SECRET-1", true));
	expect_fake_digest("multi", DIGEST_A); /* Basic and Bearer offered: Bearer wins */
}

static void test_fake_bearer_anonymous(void **state)
{
	(void)state;
	char *mirrors = xasprintf("docker.io=http://127.0.0.1:%d", g_fake.port);
	char *file = path_join(g_tmp, "anon-auth.json");
	write_text(file, "{\"auths\": {\"docker.io\": {\"auth\": \"ZG9ja2VyOmh1Yg==\"}}}");
	struct registry_opts o = { .mirrors = mirrors, .auth_file = file };
	struct image_ref r;
	struct registry_answer a;
	struct err e = { 0 };
	/* docker.io's credentials are not sent to its mirror */
	assert_int_equal(image_ref_parse("docker.io/bearer/app:v1", &r, &e), 0);
	if (registry_head_digest(&o, &r, &a) != 0)
		fail_msg("%s", a.err.msg);
	assert_string_equal(a.digest, DIGEST_A);
	assert_true(fake_saw_ex("GET /token?service=fake.registry&scope=repository%3Abearer%2Fapp"
				"%3Apull|", true));
	assert_false(fake_saw("ZG9ja2VyOmh1Yg"));
	registry_answer_free(&a);
	image_ref_free(&r);
	free(file), free(mirrors);
}

static void test_fake_bearer_credentials(void **state)
{
	(void)state;
	expect_fake_digest("private", DIGEST_B); /* "access_token", Basic to the realm */
	char *want = xasprintf("scope=repository%%3Aprivate%%2Fapp%%3Apull|%s", g_basic_ok);
	assert_true(fake_saw(want));
	free(want);
	expect_fake_digest("noscope", DIGEST_A); /* default scope repository:REPO:pull */
	assert_true(fake_saw("GET /token?scope=repository%3Anoscope%2Fapp%3Apull|Basic "));
}

/* A plain-http registry whose realm is another host: the registry's
 * credentials must not travel there in clear (the token is asked for
 * anonymously).  Credentials go to a realm over https, or to the plain-http
 * registry's own host. */
static void test_fake_bearer_realm_elsewhere(void **state)
{
	(void)state;
	expect_fake_digest("otherhost", DIGEST_A);
	assert_true(fake_saw_ex("GET /token?service=fake.registry&scope=repository%3Aotherhost%2Fapp"
				"%3Apull|", true));
	assert_false(fake_saw("otherhost%2Fapp%3Apull|Basic"));
}

/* The same with a private repository: refused, and the line says the
 * credentials were kept back (never what they are). */
static void test_fake_bearer_realm_elsewhere_private(void **state)
{
	(void)state;
	expect_fake_error("otherpriv", 401, "access denied to docker.io/otherpriv/app (HTTP 401, "
					    "insufficient_scope): the credentials in auth.json were not "
					    "sent to the token service http://localhost:");
	assert_false(fake_saw("otherpriv%2Fapp%3Apull|Basic"));
}

static void test_realm_gets_credentials(void **state)
{
	(void)state;
	const struct {
		const char *realm, *base;
		bool yes;
	} cases[] = {
		{ "https://auth.docker.io/token", "https://registry-1.docker.io", true },
		{ "https://auth.example/token", "http://mirror.lan:5000", true },
		{ "HTTPS://auth.example/token", "http://mirror.lan:5000", true },
		{ "http://mirror.lan:5001/token", "http://mirror.lan:5000", true },
		{ "http://MIRROR.lan/token", "http://mirror.lan:5000", true },
		{ "http://[::1]:5001/token", "http://[::1]:5000", true },
		{ "http://auth.lan/token", "http://mirror.lan:5000", false },
		{ "http://localhost:5000/token", "http://127.0.0.1:5000", false },
		{ "http://mirror.lan@evil.example/token", "http://mirror.lan", false },
		{ "http://mirror.lan.evil.example/token", "http://mirror.lan", false },
		{ "http://mirror.lan/token", "https://mirror.lan", false }, /* never downgrade */
		{ "http://[::1]:5001/token", "http://[::2]:5000", false },
		{ "ftp://mirror.lan/token", "http://mirror.lan", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (registry_realm_gets_credentials(cases[i].realm, cases[i].base) != cases[i].yes)
			fail_msg("realm '%s', registry '%s': want %s", cases[i].realm, cases[i].base,
				 cases[i].yes ? "yes" : "no");
}

static void test_fake_basic(void **state)
{
	(void)state;
	expect_fake_digest("basic", DIGEST_A);
}

static void test_fake_denied(void **state)
{
	(void)state;
	expect_fake_error("denied", 401, "access denied to docker.io/denied/app (HTTP 401)");
	expect_fake_error("nochallenge", 401, "access denied to docker.io/nochallenge/app (HTTP 401");
	expect_fake_error("filerealm", 401, "invalid realm 'file:///etc/passwd'");
	expect_fake_error("crlf", 401, "the token answer holds a token with spaces or control "
				       "characters");
	expect_fake_error("notoken", 401, "the token answer holds no token");
	expect_fake_error("garbage", 401, "cannot get a token for docker.io from http://127.0.0.1:");
	expect_fake_error("garbage", 401, "/token: token answer:1:");
}

static void test_fake_basic_without_credentials(void **state)
{
	(void)state;
	char *mirrors = xasprintf("docker.io=http://127.0.0.1:%d", g_fake.port);
	char *file = path_join(g_tmp, "empty-auth.json");
	write_text(file, "{\"auths\": {}}");
	struct registry_opts o = { .mirrors = mirrors, .auth_file = file, .timeout_s = 5 };
	struct image_ref r;
	struct registry_answer a;
	struct err e = { 0 };
	assert_int_equal(image_ref_parse("basic/app:x", &r, &e), 0);
	assert_int_equal(registry_head_digest(&o, &r, &a), -1);
	assert_contains(a.err.msg, "access denied to docker.io/basic/app (HTTP 401; no credentials");
	assert_int_equal(a.status, 401);
	registry_answer_free(&a);
	/* wrong credentials for the token service */
	const char *kv[] = { "127.0.0.1", "user:wrong-SECRET", NULL };
	char *key = xasprintf("127.0.0.1:%d", g_fake.port);
	kv[0] = key;
	char *text = auth_json(kv);
	write_text(file, text);
	image_ref_free(&r);
	assert_int_equal(image_ref_parse("private/app", &r, &e), 0);
	assert_int_equal(registry_head_digest(&o, &r, &a), -1);
	assert_contains(a.err.msg, "access denied by the token service of docker.io (HTTP 401); "
				   "check the credentials");
	assert_no_secret(a.err.msg);
	registry_answer_free(&a);
	image_ref_free(&r);
	free(text), free(key), free(file), free(mirrors);
}

static void test_fake_status_errors(void **state)
{
	(void)state;
	expect_fake_error("limited", 429, "rate limited by docker.io (HTTP 429)");
	expect_fake_error("broken", 500, "registry docker.io answered HTTP 500");
	expect_fake_error("redirect", 307, "registry docker.io answered HTTP 307 for redirect/app:latest");
	expect_fake_error("unknown", 404, "tag 'latest' not found in docker.io/unknown/app (HTTP 404)");
	expect_fake_error("baddigest", 200, "registry docker.io answered an invalid digest 'sha256:xyz?zz'");
	expect_fake_error("nodigest", 200, "registry docker.io answered without a Docker-Content-Digest "
					   "for nodigest/app:latest");
}

static void test_fake_transport_errors(void **state)
{
	(void)state;
	char *want = xasprintf("cannot reach docker.io (http://127.0.0.1:%d): "
			       "http://127.0.0.1:%d/v2/cut/app/manifests/latest: ", g_fake.port,
			       g_fake.port);
	expect_fake_error("cut", 0, want);
	free(want);
	/* curl takes headers cut short as complete: the digest is missing */
	struct registry_answer c;
	assert_int_equal(fake_head("cutheader", 5, &c), -1);
	registry_answer_free(&c);
	struct registry_answer a;
	double t0 = now_mono();
	assert_int_equal(fake_head("slow", 1, &a), -1);
	assert_true(now_mono() - t0 < 4);
	assert_contains(a.err.msg, "cannot reach docker.io (http://127.0.0.1:");
	assert_contains(a.err.msg, "imed out");
	registry_answer_free(&a);
}


/* ---- tokens: one per repository per command, the cache ---- */

static size_t fake_count(const char *prefix)
{
	size_t n = 0;
	pthread_mutex_lock(&g_fake.lock);
	for (size_t i = 0; i < g_fake.log.n; i++)
		n += str_starts_with(g_fake.log.v[i], prefix);
	pthread_mutex_unlock(&g_fake.lock);
	return n;
}

static void fake_log_clear(void)
{
	pthread_mutex_lock(&g_fake.lock);
	strv_free(&g_fake.log);
	strv_free(&g_fake.conns);
	pthread_mutex_unlock(&g_fake.lock);
}

/* HEAD each of names ("bearer/app:t1"...) in one batch through the fake,
 * auth.json giving user:pw-SECRET-2 for its private/ namespace only;
 * cache: the token cache or NULL.  Returns how many answered a digest. */
static size_t fake_batch(const char *const *names, size_t n, const char *cache, long timeout_s,
			 struct registry_answer *ans)
{
	char *mirrors = xasprintf("docker.io=http://127.0.0.1:%d", g_fake.port);
	char *file = path_join(g_tmp, "batch-auth.json");
	char *key = xasprintf("127.0.0.1:%d/private", g_fake.port);
	const char *kv[] = { key, "user:pw-SECRET-2", NULL };
	char *text = auth_json(kv);
	write_text(file, text);
	struct registry_opts o = { .mirrors = mirrors, .auth_file = file, .timeout_s = timeout_s,
				   .token_cache = cache };
	struct image_ref *refs = xcalloc(n, sizeof(*refs));
	for (size_t i = 0; i < n; i++) {
		struct err e = { 0 };
		assert_int_equal(image_ref_parse(names[i], &refs[i], &e), 0);
	}
	registry_head_many(&o, refs, n, ans);
	size_t ok = 0;
	for (size_t i = 0; i < n; i++) {
		assert_no_secret(ans[i].err.msg);
		ok += ans[i].ok;
		image_ref_free(&refs[i]);
	}
	free(refs), free(text), free(key), free(file), free(mirrors);
	return ok;
}

static void answers_free(struct registry_answer *ans, size_t n)
{
	for (size_t i = 0; i < n; i++)
		registry_answer_free(&ans[i]);
}

static void test_token_shared(void **state)
{
	(void)state;
	const char *names[] = { "bearer/app:t1", "bearer/app:t2", "bearer/app:t3",
				"bearer/app:t4", "bearer/app:t5", "bearer/app:t6" };
	struct registry_answer ans[6];
	fake_log_clear();
	assert_int_equal(fake_batch(names, 6, NULL, 5, ans), 6);
	answers_free(ans, 6);
	assert_int_equal(fake_count("GET /token?"), 1); /* not one per backend */
	assert_int_equal(fake_count("HEAD /v2/bearer/app/manifests/"), 12);
	/* later in the same command: the token is reused, no 401 first */
	fake_log_clear();
	assert_int_equal(fake_batch(names, 3, NULL, 5, ans), 3);
	answers_free(ans, 3);
	assert_int_equal(fake_count("GET /token?"), 0);
	assert_int_equal(fake_count("HEAD /v2/bearer/app/manifests/t1|Bearer tok-SECRET-1"), 1);
	assert_int_equal(fake_count("HEAD /v2/bearer/app/manifests/"), 3);
}

static void test_token_cache(void **state)
{
	(void)state;
	char *cache = path_join(g_tmp, "cache/registry-tokens.json");
	const char *names[] = { "bearer/app:t1", "bearer/app:t2", "private/app:p1" };
	struct registry_answer ans[3];
	unlink(cache);
	fake_log_clear();
	assert_int_equal(fake_batch(names, 3, cache, 5, ans), 3);
	answers_free(ans, 3);
	assert_int_equal(fake_count("GET /token?"), 2);
	/* kept: the anonymous token and the challenge, never the token got
	 * with credentials; only the owner may read it */
	struct stat st;
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct buf b = BUF_INIT;
	struct err e = { 0 };
	buf_init(&b);
	assert_int_equal(read_file(cache, 1 << 20, &b, &e), 0);
	assert_contains(buf_str(&b), "tok-SECRET-1");
	assert_contains(buf_str(&b), "\"service\": \"fake.registry\"");
	assert_null(strstr(buf_str(&b), "tok-SECRET-3"));
	assert_null(strstr(buf_str(&b), "pw-SECRET-2"));
	buf_free(&b);

	/* the next command: the anonymous token from the cache, the other
	 * asked for before the first HEAD (the challenge is known) */
	registry_tokens_reset();
	fake_log_clear();
	assert_int_equal(fake_batch(names, 3, cache, 5, ans), 3);
	answers_free(ans, 3);
	assert_int_equal(fake_count("GET /token?"), 1);
	assert_int_equal(fake_count("GET /token?service=fake.registry&scope=repository%3Aprivate"
				    "%2Fapp%3Apull|Basic "), 1);
	assert_int_equal(fake_count("HEAD /v2/"), 3); /* no 401 round trip */
	assert_int_equal(fake_count("HEAD /v2/bearer/app/manifests/t1|Bearer tok-SECRET-1"), 1);

	/* a kept token the registry refuses (revoked): one new token */
	write_text(cache, "{\"version\": 1, \"tokens\": [{\"base\": \"x\", \"repo\": \"y\"},"
			  " {\"base\": \"http://127.0.0.1:1\", \"repo\": \"bearer/app\", "
			  "\"token\": \"a b\", \"expires_at\": 99999999999, \"lifetime\": 300}]}");
	registry_tokens_reset();
	fake_log_clear();
	char *text = registry_tokens_dump(now_unix());
	assert_null(strstr(text, "a b"));
	free(text);
	char *revoked = xasprintf("{\"version\": 1, \"tokens\": [{\"base\": \"http://127.0.0.1:%d\","
				  " \"repo\": \"bearer/app\", \"token\": \"revoked-1\", "
				  "\"expires_at\": %lld, \"lifetime\": 300}]}",
				  g_fake.port, (long long)now_unix() + 200);
	write_text(cache, revoked);
	free(revoked);
	assert_int_equal(fake_batch(names, 2, cache, 5, ans), 2);
	answers_free(ans, 2);
	assert_int_equal(fake_count("HEAD /v2/bearer/app/manifests/t1|Bearer revoked-1"), 1);
	assert_int_equal(fake_count("GET /token?"), 1);

	/* a cache that is not one is ignored, then rewritten */
	write_text(cache, "{\"version\": 1, \"tokens\": [");
	registry_tokens_reset();
	fake_log_clear();
	assert_int_equal(fake_batch(names, 2, cache, 5, ans), 2);
	answers_free(ans, 2);
	assert_int_equal(fake_count("GET /token?"), 1);
	buf_init(&b);
	assert_int_equal(read_file(cache, 1 << 20, &b, &e), 0);
	assert_contains(buf_str(&b), "tok-SECRET-1");
	buf_free(&b);
	registry_tokens_reset();
	free(cache);
}

/* A token that expires during the command is renewed before use. */
static void test_token_expiry(void **state)
{
	(void)state;
	const char *names[] = { "short/app:a", "short/app:b" };
	struct registry_answer ans[2];
	atomic_store(&g_fake.expires_in, 1);
	fake_log_clear();
	assert_int_equal(fake_batch(names, 2, NULL, 5, ans), 2);
	answers_free(ans, 2);
	assert_int_equal(fake_count("GET /token?"), 1);
	sleep(2);
	assert_int_equal(fake_batch(names, 2, NULL, 5, ans), 2);
	answers_free(ans, 2);
	assert_int_equal(fake_count("GET /token?"), 2);
	/* asked before the HEADs: the challenge is known */
	assert_int_equal(fake_count("HEAD /v2/short/app/manifests/a|Bearer short-"), 2);
	assert_int_equal(fake_count("HEAD /v2/short/app/manifests/a|"), 3);
}

/* A token fetched for the question and refused after its lifetime ran
 * out expired on the way: another is fetched (three at most); a token
 * refused within its lifetime is the answer (test_errors' "denied"). */
static void test_token_expired_on_the_way(void **state)
{
	(void)state;
	const char *names[] = { "lag/app:a" };
	struct registry_answer ans[1];
	fake_log_clear();
	assert_int_equal(fake_batch(names, 1, NULL, 10, ans), 1);
	assert_string_equal(ans[0].digest, DIGEST_A);
	answers_free(ans, 1);
	assert_int_equal(fake_count("GET /token?"), 3);
	assert_int_equal(fake_count("HEAD /v2/lag/app/manifests/a|Bearer lag-2"), 1);
}

/* insufficient_scope with a token just fetched: said, not retried */
static void test_token_insufficient_scope(void **state)
{
	(void)state;
	const char *names[] = { "scoped/app:a", "scoped/app:b" };
	struct registry_answer ans[2];
	fake_log_clear();
	assert_int_equal(fake_batch(names, 2, NULL, 5, ans), 0);
	for (int i = 0; i < 2; i++) {
		assert_contains(ans[i].err.msg, "access denied to docker.io/scoped/app (HTTP 401, "
						"insufficient_scope)");
		assert_int_equal(ans[i].status, 401);
	}
	answers_free(ans, 2);
	assert_int_equal(fake_count("GET /token?"), 1);
	assert_int_equal(fake_count("HEAD /v2/scoped/app/"), 4);
	/* later in the command (the tag list walk): the same line, no request */
	fake_log_clear();
	assert_int_equal(fake_batch(names, 1, NULL, 5, ans), 0);
	assert_contains(ans[0].err.msg, "(HTTP 401, insufficient_scope)");
	registry_answer_free(&ans[0]);
	assert_int_equal(fake_count(""), 0);
}

/* Bad token services: one line per backend, no secret. */
static void test_token_bad_services(void **state)
{
	(void)state;
	const char *names[] = { "huge/app:a", "huge/app:b", "deadrealm/app:a", "slowtok/app:a",
				"bearer/app:a" };
	struct registry_answer ans[5];
	fake_log_clear();
	double t0 = now_mono();
	size_t got = fake_batch(names, 5, NULL, 1, ans);
	assert_int_equal(got, 1);
	assert_true(now_mono() - t0 < 4); /* the slow one is not waited for twice */
	assert_contains(ans[0].err.msg, "holds a token of 70000 bytes (at most 65536)");
	assert_string_equal(ans[0].err.msg, ans[1].err.msg);
	assert_contains(ans[2].err.msg, "cannot get a token for docker.io: http://127.0.0.1:1/token");
	assert_contains(ans[3].err.msg, "cannot get a token for docker.io: ");
	assert_contains(ans[3].err.msg, "imed out");
	for (int i = 0; i < 4; i++)
		assert_null(strchr(ans[i].err.msg, '\n'));
	assert_int_equal(fake_count("GET /token?"), 2); /* huge once, bearer once */
	answers_free(ans, 5);
}

/* Connections are kept: a command's requests to a host share one. */
static void test_keepalive(void **state)
{
	(void)state;
	struct registry_answer a;
	atomic_store(&g_fake.keepalive, 1);
	fake_log_clear();
	int before = g_fake.nconns;
	const char *one[] = { "bearer/app:k1" }, *two[] = { "bearer/app:k2" };
	assert_int_equal(fake_batch(one, 1, NULL, 5, &a), 1);
	registry_answer_free(&a);
	assert_int_equal(fake_batch(two, 1, NULL, 5, &a), 1);
	registry_answer_free(&a);
	atomic_store(&g_fake.keepalive, 0);
	assert_int_equal(fake_count("HEAD /v2/bearer/app/"), 3);
	assert_int_equal(fake_count("GET /token?"), 1);
	assert_int_equal(g_fake.nconns - before, 1);
	http_pool_cleanup();
}

/* The tag list's first page asked with the HEADs, then taken by the
 * session without a request of its own; one token for all. */
static void test_prefetch(void **state)
{
	(void)state;
	char *mirrors = xasprintf("docker.io=http://127.0.0.1:%d", g_fake.port);
	struct registry_opts o = { .mirrors = mirrors, .timeout_s = 5 };
	struct image_ref refs[2];
	struct registry_answer ans[2];
	struct err e = { 0 };
	assert_int_equal(image_ref_parse("bearer/app:a", &refs[0], &e), 0);
	assert_int_equal(image_ref_parse("bearer/app:b", &refs[1], &e), 0);
	char *paths[] = { "/v2/bearer/app/tags/list?n=7" };
	fake_log_clear();
	registry_head_many_prefetch(&o, refs, 2, ans, refs, paths, 1, 4096);
	assert_true(ans[0].ok && ans[1].ok);
	answers_free(ans, 2);
	assert_int_equal(fake_count("GET /token?"), 1);
	assert_int_equal(fake_count("GET /v2/bearer/app/tags/list?n=7|Bearer tok-SECRET-1"), 1);
	struct registry_session *s;
	struct http_resp resp = { 0 };
	assert_int_equal(registry_session_open(&o, &refs[0], &s, &e), 0);
	assert_int_equal(registry_session_get(s, paths[0], 4096, &resp, &e), 0);
	assert_int_equal(resp.status, 200);
	/* the 401 and the answer: no GET of the session's own */
	assert_int_equal(fake_count("GET /v2/bearer/app/tags/list"), 2);
	/* taken once: the next one is asked (with the token, no 401) */
	assert_int_equal(registry_session_get(s, paths[0], 4096, &resp, &e), 0);
	assert_int_equal(fake_count("GET /v2/bearer/app/tags/list"), 3);
	assert_int_equal(fake_count("GET /token?"), 1);
	http_resp_free(&resp);
	registry_session_close(s);
	image_ref_free(&refs[0]);
	image_ref_free(&refs[1]);
	free(mirrors);
}

static void test_token_parse(void **state)
{
	(void)state;
	char *t;
	long x;
	struct err e = { 0 };
	const char *ok1 = "{\"token\":\"abc\",\"access_token\":\"abc\",\"expires_in\":300,"
			  "\"issued_at\":\"2026-11-30T12:00:00Z\"}";
	assert_int_equal(registry_token_parse(ok1, strlen(ok1), &t, &x, &e), 0);
	assert_string_equal(t, "abc");
	assert_int_equal(x, 300);
	registry_secret_free(t);
	const char *ok2 = "{\"access_token\":\"def\"}"; /* no expires_in: 60 s */
	assert_int_equal(registry_token_parse(ok2, strlen(ok2), &t, &x, &e), 0);
	assert_string_equal(t, "def");
	assert_int_equal(x, 60);
	registry_secret_free(t);
	const char *ok3 = "{\"token\":\"\",\"access_token\":\"g\",\"expires_in\":99999999999}";
	assert_int_equal(registry_token_parse(ok3, strlen(ok3), &t, &x, &e), 0);
	assert_string_equal(t, "g");
	assert_int_equal(x, 7L * 24 * 3600);
	registry_secret_free(t);
	const struct {
		const char *in, *want;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{}", "holds no token" },
		{ "{\"token\": 5}", "holds no token" },
		{ "{\"token\": \"a\\u0000b\"}", "control characters" },
		{ "{\"token\": \"ab\", \"expires_in\": \"300\"}", "expires_in is not a whole number" },
		{ "{\"token\": \"SECRET", "token answer:" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(registry_token_parse(bad[i].in, strlen(bad[i].in), &t, &x, &e), -1);
		assert_null(t);
		assert_contains(e.msg, bad[i].want);
		assert_no_secret(e.msg);
	}
}

/* ---- the real registry (Debian's docker-registry) ---- */

struct real_registry {
	pid_t pid;
	int port;
	char *dir, *base, *mirrors;
};

static struct real_registry g_reg;

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = path_join(d, prog);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

static int http_simple(const char *method, const char *url, const char *ctype, const char *body,
		       size_t body_len, struct http_resp *resp)
{
	struct http_req req;
	struct err e = { 0 };
	http_req_init(&req, method, url);
	req.body = body;
	req.body_len = body_len;
	req.content_type = ctype;
	req.timeout_s = 10;
	memset(resp, 0, sizeof(*resp));
	int rc = http_do(&req, resp, &e);
	http_req_free(&req);
	return rc;
}

static void stop_registry(void)
{
	if (g_reg.pid > 0) {
		kill(g_reg.pid, SIGTERM);
		waitpid(g_reg.pid, NULL, 0);
		g_reg.pid = 0;
	}
}

static int registry_setup(void **state)
{
	(void)state;
	memset(&g_reg, 0, sizeof(g_reg));
	if (!in_path("docker-registry"))
		return 0; /* the tests skip */
	g_reg.dir = make_tmpdir();
	g_reg.port = free_port();
	char *conf = path_join(g_reg.dir, "config.yml");
	char *text = xasprintf("version: 0.1\n"
			       "log:\n  level: error\n"
			       "storage:\n  filesystem:\n    rootdirectory: %s/data\n"
			       "  delete:\n    enabled: true\n"
			       "http:\n  addr: 127.0.0.1:%d\n",
			       g_reg.dir, g_reg.port);
	write_text(conf, text);
	free(text);
	char *log = path_join(g_reg.dir, "registry.log");
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("docker-registry", "docker-registry", "serve", conf, (char *)NULL);
		_exit(127);
	}
	free(log);
	free(conf);
	if (pid < 0)
		return -1;
	g_reg.pid = pid;
	g_reg.base = xasprintf("http://127.0.0.1:%d", g_reg.port);
	g_reg.mirrors = xasprintf("docker.io=%s", g_reg.base);
	char *ping = xasprintf("%s/v2/", g_reg.base);
	int ok = 0;
	for (int i = 0; i < 150 && !ok; i++) {
		struct http_resp resp;
		if (http_simple("GET", ping, NULL, NULL, 0, &resp) == 0 && resp.status == 200)
			ok = 1;
		http_resp_free(&resp);
		if (!ok) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				g_reg.pid = 0;
				break;
			}
			usleep(100 * 1000);
		}
	}
	free(ping);
	if (!ok) {
		fprintf(stderr, "docker-registry did not start (see its log in %s)\n", g_reg.dir);
		stop_registry();
		return -1;
	}
	return 0;
}

static int registry_teardown(void **state)
{
	(void)state;
	stop_registry();
	if (g_reg.dir)
		rm_rf(g_reg.dir);
	free(g_reg.dir);
	free(g_reg.base);
	free(g_reg.mirrors);
	memset(&g_reg, 0, sizeof(g_reg));
	return 0;
}

#define NEED_REGISTRY()                                               \
	do {                                                          \
		if (!g_reg.base)                                      \
			skip();                                       \
	} while (0)

/* POST an upload, PUT its content; returns the blob's digest */
static char *push_blob(const char *repo, const char *data, size_t len)
{
	char *digest = sha256_digest(data, len);
	char *url = xasprintf("%s/v2/%s/blobs/uploads/", g_reg.base, repo);
	struct http_resp resp;
	assert_int_equal(http_simple("POST", url, "application/octet-stream", "", 0, &resp), 0);
	assert_int_equal(resp.status, 202);
	char loc[4096];
	assert_non_null(http_header(&resp, "Location", loc, sizeof(loc)));
	http_resp_free(&resp);
	char *put = xasprintf("%s%s%cdigest=%s", loc[0] == '/' ? g_reg.base : "", loc,
			      strchr(loc, '?') ? '&' : '?', digest);
	assert_int_equal(http_simple("PUT", put, "application/octet-stream", data, len, &resp), 0);
	assert_int_equal(resp.status, 201);
	http_resp_free(&resp);
	free(put);
	free(url);
	return digest;
}

/* Push a one-layer OCI image; returns the manifest's digest. */
static char *push_image(const char *repo, const char *tag, const char *flavour)
{
	char *layer = xasprintf("layer of %s:%s (%s)", repo, tag, flavour);
	char *layer_digest = push_blob(repo, layer, strlen(layer));
	char *config = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"%s\","
				 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
				 flavour, layer_digest);
	char *config_digest = push_blob(repo, config, strlen(config));
	char *manifest = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		"\"digest\":\"%s\",\"size\":%zu},"
		"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
		"\"digest\":\"%s\",\"size\":%zu}]}",
		config_digest, strlen(config), layer_digest, strlen(layer));
	char *digest = sha256_digest(manifest, strlen(manifest));
	char *url = xasprintf("%s/v2/%s/manifests/%s", g_reg.base, repo, tag);
	struct http_resp resp;
	assert_int_equal(http_simple("PUT", url, "application/vnd.oci.image.manifest.v1+json",
				     manifest, strlen(manifest), &resp),
			 0);
	if (resp.status != 201)
		fail_msg("manifest PUT: HTTP %ld: %s", resp.status, buf_str(&resp.body));
	char got[256];
	assert_non_null(http_header(&resp, "Docker-Content-Digest", got, sizeof(got)));
	assert_string_equal(got, digest);
	http_resp_free(&resp);
	free(url), free(manifest), free(config_digest), free(config), free(layer_digest), free(layer);
	return digest;
}

static int real_head(const char *ref, struct registry_answer *a)
{
	struct registry_opts o = { .mirrors = g_reg.mirrors, .timeout_s = 5 };
	struct image_ref r;
	struct err e = { 0 };
	assert_int_equal(image_ref_parse(ref, &r, &e), 0);
	int rc = registry_head_digest(&o, &r, a);
	image_ref_free(&r);
	return rc;
}

static void test_real_head_digest(void **state)
{
	(void)state;
	NEED_REGISTRY();
	char *digest = push_image("kyuz0/amd-strix-halo-toolboxes", "rocm-7.2", "one");
	struct registry_answer a;
	if (real_head("docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.2", &a) != 0)
		fail_msg("%s", a.err.msg);
	assert_string_equal(a.digest, digest);
	assert_int_equal(a.status, 200);
	registry_answer_free(&a);

	/* a nightly rebuild under the same tag changes the digest */
	char *digest2 = push_image("kyuz0/amd-strix-halo-toolboxes", "rocm-7.2", "two");
	assert_string_not_equal(digest, digest2);
	assert_int_equal(real_head("kyuz0/amd-strix-halo-toolboxes:rocm-7.2", &a), 0);
	assert_string_equal(a.digest, digest2);
	registry_answer_free(&a);

	/* by digest */
	char *by_digest = xasprintf("kyuz0/amd-strix-halo-toolboxes@%s", digest2);
	assert_int_equal(real_head(by_digest, &a), 0);
	assert_string_equal(a.digest, digest2);
	registry_answer_free(&a);
	free(by_digest);

	/* a withdrawn tag */
	char *url = xasprintf("%s/v2/kyuz0/amd-strix-halo-toolboxes/manifests/%s", g_reg.base, digest2);
	struct http_resp resp;
	assert_int_equal(http_simple("DELETE", url, NULL, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 202);
	http_resp_free(&resp);
	assert_int_equal(real_head("kyuz0/amd-strix-halo-toolboxes:rocm-7.2", &a), -1);
	assert_int_equal(a.status, 404);
	registry_answer_free(&a);
	free(url), free(digest), free(digest2);
}

static void test_real_unknown_tag(void **state)
{
	(void)state;
	NEED_REGISTRY();
	char *digest = push_image("kyuz0/other", "vulkan", "x");
	struct registry_answer a;
	assert_int_equal(real_head("kyuz0/other:no-such-tag", &a), -1);
	assert_string_equal(a.err.msg,
			    "tag 'no-such-tag' not found in docker.io/kyuz0/other (HTTP 404)");
	assert_int_equal(a.status, 404);
	assert_false(a.ok);
	registry_answer_free(&a);
	assert_int_equal(real_head("kyuz0/no-such-repo:x", &a), -1);
	assert_string_equal(a.err.msg, "tag 'x' not found in docker.io/kyuz0/no-such-repo (HTTP 404)");
	registry_answer_free(&a);
	free(digest);
}

static void test_real_head_many(void **state)
{
	(void)state;
	NEED_REGISTRY();
	enum { N = 20 };
	char *want[N];
	struct image_ref refs[N];
	struct registry_answer ans[N];
	for (int i = 0; i < N; i++) {
		char tag[32], ref[128];
		snprintf(tag, sizeof(tag), "t%d", i);
		want[i] = i % 5 == 4 ? NULL : push_image("kyuz0/many", tag, tag);
		snprintf(ref, sizeof(ref), "kyuz0/many:%s", tag);
		struct err e = { 0 };
		assert_int_equal(image_ref_parse(ref, &refs[i], &e), 0);
	}
	struct registry_opts o = { .mirrors = g_reg.mirrors, .timeout_s = 10 };
	registry_head_many(&o, refs, N, ans);
	for (int i = 0; i < N; i++) {
		if (want[i]) {
			if (!ans[i].ok)
				fail_msg("t%d: %s", i, ans[i].err.msg);
			assert_string_equal(ans[i].digest, want[i]);
		} else {
			assert_false(ans[i].ok);
			assert_int_equal(ans[i].status, 404);
			char msg[128];
			snprintf(msg, sizeof(msg), "tag 't%d' not found", i);
			assert_contains(ans[i].err.msg, msg);
		}
		registry_answer_free(&ans[i]);
		image_ref_free(&refs[i]);
		free(want[i]);
	}
	registry_head_many(&o, NULL, 0, NULL);
}

/* last of its group: stops the registry */
static void test_real_stopped(void **state)
{
	(void)state;
	NEED_REGISTRY();
	stop_registry();
	struct registry_answer a;
	assert_int_equal(real_head("kyuz0/other:vulkan", &a), -1);
	char *want = xasprintf("cannot reach docker.io (http://127.0.0.1:%d): http://127.0.0.1:%d/v2/"
			       "kyuz0/other/manifests/vulkan: ",
			       g_reg.port, g_reg.port);
	assert_contains(a.err.msg, want);
	assert_int_equal(a.status, 0);
	assert_false(a.ok);
	registry_answer_free(&a);
	free(want);
}

int main(void)
{
	const struct CMUnitTest parsing[] = {
		cmocka_unit_test(test_ref_parse_valid),
		cmocka_unit_test(test_ref_parse_invalid),
		cmocka_unit_test(test_ref_name),
		cmocka_unit_test(test_challenge_valid),
		cmocka_unit_test(test_challenge_hostile),
		cmocka_unit_test(test_challenge_random),
		cmocka_unit_test(test_mirror_mapping),
		cmocka_unit_test(test_mirror_errors),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_auth_lookup),
		cmocka_unit_test(test_auth_default_search),
		cmocka_unit_test(test_realm_gets_credentials),
		cmocka_unit_test(test_token_parse),
	};
	const struct CMUnitTest fake[] = {
		cmocka_unit_test_setup(test_fake_bearer, fresh_command),
		cmocka_unit_test_setup(test_fake_bearer_anonymous, fresh_command),
		cmocka_unit_test_setup(test_fake_bearer_credentials, fresh_command),
		cmocka_unit_test_setup(test_fake_bearer_realm_elsewhere, fresh_command),
		cmocka_unit_test_setup(test_fake_bearer_realm_elsewhere_private, fresh_command),
		cmocka_unit_test_setup(test_fake_basic, fresh_command),
		cmocka_unit_test_setup(test_fake_basic_without_credentials, fresh_command),
		cmocka_unit_test_setup(test_fake_denied, fresh_command),
		cmocka_unit_test_setup(test_fake_status_errors, fresh_command),
		cmocka_unit_test_setup(test_fake_transport_errors, fresh_command),
		cmocka_unit_test_setup(test_token_shared, fresh_command),
		cmocka_unit_test_setup(test_token_cache, fresh_command),
		cmocka_unit_test_setup(test_token_expiry, fresh_command),
		cmocka_unit_test_setup(test_token_expired_on_the_way, fresh_command),
		cmocka_unit_test_setup(test_token_insufficient_scope, fresh_command),
		cmocka_unit_test_setup(test_token_bad_services, fresh_command),
		cmocka_unit_test_setup(test_keepalive, fresh_command),
		cmocka_unit_test_setup(test_prefetch, fresh_command),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_head_digest),
		cmocka_unit_test(test_real_unknown_tag),
		cmocka_unit_test(test_real_head_many),
		cmocka_unit_test(test_real_stopped),
	};
	int fails = cmocka_run_group_tests_name("registry parsing", parsing, group_tmp_setup,
						group_tmp_teardown);
	fails += cmocka_run_group_tests_name("registry fake server", fake, fake_setup, fake_teardown);
	fails += cmocka_run_group_tests_name("registry docker-registry", real, registry_setup,
					     registry_teardown);
	return fails ? 1 : 0;
}
