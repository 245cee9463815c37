/* podman.c - libpod REST API client. */
#define _GNU_SOURCE
#include "podman.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "json.h"
#include "runcmd.h"
#include "registry.h"

#define API "/v4.0.0/libpod"
#define PODMAN_MAX_JSON ((size_t)64 << 20)
#define EXEC_MAX_FRAME ((uint32_t)16 << 20)

char *podman_default_url(void)
{
	const char *host = getenv("CONTAINER_HOST");
	if (host && *host)
		return xstrdup(host);
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (geteuid() != 0 && xdg && *xdg)
		return xasprintf("unix://%s/podman/podman.sock", xdg);
	/* never root's socket for a user: systemd's runtime directory */
	if (geteuid() != 0)
		return xasprintf("unix:///run/user/%u/podman/podman.sock", (unsigned)geteuid());
	return xstrdup("unix:///run/podman/podman.sock");
}

/* A rootless service's socket belongs to its user, and so do the
 * containers behind it: used by anyone else (root included), tbx would
 * make and replace that user's containers as the wrong user. */
static int check_socket_owner(const char *path, struct err *e)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_uid == 0 ||
	    st.st_uid == geteuid())
		return 0;
	struct passwd *pw = getpwuid(st.st_uid);
	char owner[128];
	snprintf(owner, sizeof(owner), "%s", pw && pw->pw_name ? pw->pw_name : "another user");
	return err_setx(e, EXIT_REFUSED,
			"the Podman socket '%s' belongs to %s (uid %u), not to you (uid %u): a "
			"rootless Podman service is its user's own; run tbx as that user, or "
			"name your own socket with --url",
			path, owner, (unsigned)st.st_uid, (unsigned)geteuid());
}

int podman_open(struct podman *p, const char *url, struct err *e)
{
	memset(p, 0, sizeof(*p));
	p->timeout_s = PODMAN_TIMEOUT_DEFAULT_S;
	if (str_starts_with(url, "unix://"))
		url += strlen("unix://");
	else if (strstr(url, "://"))
		return err_setx(e, EXIT_USAGE,
				"unsupported Podman URL '%s' (use unix:///path/to/podman.sock, or "
				"--connection NAME for a remote host)",
				url);
	if (url[0] != '/')
		return err_setx(e, EXIT_USAGE, "Podman socket '%s' is not an absolute path", url);
	if (check_socket_owner(url, e) < 0)
		return -1;
	p->socket = xstrdup(url);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	p->host = xstrdup(host);
	return 0;
}

void podman_close(struct podman *p)
{
	if (p->ssh_pid > 0) {
		struct runcmd ssh = { .pid = p->ssh_pid };
		runcmd_stop(&ssh);
	}
	if (p->tmpdir) {
		char *sock = path_join(p->tmpdir, "podman.sock");
		unlink(sock);
		free(sock);
		rmdir(p->tmpdir);
	}
	podman_forget(p);
	free(p->tmpdir);
	free(p->socket);
	free(p->host);
	memset(p, 0, sizeof(*p));
}

void podman_forget(struct podman *p)
{
	json_object_put(p->seen_images);
	p->seen_images = NULL;
	strv_free(&p->seen_names);
	p->seen_names_ok = false;
	json_object_put(p->seen_inspects);
	p->seen_inspects = NULL;
}

static int connect_error(struct podman *p, struct err *e)
{
	return err_set(e,
		       "cannot connect to Podman at %s: %s (start it with 'systemctl --user enable "
		       "--now podman.socket', or as root 'systemctl enable --now podman.socket'; "
		       "or pass --url)",
		       p->socket, path_exists(p->socket) ? "connection refused" : "no such socket");
}

/* Turn Podman's {"cause","message","response"} body into one line. */
int podman_error(struct err *e, long status, json_object *body, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	const char *msg = json_str(body, "message");
	if (!msg)
		msg = json_str(body, "cause");
	if (msg) {
		char *clean = sanitize_line(msg, strlen(msg), 500);
		err_set(e, "%s: %s", what, clean);
		free(clean);
	} else {
		err_set(e, "%s: Podman answered HTTP %ld", what, status);
	}
	return -1;
}

