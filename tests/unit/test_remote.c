/* test_remote.c - Podman connections: the containers.conf TOML subset,
 * podman-connections.json, the files and their precedence, URIs, and
 * remote_connect's ssh handling against a fake ssh (this very binary run
 * as "ssh": it forwards nothing, it serves or refuses on the local end). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remote.h"
#include "util.h"

static char g_tmp[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_text(const char *path, const char *text)
{
	struct err e = { 0 };
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, &e), 0);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/tbx-test-remote.XXXXXX");
	assert_non_null(mkdtemp(g_tmp));
	return 0;
}

static int teardown_tmp(void **state)
{
	(void)state;
	rm_rf(g_tmp);
	unsetenv("CONTAINERS_CONF");
	unsetenv("CONTAINERS_CONF_OVERRIDE");
	unsetenv("PODMAN_CONNECTIONS_CONF");
	return 0;
}

static int parse_conf(const char *text, struct connections *c, char **active, struct err *e)
{
	memset(c, 0, sizeof(*c));
	*active = NULL;
	return connections_parse_conf(text, strlen(text), "test.conf", c, active, e);
}

/* ---- containers.conf ---- */

static void test_conf_podman4(void **state)
{
	(void)state;
	static const char text[] =
		"# containers.conf with everything a real one has\r\n"
		"[containers]\r\n"
		"default_ulimits = [\n"
		"  \"nofile=20000:20000\", # a comment with \"quotes\" and ] brackets\n"
		"  'nproc=4096:4096',\n"
		"]\n"
		"env = [\"A=[x]\", \"B=#y\"]\n"
		"log_size_max = -1\n"
		"init = false\n"
		"shm_size = \"65536k\"\n"
		"pids_limit = 2_048\n"
		"ratio = 1.5e3\n"
		"when = 1979-05-27 07:32:00Z\n"
		"table = { a = 1, b = [1, 2], c = { d = 'e' } }\n"
		"empty = {}\n"
		"banner = \"\"\"\n"
		"uri = \"ssh://not-a-key\"\n"
		"[engine.service_destinations.nope]\n"
		"\"\"\"\n"
		"[engine]\n"
		"active_service = \"prod\"   # the default\n"
		"runtime = 'runc'\n"
		"[engine.service_destinations]\n"
		"  [engine.service_destinations.prod]\n"
		"  uri = \"ssh://core@prod.example:2222/run/user/1000/podman/podman.sock\"\n"
		"  identity = \"/home/u/.ssh/id_ed25519\"\n"
		"  [engine.service_destinations.\"lab box\"]\n"
		"  uri = 'ssh://root@lab/run/podman/podman.sock'\n"
		"[engine.service_destinations . 'esc']\n"
		"uri = \"ssh://u\\u00e9@h/x\\tsock\"\n"
		"[[engine.service_destinations.arr]]\n"
		"uri = \"ssh://ignored/x\"\n"
		"[engine.volume_plugins]\n"
		"[machine]\n"
		"cpus = 4\n";
	struct connections c;
	char *active;
	struct err e = { 0 };
	assert_int_equal(parse_conf(text, &c, &active, &e), 0);
	assert_string_equal(active, "prod");
	assert_int_equal(c.n, 3);
	const struct connection *p = connection_find(&c, "prod");
	assert_non_null(p);
	assert_string_equal(p->uri,
			    "ssh://core@prod.example:2222/run/user/1000/podman/podman.sock");
	assert_string_equal(p->identity, "/home/u/.ssh/id_ed25519");
	p = connection_find(&c, "lab box");
	assert_non_null(p);
	assert_string_equal(p->uri, "ssh://root@lab/run/podman/podman.sock");
	assert_null(p->identity);
	p = connection_find(&c, "esc");
	assert_non_null(p);
	assert_string_equal(p->uri, "ssh://u\xc3\xa9@h/x\tsock");
	assert_null(connection_find(&c, "nope"));
	assert_null(connection_find(&c, "arr"));
	connections_free(&c);
	free(active);
}

