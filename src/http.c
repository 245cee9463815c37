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
			goto out;                                                  \
		}                                                                  \
	} while (0)

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_do(const struct http_req *req, struct http_resp *resp, struct err *e)
{
	static pthread_once_t initialised = PTHREAD_ONCE_INIT;
	int ret = -1;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct transfer t = { .req = req, .resp = resp, .e = e };

	pthread_once(&initialised, global_init);
	http_last_was_connect_error = false;
	resp->status = 0;
	buf_init(&resp->body);
	CURL *h = curl_easy_init();
	if (!h)
		return err_set(e, "cannot set up request to %s", where(req));

	SETOPT(h, CURLOPT_URL, req->url);
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
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
		hdrs = curl_slist_append(hdrs, ct);
		free(ct);
	}
	for (size_t i = 0; i < req->headers.n; i++)
		hdrs = curl_slist_append(hdrs, req->headers.v[i]);
	hdrs = curl_slist_append(hdrs, "Expect:");
	SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
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
	SETOPT(h, CURLOPT_WRITEDATA, &t);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &t);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(h, CURLOPT_XFERINFODATA, &t);
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);

	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc == CURLE_OK) {
		ret = 0;
	} else if (t.callback_failed) {
		/* the callback has set the error */
		if (!e->msg[0])
			err_set(e, "transfer from %s aborted", where(req));
	} else if (rc == CURLE_ABORTED_BY_CALLBACK && g_interrupted) {
		err_setx(e, g_interrupted == 2 ? EXIT_SIGINT : EXIT_SIGTERM, "interrupted");
	} else if (t.too_big) {
		err_set(e, "response from %s is too large (over %zu bytes)", where(req),
			req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY);
	} else if (rc == CURLE_OUT_OF_MEMORY) {
		/* curl says "out of memory" for a header over its 100 kB limit */
		err_set(e, "%s: answer too large (a header line over curl's limit?)", where(req));
	} else {
		http_last_was_connect_error = rc == CURLE_COULDNT_CONNECT;
		char *msg = sanitize_line(errbuf[0] ? errbuf : curl_easy_strerror(rc),
					  strlen(errbuf[0] ? errbuf : curl_easy_strerror(rc)), 300);
		err_set(e, "%s: %s", where(req), msg);
		free(msg);
	}
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return ret;
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
