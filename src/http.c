/* http.c - libcurl with every setopt checked and every transfer bounded. */
#define _GNU_SOURCE
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <strings.h>
#include <string.h>

/* per thread: registry_head_many() runs requests in parallel */
_Thread_local bool http_last_was_connect_error;

#define HTTP_DEFAULT_MAX_BODY ((size_t)32 << 20)
#define HTTP_MAX_HEADER_LINES 200
#define HTTP_POOL_CONNECTIONS 64

struct transfer {
	const struct http_req *req;
	struct http_resp *resp;
	struct err *e;
	bool callback_failed;
	bool too_big;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;
	if (t->req->on_data) {
		if (t->req->on_data(data, n, t->req->ctx) < 0) {
			t->callback_failed = true;
			return 0;
		}
		return n;
	}
	size_t max = t->req->max_body ? t->req->max_body : HTTP_DEFAULT_MAX_BODY;
	if (t->resp->body.len + n > max) {
		t->too_big = true;
		return 0;
	}
	buf_add(&t->resp->body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;
	if (t->resp->headers.n >= HTTP_MAX_HEADER_LINES)
		return n;
	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (n == 0)
		return size * nmemb;
	/* a new status line (redirect, 100-continue): forget earlier headers */
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0)
		strv_free(&t->resp->headers);
	char *line = xstrndup(data, n);
	strv_push(&t->resp->headers, line);
	free(line);
	return size * nmemb;
}

static int on_progress(void *userp, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct transfer *t = userp;
	(void)dt, (void)dn, (void)ut, (void)un;
	return t->req->interruptible && g_interrupted ? 1 : 0;
}

void http_req_init(struct http_req *r, const char *method, const char *url)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->url = url;
	r->connect_timeout_s = 10;
}

void http_req_free(struct http_req *r)
{
	strv_free(&r->headers);
}

void http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
	strv_free(&r->headers);
	r->status = 0;
}

static const char *where(const struct http_req *req)
{
	return req->unix_socket ? req->unix_socket : req->url;
}

#define SETOPT(h, opt, val)                                                        \
	do {                                                                       \
		CURLcode rc_ = curl_easy_setopt(h, opt, val);                      \
		if (rc_ != CURLE_OK) {                                             \
			err_set(e, "cannot set up request to %s: %s", where(req),  \
				curl_easy_strerror(rc_));                          \
			return -1;                                                 \
		}                                                                  \
	} while (0)

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One transfer's handle and what it owns. */
struct xfer {
	struct transfer t;
	CURL *h;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
};

/* Set up x->h for req (the handle is made, resp initialised by the
 * caller). */
static int xfer_setup(struct xfer *x, const struct http_req *req, struct http_resp *resp,
		      struct err *e)
{
	CURL *h = x->h;
	x->t = (struct transfer){ .req = req, .resp = resp, .e = e };
	x->errbuf[0] = '\0';
	SETOPT(h, CURLOPT_URL, req->url);
	SETOPT(h, CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (req->unix_socket)
		SETOPT(h, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (strcmp(req->method, "HEAD") == 0)
		SETOPT(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") != 0)
		SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (strcmp(req->method, "POST") == 0 || req->body) {
		SETOPT(h, CURLOPT_POST, 1L);
		SETOPT(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
		char *ct = xasprintf("Content-Type: %s",
				     req->content_type ? req->content_type : "application/json");
		x->hdrs = curl_slist_append(x->hdrs, ct);
		free(ct);
	}
	for (size_t i = 0; i < req->headers.n; i++)
		x->hdrs = curl_slist_append(x->hdrs, req->headers.v[i]);
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	SETOPT(h, CURLOPT_HTTPHEADER, x->hdrs);
	SETOPT(h, CURLOPT_USERAGENT, "tbx/" TBX_VERSION);
	if (req->userpwd) {
		SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(h, CURLOPT_USERPWD, req->userpwd);
	}
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, req->connect_timeout_s ? req->connect_timeout_s : 10L);
	if (req->timeout_s)
		SETOPT(h, CURLOPT_TIMEOUT, req->timeout_s);
	if (req->stall_s) {
		SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		SETOPT(h, CURLOPT_LOW_SPEED_TIME, req->stall_s);
	}
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &x->t);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &x->t);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(h, CURLOPT_XFERINFODATA, &x->t);
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	return 0;
}

/* The outcome of a finished transfer, as http_do() returns it. */
static int xfer_finish(struct xfer *x, CURLcode rc)
{
	const struct http_req *req = x->t.req;
	struct err *e = x->t.e;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->t.resp->status);
	if (rc == CURLE_OK)
		return 0;
	if (x->t.callback_failed) {
		/* the callback has set the error */
		if (!e->msg[0])
			err_set(e, "transfer from %s aborted", where(req));
	} else if (rc == CURLE_ABORTED_BY_CALLBACK && g_interrupted) {
		err_setx(e, g_interrupted == 2 ? EXIT_SIGINT : EXIT_SIGTERM, "interrupted");
	} else if (x->t.too_big) {
		err_set(e, "response from %s is too large (over %zu bytes)", where(req),
			req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY);
	} else if (rc == CURLE_OUT_OF_MEMORY) {
		/* curl says "out of memory" for a header over its 100 kB limit */
		err_set(e, "%s: answer too large (a header line over curl's limit?)", where(req));
	} else {
		http_last_was_connect_error = rc == CURLE_COULDNT_CONNECT;
		const char *m = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
		char *msg = sanitize_line(m, strlen(m), 300);
		err_set(e, "%s: %s", where(req), msg);
		free(msg);
	}
	return -1;
}