static void test_conf_dotted_keys(void **state)
{
	(void)state;
	static const char text[] =
		"engine.active_service = 'a'\n"
		"[engine]\n"
		"service_destinations.a.uri = \"unix:///run/a.sock\"\n"
		"service_destinations.b = { uri = \"ignored: inline tables are skipped\" }\n"
		"multi = '''\n"
		"lit '' with \\ no escapes'''\n"
		"quotes = \"\"\"x\"\"\"\"\"\n";
	struct connections c;
	char *active;
	struct err e = { 0 };
	assert_int_equal(parse_conf(text, &c, &active, &e), 0);
	assert_string_equal(active, "a");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].uri, "unix:///run/a.sock");
	connections_free(&c);
	free(active);
}

static void test_conf_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[engine]\nactive_service = \"open\n", "test.conf:2: unterminated string" },
		{ "[engine\n", "test.conf:1: expected ']' after the table name" },
		{ "[[a]\n", "test.conf:1: expected ']]' after the table name" },
		{ "a = 1\nb\n", "test.conf:2: expected '=' after the key" },
		{ "a = \"x\" y\n", "test.conf:1: unexpected text after the value" },
		{ "a = \n", "test.conf:1: expected a value" },
		{ "a = [1, 2\n", "test.conf:2: unterminated array" },
		{ "a = [1 2]\n", "test.conf:1: expected ',' or ']' in an array" },
		{ "a = {b = 1\n", "test.conf:1: expected ',' or '}' in an inline table" },
		{ "a = \"\\q\"\n", "test.conf:1: invalid escape in a string" },
		{ "a = \"\\uZZZZ\"\n", "test.conf:1: invalid \\u escape in a string" },
		{ "a = \"\\uD800\"\n", "test.conf:1: invalid Unicode escape in a string" },
		{ "a = \"x\\u0000y\"\n", "test.conf:1: NUL character in a string" },
		{ "a = \"\x01\"\n", "test.conf:1: control character in a string" },
		{ "= 1\n", "test.conf:1: expected a key" },
		{ "\n\n\"\"\" = 1\n", "test.conf:3: a key cannot be a multi-line string" },
		{ "a = '''never closed\n\n", "test.conf:3: unterminated string" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct connections c;
		char *active;
		struct err e = { 0 };
		assert_int_equal(parse_conf(cases[i].text, &c, &active, &e), -1);
		if (strcmp(e.msg, cases[i].msg) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, e.msg, cases[i].msg);
		assert_int_equal(e.exit_code, EXIT_USAGE);
		connections_free(&c);
		free(active);
	}
}

/* Hostile nesting and random bytes: an error or a result, never a crash. */
static void test_conf_hostile(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_adds(&b, "a = ");
	for (int i = 0; i < 10000; i++)
		buf_addc(&b, '[');
	struct connections c;
	char *active;
	struct err e = { 0 };
	assert_int_equal(parse_conf(b.p, &c, &active, &e), -1);
	assert_non_null(strstr(e.msg, "nested too deeply"));
	connections_free(&c);
	free(active);
	srand(42);
	static const char alphabet[] = "[]{}=\"'\\.,#\n \tabc123-_:u";
	for (int round = 0; round < 3000; round++) {
		buf_reset(&b);
		int n = rand() % 80;
		for (int i = 0; i < n; i++)
			buf_addc(&b, alphabet[rand() % (int)(sizeof(alphabet) - 1)]);
		memset(&e, 0, sizeof(e));
		int rc = connections_parse_conf(b.p, b.len, "fuzz", (memset(&c, 0, sizeof(c)), &c),
						(active = NULL, &active), &e);
		assert_true(rc == 0 || (rc == -1 && e.msg[0]));
		connections_free(&c);
		free(active);
	}
	buf_free(&b);
}

/* ---- podman-connections.json ---- */