static int do_request(struct podman *p, const char *method, const char *path, const char *body,
		      struct http_req *req, struct http_resp *resp, struct err *e)
{
	char *url = xasprintf("http://d" API "%s", path);
	if (strcmp(method, "GET") != 0)
		podman_forget(p);
	req->method = method;
	req->url = url;
	req->unix_socket = p->socket;
	if (body) {
		req->body = body;
		req->body_len = strlen(body);
	}
	int rc = http_do(req, resp, e);
	free(url);
	req->url = NULL;
	if (rc < 0 && http_last_was_connect_error)
		return connect_error(p, e);
	if (rc < 0 && e->exit_code == EXIT_FAIL)
		err_wrap(e, "Podman API %s %s", method, path);
	return rc;
}

int podman_call(struct podman *p, const char *method, const char *path, json_object *body,
		json_object **out, long *status, struct err *e)
{
	struct http_req req;
	struct http_resp resp = { 0 };
	http_req_init(&req, method, NULL);
	req.timeout_s = p->timeout_s;
	req.max_body = PODMAN_MAX_JSON;
	req.interruptible = true;
	const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
	*out = NULL;
	int rc = do_request(p, method, path, text, &req, &resp, e);
	http_req_free(&req);
	if (rc < 0) {
		http_resp_free(&resp);
		return -1;
	}
	*status = resp.status;
	if (resp.body.len) {
		struct err perr = { 0 };
		*out = json_parse(resp.body.p, resp.body.len, "Podman's answer", &perr);
		if (!*out && resp.status < 400) {
			char *what = xasprintf("%s %s", method, path);
			err_set(e, "unreadable answer from Podman to %s: %s", what, perr.msg);
			free(what);
			http_resp_free(&resp);
			return -1;
		}
	}
	http_resp_free(&resp);
	return 0;
}

/* Call and expect 2xx; otherwise an error "<what>: <message>". */
static int call_ok(struct podman *p, const char *method, const char *path, json_object *body,
		   json_object **out, const char *what, struct err *e)
{
	json_object *o = NULL;
	long status = 0;
	if (podman_call(p, method, path, body, &o, &status, e) < 0)
		return http_last_was_connect_error ? -1 : err_wrap(e, "%s", what);
	if (status >= 300) {
		podman_error(e, status, o, "%s", what);
		json_object_put(o);
		return -1;
	}
	if (out)
		*out = o;
	else
		json_object_put(o);
	return 0;
}

/* A lookup: 0 found, 1 not found (404), -1 error. */
static int call_lookup(struct podman *p, const char *path, json_object **out, const char *what,
		       struct err *e)
{
	json_object *o = NULL;
	long status = 0;
	*out = NULL;
	if (podman_call(p, "GET", path, NULL, &o, &status, e) < 0)
		return http_last_was_connect_error ? -1 : err_wrap(e, "%s", what);
	if (status == 404) {
		json_object_put(o);
		return 1;
	}
	if (status >= 500) {
		/* a Podman failure says nothing about presence */
		podman_error(e, status, o, "%s (unknown: Podman answered HTTP %ld)", what, status);
		json_object_put(o);
		return -1;
	}
	if (status >= 300) {
		podman_error(e, status, o, "%s", what);
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}

int podman_ping(struct podman *p, char **version, struct err *e)
{
	/* _ping answers at once; /version runs runc, conmon... (half a second) */
	struct http_req req;
	struct http_resp resp = { 0 };
	char v[64];
	*version = NULL;
	http_req_init(&req, "GET", NULL);
	req.timeout_s = p->timeout_s;
	req.max_body = 4096;
	int rc = do_request(p, "GET", "/_ping", NULL, &req, &resp, e);
	http_req_free(&req);
	if (rc == 0 && resp.status != 200)
		rc = err_set(e, "Podman at %s answered HTTP %ld to _ping", p->socket, resp.status);
	if (rc == 0)
		*version = xstrdup(http_header(&resp, "Libpod-Api-Version", v, sizeof(v)) ? v : "unknown");
	http_resp_free(&resp);
	return rc;
}

int podman_version(struct podman *p, char **version, struct err *e)
{
	json_object *o = NULL;
	*version = NULL;
	if (call_ok(p, "GET", "/version", NULL, &o, "cannot ask Podman for its version", e) < 0)
		return -1;
	const char *v = json_str(o, "Version");
	if (!v)
		v = json_str(json_obj(o, "Server"), "Version");
	*version = xstrdup(v ? v : "unknown");
	json_object_put(o);
	return 0;
}

int podman_image_inspect(struct podman *p, const char *name, json_object **out, struct err *e)
{
	char *n = http_escape(name);
	char *path = xasprintf("/images/%s/json", n);
	char *what = xasprintf("cannot inspect image '%s'", name);
	int rc = call_lookup(p, path, out, what, e);
	free(n), free(path), free(what);
	return rc;
}

int podman_image_list(struct podman *p, json_object **out, struct err *e)
{
	return call_ok(p, "GET", "/images/json?all=false", NULL, out, "cannot list images", e);
}

void podman_image_free(struct podman_image *img)
{
	free(img->id);
	free(img->digest);
	strv_free(&img->digests);
	memset(img, 0, sizeof(*img));
}

char *podman_image_platform_digest(const struct podman_image *img, const char *tag_digest)
{
	const char *other = NULL;
	for (size_t i = 0; i < img->digests.n; i++) {
		const char *d = img->digests.v[i];
		if (str_eq(d, tag_digest) || str_eq(d, other))
			continue;
		if (other)
			return NULL; /* two candidates: do not guess */
		other = d;
	}
	if (other)
		return xstrdup(other);
	return strv_contains(&img->digests, tag_digest) ? xstrdup(tag_digest) : NULL;
}

/* A RepoDigests entry "name@digest" (any repository when name is NULL). */
static bool has_repo_digest(json_object *image, const char *name, const char *digest)
{
	json_object *rd = json_arr(image, "RepoDigests");
	size_t n = rd ? json_object_array_length(rd) : 0;
	size_t ln = name ? strlen(name) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(rd, i));
		const char *at = s ? strrchr(s, '@') : NULL;
		if (!at || strcmp(at + 1, digest) != 0)
			continue;
		if (!name || ((size_t)(at - s) == ln && strncmp(s, name, ln) == 0))
			return true;
	}
	return false;
}

