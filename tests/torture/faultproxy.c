/* faultproxy.c - a tiny loopback HTTP proxy that injects registry faults.
 *
 *   faultproxy PORTFILE UPSTREAM_PORT CONTROLFILE LOGFILE
 *
 * Listens on 127.0.0.1 (a free port, written to PORTFILE), and for every
 * connection reads the request head, then looks up what to do in
 * CONTROLFILE (re-read per connection, so a test changes the fault by
 * rewriting it). Each line of CONTROLFILE is "MODE [SUBSTRING]": the first
 * line whose SUBSTRING occurs in the request line (or that has none) wins;
 * no match means "pass". Modes:
 *
 *   pass        relay the connection to 127.0.0.1:UPSTREAM_PORT untouched
 *   404 403 429 500 502 503   answer that status (a registry-like JSON error)
 *   401         401 with a Basic challenge
 *   401bearer   401 with a Bearer challenge whose realm (this proxy's
 *               /token) answers 401 as well
 *   close       close the connection without answering (empty reply)
 *   reset       close with a TCP RST
 *   midclose    send part of a 200 header block, then close
 *   cut:N       relay, but close after N bytes of the upstream's answer
 *   hang        accept and say nothing (until killed, at most 300 s)
 *   baddigest   200 with an invalid Docker-Content-Digest
 *   nodigest    200 without a Docker-Content-Digest
 *   hugeheader  200 with a 1 MB header line
 *   garbage     a non-HTTP answer (binary noise)
 *
 * One line per request goes to LOGFILE: "MODE METHOD TARGET".
 * Plain C11 + POSIX; no dependency beyond libc (CI has no python3).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *g_control, *g_log;
static int g_upstream_port, g_port;

static void die(const char *what)
{
	fprintf(stderr, "faultproxy: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static void logline(const char *mode, const char *reqline)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "%s %s\n", mode, reqline);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	int fd = open(g_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)write_all(fd, line, (size_t)n);
		close(fd);
	}
}

/* the first matching line's mode, in out (default "pass") */
static void pick_mode(const char *reqline, char *out, size_t outsz)
{
	snprintf(out, outsz, "pass");
	FILE *f = fopen(g_control, "r");
	if (!f)
		return;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		char *mode = line + strspn(line, " \t");
		if (!*mode || *mode == '#')
			continue;
		char *sp = mode + strcspn(mode, " \t");
		char *match = NULL;
		if (*sp) {
			*sp = 0;
			match = sp + 1 + strspn(sp + 1, " \t");
			if (!*match)
				match = NULL;
		}
		if (!match || strstr(reqline, match)) {
			snprintf(out, outsz, "%s", mode);
			break;
		}
	}
	fclose(f);
}

static void answer(int c, int status, const char *reason, const char *extra_headers,
		   bool head)
{
	char body[512];
	int blen = snprintf(body, sizeof(body),
			    "{\"errors\":[{\"code\":\"TORTURE\",\"message\":\"injected %d %s\"}]}\n",
			    status, reason);
	size_t cap = 1024 + (extra_headers ? strlen(extra_headers) : 0);
	char *hdr = malloc(cap);
	if (!hdr)
		return;
	int hlen = snprintf(hdr, cap,
			    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			    "Content-Length: %d\r\nDocker-Distribution-Api-Version: registry/2.0\r\n"
			    "%sConnection: close\r\n\r\n",
			    status, reason, blen, extra_headers ? extra_headers : "");
	if (hlen > 0 && (size_t)hlen < cap)
		(void)write_all(c, hdr, (size_t)hlen);
	free(hdr);
	if (!head)
		(void)write_all(c, body, (size_t)blen);
}

/* relay between c (holding `have` bytes of request already read) and upstream */
static void relay(int c, const char *have, size_t have_len, long cut)
{
	int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_upstream_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u < 0 || connect(u, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(c); /* upstream down: like a dead registry behind a proxy */
		return;
	}
	if (write_all(u, have, have_len) < 0)
		return;
	long sent_back = 0;
	struct pollfd p[2] = { { c, POLLIN, 0 }, { u, POLLIN, 0 } };
	char buf[65536];
	for (;;) {
		if (poll(p, 2, 120000) <= 0)
			return;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(p[i].fd, buf, sizeof(buf));
			if (r <= 0)
				return;
			size_t n = (size_t)r;
			if (i == 1 && cut >= 0) {
				if (sent_back + (long)n > cut)
					n = (size_t)(cut - sent_back);
				sent_back += (long)n;
			}
			if (write_all(p[1 - i].fd, buf, n) < 0)
				return;
			if (i == 1 && cut >= 0 && sent_back >= cut)
				return;
		}
	}
}