static void test_json(void **state)
{
	(void)state;
	static const char text[] =
		"{\"Connection\": {\"Default\": \"m\", \"Connections\": {"
		"\"m\": {\"URI\": \"ssh://core@127.0.0.1:40123/run/user/1000/podman/podman.sock\", "
		"\"Identity\": \"/k\", \"IsMachine\": true},"
		"\"n\": {\"URI\": \"unix:///run/podman/podman.sock\"}}},"
		"\"Farm\": {\"List\": {}}}";
	struct connections c = { 0 };
	char *def = NULL;
	struct err e = { 0 };
	assert_int_equal(connections_parse_json(text, strlen(text), "c.json", &c, &def, &e), 0);
	assert_string_equal(def, "m");
	assert_int_equal(c.n, 2);
	assert_string_equal(connection_find(&c, "m")->identity, "/k");
	assert_null(connection_find(&c, "n")->identity);
	connections_free(&c);
	free(def);

	static const char *const bad[] = {
		"{\"Connection\": [] }",
		"{\"Connection\": {\"Connections\": {\"x\": {\"Identity\": \"/k\"}}}}",
		"{\"Connection\": {\"Connections\": {\"x\": 5}}}",
		"{\"Connection\": ",
		"[]",
		"null\r", /* found by fuzz_containers_conf: it failed without a message */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		def = NULL;
		assert_int_equal(
			connections_parse_json(bad[i], strlen(bad[i]), "c.json", &c, &def, &e), -1);
		assert_true(str_starts_with(e.msg, "c.json"));
		assert_int_equal(e.exit_code, EXIT_USAGE); /* as containers.conf's errors */
		connections_free(&c);
		free(def);
	}
	/* found by fuzz_containers_conf: a connection's name is printed sanitised */
	const char *esc = "{\"Connection\": {\"Connections\": {\"a\\u001b[2Jb\": {}}}}";
	memset(&e, 0, sizeof(e));
	assert_int_equal(connections_parse_json(esc, strlen(esc), "c.json", &c, &def, &e), -1);
	assert_null(strchr(e.msg, '\033'));
	assert_non_null(strstr(e.msg, "connection 'a?[2Jb' has no"));
	connections_free(&c);
}

/* ---- the files ---- */

static void test_load_precedence(void **state)
{
	(void)state;
	char *conf = path_join(g_tmp, "containers.conf");
	char *over = path_join(g_tmp, "override.conf");
	char *json = path_join(g_tmp, "podman-connections.json");
	write_text(conf,
		   "[engine]\nactive_service = \"a\"\n"
		   "[engine.service_destinations.a]\nuri = \"ssh://old/a.sock\"\n"
		   "[engine.service_destinations.b]\nuri = \"ssh://h/b.sock\"\nidentity = \"/kb\"\n"
		   "[engine.service_destinations.noturi]\nidentity = \"/x\"\n");
	write_text(over, "[engine.service_destinations.b]\nuri = \"ssh://over/b.sock\"\n");
	write_text(json,
		   "{\"Connection\": {\"Connections\": {\"a\": {\"URI\": \"ssh://new/a.sock\"}}}}");
	setenv("CONTAINERS_CONF", conf, 1);
	setenv("CONTAINERS_CONF_OVERRIDE", over, 1);
	setenv("PODMAN_CONNECTIONS_CONF", json, 1);
	struct connections c;
	struct err e = { 0 };
	assert_int_equal(connections_load(&c, &e), 0);
	assert_int_equal(c.n, 2);
	/* the JSON file wins on a shared name and comes first */
	assert_string_equal(c.v[0].name, "a");
	assert_string_equal(c.v[0].uri, "ssh://new/a.sock");
	assert_true(c.v[0].is_default); /* no JSON default: active_service */
	assert_string_equal(c.v[1].uri, "ssh://over/b.sock");
	assert_string_equal(c.v[1].identity, "/kb");
	assert_false(c.v[1].is_default);
	connections_free(&c);

	write_text(json, "{\"Connection\": {\"Default\": \"b\"}}");
	assert_int_equal(connections_load(&c, &e), 0);
	assert_true(connection_find(&c, "b")->is_default);
	assert_false(connection_find(&c, "a")->is_default);
	connections_free(&c);

	/* missing files are no error; a broken one names itself */
	unlink(json);
	unsetenv("CONTAINERS_CONF_OVERRIDE");
	assert_int_equal(connections_load(&c, &e), 0);
	assert_int_equal(c.n, 2);
	connections_free(&c);
	write_text(conf, "[engine]\nactive_service = 'x\n");
	assert_int_equal(connections_load(&c, &e), -1);
	assert_true(str_starts_with(e.msg, conf));
	assert_non_null(strstr(e.msg, ":2: unterminated string"));
	free(conf), free(over), free(json);
}