static void image_from_entry(json_object *img, const char *name, struct podman_image *out)
{
	out->id = xstrdup(json_str(img, "Id"));
	const char *d = json_str(img, "Digest");
	out->digest = d && *d ? xstrdup(d) : NULL;
	if (out->digest && digest_is_valid(out->digest))
		strv_push(&out->digests, out->digest);
	json_object *rd = json_arr(img, "RepoDigests");
	size_t n = rd ? json_object_array_length(rd) : 0;
	size_t ln = name ? strlen(name) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(rd, i));
		const char *at = s ? strrchr(s, '@') : NULL;
		if (!at || !digest_is_valid(at + 1) || strv_contains(&out->digests, at + 1))
			continue;
		if (!name || ((size_t)(at - s) == ln && strncmp(s, name, ln) == 0))
			strv_push(&out->digests, at + 1);
	}
}

/* The list, checked to be a list of objects with an Id. */
static int image_list_checked(struct podman *p, json_object **out, struct err *e)
{
	long status = 0;
	*out = NULL;
	if (p->seen_images) {
		*out = json_object_get(p->seen_images);
		return 0;
	}
	if (podman_call(p, "GET", "/images/json?all=false", NULL, out, &status, e) < 0)
		return http_last_was_connect_error ? -1 : err_wrap(e, "cannot list images");
	if (status >= 300) {
		/* unknown, not "absent": the caller must not pull or recreate on it */
		podman_error(e, status, *out,
			     "cannot tell which images are present (Podman answered HTTP %ld to the "
			     "image list)",
			     status);
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	if (!json_object_is_type(*out, json_type_array)) {
		json_object_put(*out);
		*out = NULL;
		return err_set(e, "cannot list images: Podman's answer is not a list");
	}
	p->seen_images = json_object_get(*out);
	return 0;
}

int podman_image_list_find(json_object *list, const char *name, const char *digest,
			   const char *id, struct podman_image *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	size_t lid = id ? strlen(id) : 0;
	if (id && str_starts_with(id, "sha256:"))
		id += 7, lid -= 7;
	if ((!digest || !*digest) && lid < 12)
		return 1;
	/* a malformed digest names no image (the entry's digests are read
	 * through digest_is_valid: it could never be among them) */
	if (digest && *digest && !digest_is_valid(digest))
		return 1;
	/* by digest: a repository-qualified match first (the same digest may
	 * be in several repositories; Digest alone is not qualified) */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			json_object *img = json_object_array_get_idx(list, i);
			const char *iid = json_str(img, "Id");
			if (!iid || !json_object_is_type(img, json_type_object))
				continue;
			bool hit;
			if (!digest || !*digest)
				hit = pass == 0 && strncmp(iid, id, lid) == 0;
			else
				hit = pass == 0 ? has_repo_digest(img, name, digest)
						: str_eq(json_str(img, "Digest"), digest);
			if (hit) {
				image_from_entry(img, name, out);
				return 0;
			}
		}
	}
	return 1;
}

