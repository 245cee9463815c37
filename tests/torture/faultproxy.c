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
 * For GET /v2/<repo>/tags/list (the stamp-tag walk; Debian's registry 2.8
 * ignores n and never paginates tags):
 *   tagpages:N  the upstream's full tag list, sorted, served in pages of
 *               min(n, N) tags with last= and a Link: <...>; rel="next"
 *               relative, as distribution and Docker Hub send it
 *   tagpagesabs:N  the same with absolute Links (http://HOST/v2/..., HOST
 *               from the request), each after a rel="prev" link-value
 *   badlink     one page whose Link points to another host
 *   selflink    one page whose Link points to the same page again
 *   notjson     200 with an HTML body
 *   hugetags    200 with a 3 MiB JSON body
 *   badtagname  a list holding a name that is not a valid tag
 *   badstamp    a list holding a stamp tag whose time is not a real time
 *   n400        400 PAGINATION_NUMBER_INVALID when the request has n=
 *               (distribution 3 with tags.maxtags below it), else pass
 *
 * Every answer ends its connection (a relayed request carries "Connection:
 * close" to the upstream), so each request of a client that keeps
 * connections alive gets its own mode.
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
	/* one request per connection: the upstream is asked to close after
	 * its answer, so a client that keeps connections alive comes back on
	 * a new one, whose request gets its own mode from CONTROLFILE */
	const char *eol = memmem(have, have_len, "\r\n", 2);
	size_t first = eol ? (size_t)(eol - have) + 2 : 0;
	static const char close_hdr[] = "Connection: close\r\n";
	if (write_all(u, have, first) < 0 ||
	    (eol && write_all(u, close_hdr, sizeof(close_hdr) - 1) < 0) ||
	    write_all(u, have + first, have_len - first) < 0)
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

/* ---- tags/list ---- */

static void send_json(int c, const char *body, size_t blen, const char *extra)
{
	char hdr[4096];
	int hlen = snprintf(hdr, sizeof(hdr),
			    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: %zu\r\nDocker-Distribution-Api-Version: registry/2.0\r\n"
			    "%sConnection: close\r\n\r\n",
			    blen, extra ? extra : "");
	if (hlen > 0 && (size_t)hlen < sizeof(hdr))
		(void)write_all(c, hdr, (size_t)hlen);
	(void)write_all(c, body, blen);
}

/* "GET /v2/<repo>/tags/list?..." -> repo in out */
static bool tags_repo(const char *reqline, char *out, size_t n)
{
	const char *p = strstr(reqline, " /v2/"), *q = strstr(reqline, "/tags/list");
	if (!p || !q || q <= p + 5 || (size_t)(q - p - 5) >= n)
		return false;
	memcpy(out, p + 5, (size_t)(q - p - 5));
	out[q - p - 5] = 0;
	return true;
}

static const char *query_value(const char *reqline, const char *key, char *out, size_t n)
{
	const char *q = strchr(reqline, '?');
	size_t kl = strlen(key);
	while (q) {
		q++;
		if (strncmp(q, key, kl) == 0 && q[kl] == '=') {
			size_t l = strcspn(q + kl + 1, "& ");
			if (l >= n)
				l = n - 1;
			memcpy(out, q + kl + 1, l);
			out[l] = 0;
			return out;
		}
		q = strpbrk(q, "& ");
		if (q && *q == ' ')
			break;
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the upstream's whole tag list of repo: its strings, sorted */
static size_t upstream_tags(const char *repo, char ***out)
{
	*out = NULL;
	int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_upstream_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u < 0 || connect(u, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 0;
	char req[1024];
	int rl = snprintf(req, sizeof(req),
			  "GET /v2/%s/tags/list HTTP/1.0\r\nHost: 127.0.0.1\r\n"
			  "User-Agent: faultproxy\r\n\r\n", repo);
	size_t cap = 4 << 20, len = 0;
	char *buf = malloc(cap + 1);
	if (!buf || rl <= 0 || write_all(u, req, (size_t)rl) < 0) {
		free(buf);
		close(u);
		return 0;
	}
	ssize_t r;
	while (len < cap && (r = read(u, buf + len, cap - len)) > 0)
		len += (size_t)r;
	close(u);
	buf[len] = 0;
	char *p = strstr(buf, "\"tags\":[");
	size_t n = 0, ncap = 0;
	char **v = NULL;
	for (p = p ? p + 8 : NULL; p && *p && *p != ']';) {
		char *s = strchr(p, '"'), *e = s ? strchr(s + 1, '"') : NULL;
		if (!s || !e)
			break;
		if (n == ncap) {
			ncap = ncap ? ncap * 2 : 64;
			v = realloc(v, ncap * sizeof(*v));
		}
		v[n++] = strndup(s + 1, (size_t)(e - s - 1));
		p = e + 1;
		p += strspn(p, ", ");
	}
	free(buf);
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

/* host: the request's Host header for absolute Links, NULL for relative */
static void tags_page(int c, const char *reqline, long per, const char *host)
{
	char repo[512], nbuf[32], last[256];
	if (!tags_repo(reqline, repo, sizeof(repo))) {
		answer(c, 400, "Bad Request", NULL, false);
		return;
	}
	long n = query_value(reqline, "n", nbuf, sizeof(nbuf)) ? atol(nbuf) : per;
	if (n <= 0 || n > per)
		n = per;
	const char *after = query_value(reqline, "last", last, sizeof(last));
	char **tags;
	size_t total = upstream_tags(repo, &tags), i = 0, k = 0;
	while (after && i < total && strcmp(tags[i], after) <= 0)
		i++;
	size_t bcap = 1024 + total * 160;
	char *body = malloc(bcap);
	size_t bl = (size_t)snprintf(body, bcap, "{\"name\":\"%s\",\"tags\":[", repo);
	for (; i < total && (long)k < n; i++, k++)
		bl += (size_t)snprintf(body + bl, bcap - bl, "%s\"%s\"", k ? "," : "", tags[i]);
	bl += (size_t)snprintf(body + bl, bcap - bl, "]}\n");
	char link[4096] = "";
	if (i < total && k > 0 && host)
		snprintf(link, sizeof(link),
			 "Link: <http://%s/v2/%s/tags/list?n=%ld>; rel=\"prev\", "
			 "<http://%s/v2/%s/tags/list?n=%ld&last=%s>; rel=\"next\"\r\n",
			 host, repo, n, host, repo, n, tags[i - 1]);
	else if (i < total && k > 0)
		snprintf(link, sizeof(link),
			 "Link: </v2/%s/tags/list?n=%ld&last=%s>; rel=\"next\"\r\n", repo, n,
			 tags[i - 1]);
	send_json(c, body, bl, link[0] ? link : NULL);
	free(body);
	for (size_t j = 0; j < total; j++)
		free(tags[j]);
	free(tags);
}

static void tags_fault(int c, const char *reqline, const char *mode)
{
	char repo[512], body[1024], link[1200];
	if (!tags_repo(reqline, repo, sizeof(repo)))
		snprintf(repo, sizeof(repo), "x");
	if (strcmp(mode, "notjson") == 0) {
		static const char html[] = "<html><body>Service Unavailable</body></html>\n";
		send_json(c, html, sizeof(html) - 1, NULL);
	} else if (strcmp(mode, "hugetags") == 0) {
		size_t n = 3u << 20;
		char *b = malloc(n);
		if (!b)
			return;
		int h = snprintf(b, n, "{\"name\":\"%s\",\"tags\":[\"", repo);
		memset(b + h, 'a', n - (size_t)h - 3);
		memcpy(b + n - 3, "\"]}", 3);
		send_json(c, b, n, NULL);
		free(b);
	} else {
		const char *tags = strcmp(mode, "badtagname") == 0
					   ? "\"rocm-7.14\",\"bad tag;$(reboot)\""
				   : strcmp(mode, "badstamp") == 0
					   ? "\"rocm-7.14\",\"rocm-7.14_20261345T996199\""
					   : "\"rocm-7.14\",\"rocm-7.14_20260409T031500\"";
		int bl = snprintf(body, sizeof(body), "{\"name\":\"%s\",\"tags\":[%s]}\n", repo,
				  tags);
		link[0] = 0;
		if (strcmp(mode, "badlink") == 0)
			snprintf(link, sizeof(link),
				 "Link: <http://evil.example/v2/%s/tags/list?n=2&last=x>; "
				 "rel=\"next\"\r\n", repo);
		else if (strcmp(mode, "selflink") == 0)
			snprintf(link, sizeof(link), "Link: </v2/%s/tags/list?n=2&last=a>; "
				 "rel=\"next\"\r\n", repo);
		send_json(c, body, (size_t)bl, link[0] ? link : NULL);
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
	bool tags = strstr(reqline, "/tags/list") != NULL;
	if (tags && strncmp(mode, "tagpages:", 9) == 0) {
		tags_page(c, reqline, atol(mode + 9) > 0 ? atol(mode + 9) : 5, NULL);
	} else if (tags && strncmp(mode, "tagpagesabs:", 12) == 0) {
		char host[256] = "127.0.0.1";
		const char *h = strcasestr(head, "\r\nHost: ");
		if (h) {
			h += 8;
			size_t hl = strcspn(h, "\r\n");
			if (hl > 0 && hl < sizeof(host))
				memcpy(host, h, hl), host[hl] = 0;
		}
		tags_page(c, reqline, atol(mode + 12) > 0 ? atol(mode + 12) : 5, host);
	} else if (tags && (strcmp(mode, "badlink") == 0 || strcmp(mode, "selflink") == 0 ||
			    strcmp(mode, "notjson") == 0 || strcmp(mode, "hugetags") == 0 ||
			    strcmp(mode, "badtagname") == 0 || strcmp(mode, "badstamp") == 0)) {
		tags_fault(c, reqline, mode);
	} else if (tags && strcmp(mode, "n400") == 0 && (strstr(reqline, "?n=") ||
							    strstr(reqline, "&n="))) {
		static const char e400[] = "{\"errors\":[{\"code\":\"PAGINATION_NUMBER_INVALID\","
					   "\"message\":\"invalid number of results requested\","
					   "\"detail\":{\"n\":1000}}]}\n";
		char hdr[256];
		int hl = snprintf(hdr, sizeof(hdr),
				  "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
				  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				  sizeof(e400) - 1);
		(void)write_all(c, hdr, (size_t)hl);
		(void)write_all(c, e400, sizeof(e400) - 1);
	} else if (strcmp(mode, "pass") == 0 || strcmp(mode, "n400") == 0) {
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