static void serve(int c)
{
	char head[65536];
	size_t len = 0;
	struct pollfd p = { c, POLLIN, 0 };
	while (len < sizeof(head) - 1) {
		if (poll(&p, 1, 10000) <= 0)
			return;
		ssize_t r = read(c, head + len, sizeof(head) - 1 - len);
		if (r <= 0)
			return;
		len += (size_t)r;
		head[len] = 0;
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	char reqline[1024];
	size_t rl = strcspn(head, "\r\n");
	if (rl >= sizeof(reqline))
		rl = sizeof(reqline) - 1;
	memcpy(reqline, head, rl);
	reqline[rl] = 0;
	bool is_head = strncmp(reqline, "HEAD ", 5) == 0;
	char mode[256];
	/* the Bearer realm of 401bearer: always refuse */
	if (strstr(reqline, " /token")) {
		logline("token401", reqline);
		answer(c, 401, "Unauthorized", NULL, is_head);
		return;
	}
	pick_mode(reqline, mode, sizeof(mode));
	logline(mode, reqline);
	if (strcmp(mode, "pass") == 0) {
		relay(c, head, len, -1);
	} else if (strncmp(mode, "cut:", 4) == 0) {
		relay(c, head, len, atol(mode + 4));
	} else if (strcmp(mode, "401") == 0) {
		answer(c, 401, "Unauthorized", "WWW-Authenticate: Basic realm=\"tbx-torture\"\r\n",
		       is_head);
	} else if (strcmp(mode, "401bearer") == 0) {
		char h[512];
		snprintf(h, sizeof(h),
			 "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\","
			 "service=\"torture\",scope=\"repository:x:pull\"\r\n",
			 g_port);
		answer(c, 401, "Unauthorized", h, is_head);
	} else if (strcmp(mode, "close") == 0) {
		/* nothing */
	} else if (strcmp(mode, "reset") == 0) {
		struct linger l = { 1, 0 };
		setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	} else if (strcmp(mode, "midclose") == 0) {
		static const char part[] = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci."
					   "image.index.v1+json\r\nContent-Length: 1234\r\nDocker-Con";
		(void)write_all(c, part, sizeof(part) - 1);
	} else if (strcmp(mode, "hang") == 0) {
		alarm(300);
		pause();
	} else if (strcmp(mode, "baddigest") == 0) {
		answer(c, 200, "OK", "Docker-Content-Digest: sha256:../../etc/passwd\x1b[31m\r\n",
		       is_head);
	} else if (strcmp(mode, "nodigest") == 0) {
		answer(c, 200, "OK", NULL, is_head);
	} else if (strcmp(mode, "hugeheader") == 0) {
		size_t n = 1 << 20;
		char *h = malloc(n + 64);
		if (h) {
			memcpy(h, "X-Huge: ", 8);
			memset(h + 8, 'A', n);
			memcpy(h + 8 + n, "\r\n", 3); /* with its NUL */
			answer(c, 200, "OK", h, is_head);
			free(h);
		}
	} else if (strcmp(mode, "garbage") == 0) {
		unsigned char g[4096];
		for (size_t i = 0; i < sizeof(g); i++)
			g[i] = (unsigned char)(i * 131 + 7);
		(void)write_all(c, g, sizeof(g));
	} else {
		int st = atoi(mode);
		if (st < 100 || st > 599)
			st = 500;
		answer(c, st, st == 404 ? "Not Found" : st == 429 ? "Too Many Requests" : "Injected",
		       st == 429 ? "Retry-After: 3600\r\n" : NULL, is_head);
	}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: faultproxy PORTFILE UPSTREAM_PORT CONTROLFILE LOGFILE\n");
		return 2;
	}
	g_upstream_port = atoi(argv[2]);
	g_control = argv[3];
	g_log = argv[4];
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* children are reaped automatically */
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket");
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(s, 64) < 0)
		die("listen");
	socklen_t al = sizeof(a);
	if (getsockname(s, (struct sockaddr *)&a, &al) < 0)
		die("getsockname");
	g_port = ntohs(a.sin_port);
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	fprintf(f, "%d\n", g_port);
	fclose(f);
	if (rename(tmp, argv[1]) < 0)
		die("rename");
	pid_t parent = getpid();
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the proxy */
			if (getppid() != parent)
				_exit(0);
			close(s);
			signal(SIGCHLD, SIG_DFL);
			serve(c);
			close(c);
			_exit(0);
		}
		close(c);
	}
}