static int find_in_list(struct podman *p, const char *name, const char *digest, const char *id,
			struct podman_image *out, struct err *e)
{
	json_object *list = NULL;
	memset(out, 0, sizeof(*out));
	if (image_list_checked(p, &list, e) < 0)
		return -1;
	int rc = podman_image_list_find(list, name, digest, id, out);
	json_object_put(list);
	return rc;
}

int podman_image_find_by_digest(struct podman *p, const char *name, const char *digest,
				struct podman_image *out, struct err *e)
{
	if (!digest || !*digest) {
		memset(out, 0, sizeof(*out));
		return 1;
	}
	return find_in_list(p, name, digest, NULL, out, e);
}

int podman_image_find_by_id(struct podman *p, const char *name, const char *id,
			    struct podman_image *out, struct err *e)
{
	if (!id || strlen(id) < 12) {
		memset(out, 0, sizeof(*out));
		return 1;
	}
	return find_in_list(p, name, NULL, id, out, e);
}

int podman_image_remove(struct podman *p, const char *id, struct err *e)
{
	char *n = http_escape(id);
	char *path = xasprintf("/images/%s?force=false", n);
	char *what = xasprintf("cannot remove image '%s'", id);
	int rc = call_ok(p, "DELETE", path, NULL, NULL, what, e);
	free(n), free(path), free(what);
	return rc;
}

/* ---- pull ---- */

struct pull_state {
	struct buf line;
	pull_progress_fn fn;
	void *ctx;
	char *image_id;
	char *error;
	struct err *e;
};

static void pull_line(struct pull_state *s, const char *line, size_t len)
{
	struct err ignore = { 0 };
	json_object *o = json_parse(line, len, "pull stream", &ignore);
	if (!o)
		return;
	const char *errmsg = json_str(o, "error");
	const char *id = json_str(o, "id");
	const char *stream = json_str(o, "stream");
	if (errmsg) {
		free(s->error);
		s->error = sanitize_line(errmsg, strlen(errmsg), 500);
	} else if (id && json_arr(o, "images")) {
		free(s->image_id);
		s->image_id = xstrdup(id);
	} else if (stream && s->fn) {
		char *clean = sanitize_line(stream, strlen(stream), 200);
		struct pull_progress pp = { .layer = NULL, .status = clean, .current = -1, .total = -1 };
		s->fn(&pp, s->ctx);
		free(clean);
	}
	json_object_put(o);
}

static int pull_data(const char *data, size_t len, void *ctx)
{
	struct pull_state *s = ctx;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			pull_line(s, buf_str(&s->line), s->line.len);
			buf_reset(&s->line);
		} else if (s->line.len < (1u << 20)) {
			buf_addc(&s->line, data[i]);
		}
	}
	return 0;
}

int podman_image_pull(struct podman *p, const char *ref, pull_progress_fn fn, void *ctx,
		      char **image_id, struct err *e)
{
	struct pull_state s = { .fn = fn, .ctx = ctx, .e = e };
	struct http_req req;
	struct http_resp resp = { 0 };
	buf_init(&s.line);
	http_req_init(&req, "POST", NULL);
	req.stall_s = 300; /* pulls of 20 GB images are long, but never silent that long */
	req.on_data = pull_data;
	req.ctx = &s;
	req.interruptible = true;
	char *r = http_escape(ref);
	char *path = xasprintf("/images/pull?reference=%s&policy=always", r);
	int rc = do_request(p, "POST", path, "", &req, &resp, e);
	if (rc == 0 && s.line.len)
		pull_line(&s, buf_str(&s.line), s.line.len);
	if (rc < 0) {
		err_wrap(e, "cannot pull '%s'", ref);
	} else if (resp.status >= 300) {
		rc = err_set(e, "cannot pull '%s': Podman answered HTTP %ld", ref, resp.status);
	} else if (s.error) {
		/* HTTP 200, yet the stream's last word is an error */
		rc = err_set(e, "cannot pull '%s': %s", ref, s.error);
	} else if (!s.image_id) {
		rc = err_set(e, "cannot pull '%s': Podman's stream ended without an image", ref);
	}
	if (rc == 0)
		*image_id = s.image_id;
	else
		free(s.image_id);
	free(s.error);
	free(r), free(path);
	buf_free(&s.line);
	http_req_free(&req);
	http_resp_free(&resp);
	return rc;
}