static void xfer_release(struct xfer *x)
{
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
}

int http_do(const struct http_req *req, struct http_resp *resp, struct err *e)
{
	static pthread_once_t initialised = PTHREAD_ONCE_INIT;
	struct xfer x = { 0 };

	pthread_once(&initialised, global_init);
	http_last_was_connect_error = false;
	resp->status = 0;
	buf_init(&resp->body);
	x.h = curl_easy_init();
	if (!x.h)
		return err_set(e, "cannot set up request to %s", where(req));
	int ret = xfer_setup(&x, req, resp, e);
	if (ret == 0)
		ret = xfer_finish(&x, curl_easy_perform(x.h));
	xfer_release(&x);
	curl_easy_cleanup(x.h);
	return ret;
}

/* ---- many at once, on kept connections ---- */

/* The process's pool: one multi handle whose connection cache outlives
 * each call, so that a later request to the same host reuses a kept-alive
 * connection (and over HTTP/2 all requests to a host share one). */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static CURLM *pool;

void http_pool_cleanup(void)
{
	pthread_mutex_lock(&pool_lock);
	if (pool)
		curl_multi_cleanup(pool);
	pool = NULL;
	pthread_mutex_unlock(&pool_lock);
}

static CURLM *pool_get(void)
{
	static pthread_once_t initialised = PTHREAD_ONCE_INIT;
	pthread_once(&initialised, global_init);
	if (!pool) {
		pool = curl_multi_init();
		if (pool) {
			curl_multi_setopt(pool, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
			/* keep every connection of a round for the next (curl's
			 * default keeps 4 per transfer in flight: a token round
			 * of one would close the HEADs' connections) */
			curl_multi_setopt(pool, CURLMOPT_MAXCONNECTS, (long)HTTP_POOL_CONNECTIONS);
			atexit(http_pool_cleanup);
		}
	}
	return pool;
}

void http_do_many(const struct http_req *reqs, size_t n, struct http_resp *resps,
		  struct err *errs, int *rcs)
{
	struct xfer *xs = xcalloc(n + 1, sizeof(*xs));
	pthread_mutex_lock(&pool_lock);
	CURLM *m = pool_get();
	size_t running = 0;
	for (size_t i = 0; i < n; i++) {
		const struct http_req *req = &reqs[i];
		struct err *e = &errs[i];
		rcs[i] = -1;
		resps[i].status = 0;
		buf_init(&resps[i].body);
		xs[i].h = m ? curl_easy_init() : NULL;
		if (!xs[i].h) {
			err_set(e, "cannot set up request to %s", where(req));
			continue;
		}
		if (xfer_setup(&xs[i], req, &resps[i], e) < 0)
			continue;
		/* over https (HTTP/2 by ALPN), wait for a connection to share
		 * rather than open one; plain http is HTTP/1.1, where waiting
		 * would queue each request behind the one in flight */
		if (strncasecmp(req->url, "https://", 8) == 0)
			curl_easy_setopt(xs[i].h, CURLOPT_PIPEWAIT, 1L);
		curl_easy_setopt(xs[i].h, CURLOPT_PRIVATE, &xs[i]);
		if (curl_multi_add_handle(m, xs[i].h) != CURLM_OK) {
			err_set(e, "cannot set up request to %s", where(req));
			continue;
		}
		rcs[i] = 1; /* in flight */
		running++;
	}
	int still = (int)running;
	while (running) {
		if (curl_multi_perform(m, &still) != CURLM_OK)
			break;
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			size_t i = (size_t)(x - xs);
			http_last_was_connect_error = false;
			rcs[i] = xfer_finish(x, msg->data.result);
			curl_multi_remove_handle(m, x->h);
			running--;
		}
		if (running && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		if (rcs[i] == 1) { /* the multi handle failed under it */
			curl_multi_remove_handle(m, xs[i].h);
			rcs[i] = err_set(&errs[i], "%s: transfer failed", where(&reqs[i]));
		}
		xfer_release(&xs[i]);
		if (xs[i].h)
			curl_easy_cleanup(xs[i].h);
	}
	pthread_mutex_unlock(&pool_lock);
	free(xs);
}

const char *http_header(const struct http_resp *resp, const char *name, char *out, size_t n)
{
	size_t ln = strlen(name);
	for (size_t i = 0; i < resp->headers.n; i++) {
		const char *h = resp->headers.v[i];
		if (strncasecmp(h, name, ln) != 0 || h[ln] != ':')
			continue;
		const char *v = h + ln + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t lv = strlen(v);
		while (lv && (v[lv - 1] == ' ' || v[lv - 1] == '\t'))
			lv--;
		if (lv >= n)
			lv = n - 1;
		memcpy(out, v, lv);
		out[lv] = '\0';
		return out;
	}
	return NULL;
}

size_t http_url_scheme_len(const char *url)
{
	if (strncasecmp(url, "http://", 7) == 0)
		return 7;
	if (strncasecmp(url, "https://", 8) == 0)
		return 8;
	return 0;
}

char *http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~", *p)) {
			buf_addc(&b, (char)*p);
		} else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	return buf_detach(&b);
}
