/* http.h - the one HTTP layer over libcurl (Podman's unix socket and
 * registries over TCP).  Every request has a bound: a total timeout, or for
 * long streams (pulls, exec) a low-speed limit instead. */
#ifndef TBX_HTTP_H
#define TBX_HTTP_H

#include "util.h"

/* Streaming body callback: return 0 to go on, -1 to abort the transfer
 * (set the error yourself through ctx). */
typedef int (*http_data_fn)(const char *data, size_t len, void *ctx);

struct http_req {
	const char *method;      /* "GET", "HEAD", "POST", "DELETE" */
	const char *url;         /* "http://d/v4.0.0/libpod/_ping" for a socket */
	const char *unix_socket; /* NULL: TCP */
	struct strv headers;     /* "Accept: ...", caller-owned */
	const char *body;        /* POST body, may be NULL */
	size_t body_len;
	const char *content_type; /* default application/json when body */
	const char *userpwd;      /* Basic auth "user:pass"; never logged */
	long timeout_s;           /* total; 0 = none (then stall_s applies) */
	long connect_timeout_s;   /* default 10 */
	long stall_s;             /* abort if < 1 byte/s for this long; 0 = off */
	size_t max_body;          /* cap for a buffered body; default 32 MiB */
	http_data_fn on_data;     /* stream the body instead of buffering */
	void *ctx;
	bool interruptible;       /* abort on SIGINT/SIGTERM (g_interrupted) */
};

struct http_resp {
	long status;
	struct buf body;     /* when on_data is NULL */
	struct strv headers; /* "name: value" lines as received */
};

void http_req_init(struct http_req *r, const char *method, const char *url);
void http_req_free(struct http_req *r); /* frees headers only */
void http_resp_free(struct http_resp *r);

/* Perform the request. Returns 0 when a response arrived (any status),
 * -1 on transport errors (refused, timeout, reset, interrupted), with a
 * message naming the URL or socket. */
int http_do(const struct http_req *req, struct http_resp *resp, struct err *e);
/* n requests at once (TCP, not a unix socket): reqs[i] answered in
 * resps[i] with rcs[i] and errs[i] as http_do() would.  They go over the
 * process's pool of kept-alive connections: a later call reuses them, and
 * over HTTP/2 all requests to one host share one connection.  Calls from
 * several threads take turns. */
void http_do_many(const struct http_req *reqs, size_t n, struct http_resp *resps,
		  struct err *errs, int *rcs);
/* Close the pool's connections (also done at exit). */
void http_pool_cleanup(void);
/* Case-insensitive header lookup; NULL when absent. Value is trimmed. */
const char *http_header(const struct http_resp *resp, const char *name, char *out, size_t n);

/* The length of an "http://" or "https://" prefix (any case), else 0. */
size_t http_url_scheme_len(const char *url);
/* Percent-encode for a query value or path part. Caller frees. */
char *http_escape(const char *s);

/* True when the calling thread's last failure was a connection refused /
 * socket missing. */
extern _Thread_local bool http_last_was_connect_error;

#endif