/* ---- containers ---- */

int podman_container_list(struct podman *p, const char *label, json_object **out, struct err *e)
{
	char *path;
	if (label) {
		json_object *f = json_object_new_object();
		json_object *labels = json_object_new_array();
		json_object_array_add(labels, json_object_new_string(label));
		json_object_object_add(f, "label", labels);
		char *q = http_escape(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN));
		path = xasprintf("/containers/json?all=true&filters=%s", q);
		free(q);
		json_object_put(f);
	} else {
		path = xstrdup("/containers/json?all=true");
	}
	int rc = call_ok(p, "GET", path, NULL, out, "cannot list containers", e);
	free(path);
	if (rc == 0 && !json_object_is_type(*out, json_type_array)) {
		json_object_put(*out);
		*out = NULL;
		return err_set(e, "cannot list containers: Podman's answer is not a list");
	}
	return rc;
}

int podman_container_inspect(struct podman *p, const char *name, json_object **out, struct err *e)
{
	json_object *seen;
	if (p->seen_inspects && json_object_object_get_ex(p->seen_inspects, name, &seen)) {
		/* asked ahead: handed out once */
		*out = json_object_get(seen);
		json_object_object_del(p->seen_inspects, name);
		return *out ? 0 : 1;
	}
	char *n = http_escape(name);
	char *path = xasprintf("/containers/%s/json", n);
	char *what = xasprintf("cannot inspect container '%s'", name);
	int rc = call_lookup(p, path, out, what, e);
	free(n), free(path), free(what);
	return rc;
}

/* Every container's names, asked once (until podman_forget). */
static int see_names(struct podman *p, struct err *e)
{
	if (p->seen_names_ok)
		return 0;
	json_object *list = NULL;
	if (podman_container_list(p, NULL, &list, e) < 0)
		return -1;
	size_t n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		json_object *names = json_arr(json_object_array_get_idx(list, i), "Names");
		size_t k = names ? json_object_array_length(names) : 0;
		for (size_t j = 0; j < k; j++) {
			const char *s = json_object_get_string(json_object_array_get_idx(names, j));
			if (s)
				strv_push(&p->seen_names, s[0] == '/' ? s + 1 : s);
		}
	}
	json_object_put(list);
	p->seen_names_ok = true;
	return 0;
}

int podman_container_exists(struct podman *p, const char *name, struct err *e)
{
	if (see_names(p, e) < 0)
		return -1;
	return strv_contains(&p->seen_names, name) ? 0 : 1;
}

void podman_container_prefetch(struct podman *p, const char *const *names, size_t n,
			       bool images)
{
	struct err ignore = { 0 };
	json_object *list = NULL;
	bool listed = see_names(p, &ignore) == 0;
	if (images && image_list_checked(p, &list, &ignore) == 0)
		json_object_put(list);
	for (size_t i = 0; i < n && !g_interrupted; i++) {
		json_object *o = NULL; /* not in the list: no need to ask */
		memset(&ignore, 0, sizeof(ignore));
		if ((!listed || strv_contains(&p->seen_names, names[i])) &&
		    podman_container_inspect(p, names[i], &o, &ignore) < 0)
			continue;
		if (!p->seen_inspects)
			p->seen_inspects = json_object_new_object();
		json_object_object_add(p->seen_inspects, names[i], o);
	}
}

int podman_container_create(struct podman *p, json_object *spec, char **id, struct err *e)
{
	json_object *o = NULL;
	const char *name = json_str(spec, "name");
	char *what = xasprintf("cannot create container '%s'", name ? name : "?");
	int rc = call_ok(p, "POST", "/containers/create", spec, &o, what, e);
	free(what);
	if (rc < 0)
		return -1;
	const char *cid = json_str(o, "Id");
	if (!cid) {
		json_object_put(o);
		return err_set(e, "cannot create container '%s': no Id in Podman's answer",
			       name ? name : "?");
	}
	*id = xstrdup(cid);
	json_object_put(o);
	return 0;
}