static void test_load_xdg(void **state)
{
	(void)state;
	char *dir = path_join(g_tmp, "xdg/containers");
	struct err e = { 0 };
	assert_int_equal(mkdir_p(dir, 0700, &e), 0);
	char *json = path_join(dir, "podman-connections.json");
	write_text(json, "{\"Connection\": {\"Default\": \"x\", \"Connections\": "
			 "{\"x\": {\"URI\": \"unix:///x.sock\"}}}}");
	char *xdg = path_join(g_tmp, "xdg");
	char *conf = path_join(g_tmp, "empty.conf");
	write_text(conf, "");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	setenv("CONTAINERS_CONF", conf, 1);
	struct connections c;
	assert_int_equal(connections_load(&c, &e), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.v[0].is_default);
	connections_free(&c);
	unsetenv("XDG_CONFIG_HOME");
	free(dir), free(json), free(xdg), free(conf);
}

/* ---- URIs ---- */

static void test_uri(void **state)
{
	(void)state;
	struct remote_uri u;
	struct err e = { 0 };
	assert_int_equal(
		remote_uri_parse("ssh://root@127.0.0.1:2222/run/podman/podman.sock", &u, &e), 0);
	assert_true(u.ssh);
	assert_string_equal(u.user, "root");
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 2222);
	assert_string_equal(u.path, "/run/podman/podman.sock");
	remote_uri_free(&u);
	assert_int_equal(
		remote_uri_parse("ssh://box.lan/run/user/1000/podman/podman.sock?secure=true", &u,
				 &e),
		0);
	assert_null(u.user);
	assert_int_equal(u.port, 0);
	assert_string_equal(u.path, "/run/user/1000/podman/podman.sock");
	remote_uri_free(&u);
	assert_int_equal(remote_uri_parse("ssh://u@[::1]:22/s.sock", &u, &e), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 22);
	remote_uri_free(&u);
	assert_int_equal(remote_uri_parse("unix:///run/podman/podman.sock", &u, &e), 0);
	assert_false(u.ssh);
	assert_string_equal(u.path, "/run/podman/podman.sock");
	remote_uri_free(&u);

	static const char *const bad[] = {
		"tcp://h:8080",
		"ssh://host",
		"ssh://host/",
		"ssh://host/?secure=true", /* found by fuzz_remote_uri: path "/" */
		"ssh://-oProxyCommand=touch%20x/s.sock",
		"ssh://-l@h/s.sock",
		"ssh://h:0/s.sock",
		"ssh://h:70000/s.sock",
		"ssh://h:22x/s.sock",
		"ssh://h o/s.sock",
		"ssh://h/a:b.sock",
		"ssh://[::1/s.sock",
		"unix://relative.sock",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (remote_uri_parse(bad[i], &u, &e) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(e.exit_code, EXIT_USAGE);
		assert_null(u.host);
	}
}

/* ---- remote_connect with a fake ssh ---- */

static char g_self[PATH_MAX];

/* This binary run as "ssh": FAKE_SSH=serve answers every connection on
 * the -L local end with a Podman /version reply, =mute accepts and closes,
 * =deny prints ssh's publickey refusal and exits 255.  The arguments go
 * to $FAKE_SSH_ARGV, one a line. */