static int container_action(struct podman *p, const char *name, const char *action,
			    const char *query, const char *verb, struct err *e)
{
	char *n = http_escape(name);
	char *path = xasprintf("/containers/%s/%s%s", n, action, query ? query : "");
	char *what = xasprintf("cannot %s container '%s'", verb, name);
	json_object *o = NULL;
	long status = 0;
	int rc = podman_call(p, "POST", path, NULL, &o, &status, e);
	if (rc < 0)
		err_wrap(e, "%s", what);
	/* 304: already started / already stopped, which is what we wanted */
	else if (status >= 300 && status != 304)
		rc = podman_error(e, status, o, "%s", what);
	json_object_put(o);
	free(n), free(path), free(what);
	return rc;
}

int podman_container_start(struct podman *p, const char *name, struct err *e)
{
	return container_action(p, name, "start", NULL, "start", e);
}

int podman_container_stop(struct podman *p, const char *name, int timeout_s, struct err *e)
{
	char q[32];
	snprintf(q, sizeof(q), "?timeout=%d", timeout_s);
	return container_action(p, name, "stop", q, "stop", e);
}

int podman_container_rename(struct podman *p, const char *name, const char *new_name,
			    struct err *e)
{
	char *nn = http_escape(new_name);
	char *q = xasprintf("?name=%s", nn);
	int rc = container_action(p, name, "rename", q, "rename", e);
	free(nn), free(q);
	return rc;
}

int podman_container_remove(struct podman *p, const char *name, bool force, struct err *e)
{
	char *n = http_escape(name);
	char *path = xasprintf("/containers/%s?force=%s&v=false", n, force ? "true" : "false");
	char *what = xasprintf("cannot remove container '%s'", name);
	int rc = call_ok(p, "DELETE", path, NULL, NULL, what, e);
	free(n), free(path), free(what);
	return rc;
}

/* ---- exec ---- */

void exec_demux_init(struct exec_demux *d, exec_output_fn fn, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->fn = fn;
	d->ctx = ctx;
}

int exec_demux_feed(struct exec_demux *d, const char *data, size_t len)
{
	while (len && !d->broken) {
		if (d->left == 0) {
			size_t take = 8 - d->hdr_len;
			if (take > len)
				take = len;
			memcpy(d->hdr + d->hdr_len, data, take);
			d->hdr_len += take;
			data += take;
			len -= take;
			if (d->hdr_len < 8)
				break;
			d->hdr_len = 0;
			d->stream = d->hdr[0];
			d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
				  (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
			if (d->stream < 0 || d->stream > 3 || d->hdr[1] || d->hdr[2] || d->hdr[3] ||
			    d->left > EXEC_MAX_FRAME) {
				d->broken = true;
				return -1;
			}
			continue;
		}
		size_t take = d->left < len ? d->left : len;
		if (d->fn)
			d->fn(d->stream, data, take, d->ctx);
		d->left -= (uint32_t)take;
		data += take;
		len -= take;
	}
	return d->broken ? -1 : 0;
}

struct exec_state {
	struct exec_demux demux;
	struct err *e;
};

static int exec_data(const char *data, size_t len, void *ctx)
{
	struct exec_state *s = ctx;
	if (exec_demux_feed(&s->demux, data, len) < 0) {
		err_set(s->e, "malformed exec stream from Podman (bad frame header)");
		return -1;
	}
	return 0;
}

/* Inspect an exec session: *running, *exit_code. */
static int exec_inspect(struct podman *p, const char *id, bool *running, int *exit_code,
			struct err *e)
{
	char *path = xasprintf("/exec/%s/json", id);
	json_object *o = NULL;
	int rc = call_ok(p, "GET", path, NULL, &o, "cannot inspect exec session", e);
	free(path);
	if (rc < 0)
		return -1;
	*running = json_flag(o, "Running", false);
	*exit_code = (int)json_int(o, "ExitCode", -1);
	json_object_put(o);
	return 0;
}

static int exec_create(struct podman *p, const char *container, char *const *argv,
		       char *const *env, const char *workdir, bool stdin_lifeline, char **id,
		       struct err *e)
{
	json_object *body = json_object_new_object();
	json_object *cmd = json_object_new_array();
	for (size_t i = 0; argv[i]; i++)
		json_object_array_add(cmd, json_object_new_string(argv[i]));
	json_object_object_add(body, "Cmd", cmd);
	if (env) {
		json_object *ev = json_object_new_array();
		for (size_t i = 0; env[i]; i++)
			json_object_array_add(ev, json_object_new_string(env[i]));
		json_object_object_add(body, "Env", ev);
	}
	if (workdir)
		json_add_str(body, "WorkingDir", workdir);
	json_add_bool(body, "AttachStdout", true);
	json_add_bool(body, "AttachStderr", true);
	/* stdin is attached only as a lifeline for the pid-file wrapper */
	json_add_bool(body, "AttachStdin", stdin_lifeline);
	json_add_bool(body, "Tty", false);
	char *n = http_escape(container);
	char *path = xasprintf("/containers/%s/exec", n);
	char *what = xasprintf("cannot run a command in container '%s'", container);
	json_object *o = NULL;
	int rc = call_ok(p, "POST", path, body, &o, what, e);
	if (rc == 0) {
		const char *eid = json_str(o, "Id");
		if (eid)
			*id = xstrdup(eid);
		else
			rc = err_set(e, "%s: no exec Id in Podman's answer", what);
	}
	json_object_put(o);
	json_object_put(body);
	free(n), free(path), free(what);
	return rc;
}

/* Run a short command to completion, discarding its output. */
static int exec_simple(struct podman *p, const char *container, char *const *argv, struct err *e)
{
	struct exec_opts o = { .argv = argv };
	int code = 0;
	return podman_exec(p, container, &o, &code, e) < 0 ? -1 : code;
}

/* Signal the process recorded in pidfile: TERM, then KILL if it lingers. */
static void exec_stop(struct podman *p, const char *container, const char *id, const char *pidfile)
{
	char *const term[] = { "sh", "-c", "kill -TERM \"$(cat \"$0\")\" 2>/dev/null", (char *)pidfile, NULL };
	char *const killv[] = { "sh", "-c", "kill -KILL \"$(cat \"$0\")\" 2>/dev/null", (char *)pidfile, NULL };
	struct err e2 = { 0 };
	int saved = g_interrupted;
	g_interrupted = 0; /* let the clean-up calls through */
	exec_simple(p, container, term, &e2);
	for (int i = 0; i < 50; i++) {
		bool running = false;
		int code;
		if (exec_inspect(p, id, &running, &code, &e2) < 0 || !running)
			goto done;
		usleep(100000);
	}
	exec_simple(p, container, killv, &e2);
done:;
	char *const rm[] = { "rm", "-f", (char *)pidfile, NULL };
	exec_simple(p, container, rm, &e2);
	g_interrupted = saved;
}

static void exec_discard(int stream, const char *data, size_t len, void *ctx)
{
	(void)stream, (void)data, (void)len, (void)ctx;
}

/* The pid-file wrapper (see podman.h).  $0 is the pid file; the real argv
 * follows as "$@", never parsed.  First it reaps what a killed tbx left:
 * a process named in another tbx-*.pid that still runs the same program
 * and whose parent is no longer that pid file's wrapper (a live run of
 * another tbx, from another home, keeps its wrapper as parent and is left
 * alone, pid file included).  Then it starts the program with its pid in
 * the pid file, and watches stdin: Podman closes it when our connection
 * goes away (tbx killed with -9), and then the program is stopped too
 * instead of running on unseen.  (An asynchronous list's stdin is
 * /dev/null: hence fd 3.) */
const char podman_exec_wrapper[] =
	"d=${0%/*}; for f in \"$d\"/tbx-*.pid; do [ -f \"$f\" ] || continue; "
	"p=$(cat \"$f\" 2>/dev/null); case \"$p\" in ''|*[!0-9]*) ;; *) "
	"q=; while read -r k v; do [ \"$k\" = PPid: ] && q=$v; done < /proc/$p/status 2>/dev/null; "
	"case \"$(tr '\\000' ' ' < /proc/${q:-0}/cmdline 2>/dev/null)\" in *\"$f\"*) continue ;; esac; "
	"case \"$(tr '\\000' ' ' < /proc/$p/cmdline 2>/dev/null)\" in "
	"*\"${1##*/}\"*) kill -KILL \"$p\" 2>/dev/null ;; esac ;; esac; "
	"rm -f \"$f\"; done; "
	"exec 3<&0; \"$@\" </dev/null 3<&- & p=$!; echo $p > \"$0\"; "
	"(while read -r _ <&3; do :; done; kill -TERM $p 2>/dev/null; sleep 5; "
	"kill -KILL $p 2>/dev/null) & w=$!; "
	"wait $p; rc=$?; kill $w 2>/dev/null; rm -f \"$0\"; exit $rc";

int podman_exec(struct podman *p, const char *container, const struct exec_opts *o,
		int *exit_code, struct err *e)
{
	struct strv argv = STRV_INIT;
	char *id = NULL;
	int rc = -1;
	if (o->pidfile) {

		strv_push(&argv, "sh");
		strv_push(&argv, "-c");
		strv_push(&argv, podman_exec_wrapper);
		strv_push(&argv, o->pidfile);
	}
	for (size_t i = 0; o->argv[i]; i++)
		strv_push(&argv, o->argv[i]);
	if (exec_create(p, container, argv.v, o->env, o->workdir, o->pidfile != NULL, &id, e) < 0)
		goto out;

	struct exec_state s = { .e = e };
	exec_demux_init(&s.demux, o->on_output ? o->on_output : exec_discard, o->ctx);
	struct http_req req;
	struct http_resp resp = { 0 };
	http_req_init(&req, "POST", NULL);
	req.on_data = exec_data;
	req.ctx = &s;
	req.interruptible = o->interruptible;
	char *path = xasprintf("/exec/%s/start", id);
	int hrc = do_request(p, "POST", path, "{\"Detach\":false,\"Tty\":false}", &req, &resp, e);
	free(path);
	http_req_free(&req);
	long status = resp.status;
	http_resp_free(&resp);
	if (hrc < 0) {
		if (g_interrupted && o->interruptible) {
			int sig = g_interrupted;
			if (o->pidfile)
				exec_stop(p, container, id, o->pidfile);
			err_setx(e, sig == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM,
				 "interrupted: stopped '%s' in container '%s'", o->argv[0], container);
			goto out;
		}
		err_wrap(e, "command '%s' in container '%s' failed", o->argv[0], container);
		goto out;
	}
	if (status >= 300) {
		err_set(e, "cannot run '%s' in container '%s': Podman answered HTTP %ld", o->argv[0],
			container, status);
		goto out;
	}
	/* The stream ends when the process does; the exit code may lag. */
	for (int i = 0; i < 100; i++) {
		bool running = false;
		if (exec_inspect(p, id, &running, exit_code, e) < 0)
			goto out;
		if (!running)
			break;
		usleep(20000);
	}
	rc = 0;
out:
	free(id);
	strv_free(&argv);
	return rc;
}

/* ---- archive ---- */

int podman_copy_out(struct podman *p, const char *container, const char *path, size_t max,
		    struct buf *out, struct err *e)
{
	struct http_req req;
	struct http_resp resp = { 0 };
	http_req_init(&req, "GET", NULL);
	req.timeout_s = p->timeout_s;
	req.max_body = max + 64 * 1024; /* tar headers and padding */
	char *n = http_escape(container), *q = http_escape(path);
	char *rpath = xasprintf("/containers/%s/archive?path=%s", n, q);
	int rc = do_request(p, "GET", rpath, NULL, &req, &resp, e);
	free(n), free(q), free(rpath);
	http_req_free(&req);
	if (rc < 0) {
		err_wrap(e, "cannot copy '%s' out of container '%s'", path, container);
		goto out;
	}
	if (resp.status >= 300) {
		struct err ignore = { 0 };
		json_object *o = json_parse(resp.body.p, resp.body.len, "answer", &ignore);
		rc = podman_error(e, resp.status, o, "cannot copy '%s' out of container '%s'", path,
				  container);
		json_object_put(o);
		goto out;
	}
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	rc = err_set(e, "cannot copy '%s' out of container '%s': no regular file in the archive",
		     path, container);
	if (archive_read_open_memory(a, resp.body.p, resp.body.len) == ARCHIVE_OK) {
		struct archive_entry *ent;
		while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
			if (archive_entry_filetype(ent) != AE_IFREG)
				continue;
			if (archive_entry_size(ent) < 0 || (size_t)archive_entry_size(ent) > max) {
				rc = err_set(e, "'%s' in container '%s' is too large", path, container);
				break;
			}
			buf_reset(out);
			char chunk[16384];
			la_ssize_t got;
			while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
				buf_add(out, chunk, (size_t)got);
			if (got < 0)
				rc = err_set(e, "cannot read '%s' from container '%s': %s", path,
					     container, archive_error_string(a));
			else
				rc = 0;
			break;
		}
	}
	archive_read_free(a);
out:
	http_resp_free(&resp);
	return rc;
}