static int fake_ssh(int argc, char **argv)
{
	const char *mode = getenv("FAKE_SSH");
	const char *log = getenv("FAKE_SSH_ARGV");
	FILE *f = log ? fopen(log, "w") : NULL;
	char *local = NULL;
	for (int i = 1; i < argc; i++) {
		if (f)
			fprintf(f, "%s\n", argv[i]);
		if (strcmp(argv[i], "-L") == 0 && i + 1 < argc)
			local = xstrndup(argv[i + 1], strcspn(argv[i + 1], ":"));
	}
	if (f)
		fclose(f);
	signal(SIGPIPE, SIG_IGN); /* tbx's probe connects and hangs up at once */
	if (!mode || strcmp(mode, "deny") == 0 || !local) {
		fprintf(stderr, "Warning: something first\nroot@127.0.0.1: Permission denied "
				"(publickey).\n");
		free(local);
		return 255;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", local);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
		return 254;
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (strcmp(mode, "serve") == 0) {
			char req[4096];
			size_t got = 0;
			ssize_t n;
			while (got < sizeof(req) - 1 &&
			       (n = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
				got += (size_t)n;
				req[got] = '\0';
				if (strstr(req, "\r\n\r\n"))
					break;
			}
			static const char body[] = "{\"Version\":\"5.4.2\"}";
			if (got)
				dprintf(c,
					"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLibpod-Api-Version: 5.4.2\r\n"
					"Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
					strlen(body), body);
		} else {
			fprintf(stderr, "channel 2: open failed: connect failed: No such file or "
					"directory\n");
		}
		close(c);
	}
}

static char *g_bin, *g_argv_log;

static int setup_fake(void **state)
{
	setup_tmp(state);
	g_bin = path_join(g_tmp, "bin");
	assert_int_equal(mkdir(g_bin, 0700), 0);
	char *ssh = path_join(g_bin, "ssh");
	assert_int_equal(symlink(g_self, ssh), 0);
	free(ssh);
	g_argv_log = path_join(g_tmp, "argv");
	char *conf = path_join(g_tmp, "containers.conf");
	char *run = path_join(g_tmp, "run");
	assert_int_equal(mkdir(run, 0700), 0);
	write_text(conf, "[engine.service_destinations.box]\n"
			 "uri = \"ssh://core@box.example:2222/run/user/1000/podman/podman.sock\"\n"
			 "identity = \"~/.ssh/box key\"\n"
			 "[engine.service_destinations.local]\n"
			 "uri = \"unix:///nonexistent/podman.sock\"\n"
			 "[engine.service_destinations.tcp]\n"
			 "uri = \"tcp://box:8080\"\n");
	setenv("CONTAINERS_CONF", conf, 1);
	setenv("PODMAN_CONNECTIONS_CONF", "/nonexistent/podman-connections.json", 1);
	setenv("FAKE_SSH_ARGV", g_argv_log, 1);
	setenv("PATH", g_bin, 1);
	setenv("HOME", "/home/u", 1);
	setenv("XDG_RUNTIME_DIR", run, 1);
	free(conf), free(run);
	return 0;
}

static int teardown_fake(void **state)
{
	teardown_tmp(state);
	free(g_bin), free(g_argv_log);
	unsetenv("FAKE_SSH");
	return 0;
}

/* No tbx-ssh-* directory is left in the runtime directory. */
static void assert_no_forward_dirs(void)
{
	char *run = path_join(g_tmp, "run");
	DIR *d = opendir(run);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			fail_msg("left behind: %s/%s", run, de->d_name);
	closedir(d);
	free(run);
}

static void test_connect_serve(void **state)
{
	(void)state;
	setenv("FAKE_SSH", "serve", 1);
	struct podman p;
	struct err e = { 0 };
	if (remote_connect("box", &p, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(p.host, "box.example");
	assert_true(p.ssh_pid > 0);
	assert_non_null(p.tmpdir);
	struct stat st;
	assert_int_equal(stat(p.tmpdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(str_starts_with(p.socket, p.tmpdir));
	char *version = NULL;
	assert_int_equal(podman_ping(&p, &version, &e), 0);
	assert_string_equal(version, "5.4.2");
	free(version);

	struct buf args = BUF_INIT;
	assert_int_equal(read_file(g_argv_log, 65536, &args, &e), 0);
	char *want =
		xasprintf("-nNT\n-o\nBatchMode=yes\n-o\nExitOnForwardFailure=yes\n-o\n"
			  "ControlPath=none\n-o\nConnectTimeout=10\n-o\nServerAliveInterval=15\n"
			  "-o\nServerAliveCountMax=4\n-i\n/home/u/.ssh/box key\n-p2222\n-l\ncore\n"
			  "-L\n%s:/run/user/1000/podman/podman.sock\n--\nbox.example\n",
			  p.socket);
	assert_string_equal(args.p, want);
	free(want);
	buf_free(&args);

	pid_t pid = p.ssh_pid;
	char *dir = xstrdup(p.tmpdir);
	podman_close(&p);
	assert_int_equal(kill(pid, 0), -1); /* stopped and reaped */
	assert_false(path_exists(dir));
	free(dir);
	assert_no_forward_dirs();
}

static void test_connect_denied(void **state)
{
	(void)state;
	setenv("FAKE_SSH", "deny", 1);
	struct podman p;
	struct err e = { 0 };
	assert_int_equal(remote_connect("box", &p, &e), -1);
	assert_string_equal(e.msg,
			    "connection 'box' (core@box.example): ssh failed: "
			    "root@127.0.0.1: Permission denied (publickey). (ssh must log in "
			    "without a prompt: try 'ssh -o BatchMode=yes -i ~/.ssh/box key "
			    "-p 2222 -l core box.example true')");
	assert_null(p.socket);
	assert_no_forward_dirs();
}

static void test_connect_no_podman(void **state)
{
	(void)state;
	setenv("FAKE_SSH", "mute", 1);
	struct podman p;
	struct err e = { 0 };
	assert_int_equal(remote_connect("box", &p, &e), -1);
	assert_string_equal(e.msg, "connection 'box' (core@box.example): ssh works, but Podman "
				   "does not answer on /run/user/1000/podman/podman.sock there (is "
				   "its service running? e.g. 'systemctl --user enable --now "
				   "podman.socket'): ssh said: channel 2: open failed: connect "
				   "failed: No such file or directory");
	assert_null(p.socket);
	assert_int_equal(p.ssh_pid, 0);
	assert_no_forward_dirs();
	/* the fake ssh was stopped: nothing of ours is left to reap */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_connect_errors(void **state)
{
	(void)state;
	struct podman p;
	struct err e = { 0 };
	assert_int_equal(remote_connect("nope", &p, &e), -1);
	assert_int_equal(e.exit_code, EXIT_USAGE);
	assert_string_equal(e.msg, "unknown Podman connection 'nope' (known: box, local, tcp)");
	memset(&e, 0, sizeof(e));
	assert_int_equal(remote_connect("tcp", &p, &e), -1);
	assert_int_equal(e.exit_code, EXIT_USAGE);
	assert_true(str_starts_with(e.msg, "Podman connection 'tcp': URI 'tcp://box:8080' is not "
					   "supported"));
	/* unix:// is opened directly: no ssh, the host is this one */
	assert_int_equal(remote_connect("local", &p, &e), 0);
	assert_string_equal(p.socket, "/nonexistent/podman.sock");
	assert_int_equal(p.ssh_pid, 0);
	assert_null(p.tmpdir);
	podman_close(&p);
	/* no ssh on PATH */
	char *empty = path_join(g_tmp, "empty");
	mkdir(empty, 0700);
	setenv("PATH", empty, 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(remote_connect("box", &p, &e), -1);
	assert_non_null(strstr(e.msg, "cannot run ssh: No such file or directory (install "
				      "openssh-client)"));
	setenv("PATH", g_bin, 1);
	free(empty);
	assert_no_forward_dirs();
}

static void test_no_connections(void **state)
{
	(void)state;
	char *conf = path_join(g_tmp, "none.conf");
	write_text(conf, "# nothing\n");
	setenv("CONTAINERS_CONF", conf, 1);
	struct podman p;
	struct err e = { 0 };
	assert_int_equal(remote_connect("x", &p, &e), -1);
	assert_string_equal(e.msg, "unknown Podman connection 'x' (none defined: add one with "
				   "'podman system connection add')");
	free(conf);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	if (strcmp(base ? base + 1 : argv[0], "ssh") == 0)
		return fake_ssh(argc, argv);
	ssize_t n = readlink("/proc/self/exe", g_self, sizeof(g_self) - 1);
	assert_true(n > 0);
	g_self[n] = '\0';
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest parsing[] = {
		cmocka_unit_test(test_conf_podman4),
		cmocka_unit_test(test_conf_dotted_keys),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_hostile),
		cmocka_unit_test(test_json),
		cmocka_unit_test_setup_teardown(test_load_precedence, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_load_xdg, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_uri),
	};
	const struct CMUnitTest connect[] = {
		cmocka_unit_test_setup_teardown(test_connect_serve, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_connect_denied, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_connect_no_podman, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_connect_errors, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_no_connections, setup_fake, teardown_fake),
	};
	int failed = cmocka_run_group_tests_name("connections", parsing, NULL, NULL);
	failed += cmocka_run_group_tests_name("remote_connect", connect, NULL, NULL);
	return failed ? 1 : 0;
}
