/* upstream.c - frozen and retired channels, from the registry's tag list
 * (stamp tags "<tag>_YYYYmmddTHHMMSS"), cached in the tbx home. */
#define _GNU_SOURCE
#include "upstream.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "json.h"

#define LINK_MAX 2048
#define CACHE_MAX_BYTES ((size_t)4 << 20)

const char *upstream_state_name(enum upstream_state s)
{
	switch (s) {
	case UPSTREAM_LIVE: return "live";
	case UPSTREAM_FROZEN: return "frozen";
	case UPSTREAM_RETIRED: return "retired";
	case UPSTREAM_UNKNOWN: break;
	}
	return "unknown";
}

void upstream_repo_free(struct upstream_repo *r)
{
	free(r->name), free(r->error), free(r->stamps);
	strv_free(&r->channels);
	memset(r, 0, sizeof(*r));
}

void upstream_survey_free(struct upstream_survey *s)
{
	for (size_t i = 0; i < s->n; i++)
		upstream_repo_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- parsers ---- */

int upstream_parse_tags_page(const char *text, size_t len, const char *repo, struct strv *tags,
			     struct err *e)
{
	char *what = xasprintf("tag list of %s", repo);
	json_object *o = json_parse(text, len, "answer", e);
	int rc = -1;
	if (!o) {
		err_wrap(e, "%s is not JSON", what);
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		err_set(e, "%s is not a JSON object", what);
		goto out;
	}
	json_object *name = json_get(o, "name");
	if (name && (!json_object_is_type(name, json_type_string) ||
		     strcmp(json_object_get_string(name), repo) != 0)) {
		char *s = name && json_object_is_type(name, json_type_string)
				  ? sanitize_line(json_object_get_string(name),
						  strlen(json_object_get_string(name)), 80)
				  : xstrdup("(not a string)");
		err_set(e, "%s names another repository '%s'", what, s);
		free(s);
		goto out;
	}
	json_object *arr = json_get(o, "tags");
	if (arr && json_object_is_type(arr, json_type_null))
		arr = NULL; /* a repository without tags */
	if (arr && !json_object_is_type(arr, json_type_array)) {
		err_set(e, "%s: 'tags' is not a list", what);
		goto out;
	}
	size_t n = arr ? json_object_array_length(arr) : 0;
	if (tags->n + n > UPSTREAM_MAX_TAGS) {
		err_set(e, "%s has more than %d tags (cut short)", what, UPSTREAM_MAX_TAGS);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		const char *s = json_object_is_type(t, json_type_string) ? json_object_get_string(t)
									  : NULL;
		if (!s || !registry_tag_is_valid(s)) {
			char *shown = s ? sanitize_line(s, strlen(s), 80) : xstrdup("(not a string)");
			err_set(e, "%s holds an invalid tag name '%s'", what, shown);
			free(shown);
			goto out;
		}
		strv_push(tags, s);
	}
	rc = 0;
out:
	json_object_put(o);
	free(what);
	return rc;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int upstream_parse_stamp(const char *tag, size_t *channel_len, int64_t *t)
{
	const char *us = strrchr(tag, '_');
	if (!us || us == tag || strlen(us + 1) != 15)
		return 0;
	const char *s = us + 1;
	if (!all_digits(s, 8) || s[8] != 'T' || !all_digits(s + 9, 6))
		return 0;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	char buf[16];
	memcpy(buf, s, 15);
	buf[15] = '\0';
	const char *end = strptime(buf, "%Y%m%dT%H%M%S", &tm);
	if (!end || *end || tm.tm_year < 70 || tm.tm_year > 1100)
		return -1;
	time_t v = timegm(&tm);
	struct tm back;
	char again[20];
	if (v == (time_t)-1 || !gmtime_r(&v, &back))
		return -1;
	strftime(again, sizeof(again), "%Y%m%dT%H%M%S", &back);
	if (strcmp(again, buf) != 0) /* 20261345T999999 and the like */
		return -1;
	*channel_len = (size_t)(us - tag);
	*t = (int64_t)v;
	return 1;
}

static bool link_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~%&=+/?:@!$'()*,;", c);
}

/* rel="next" (or rel=next) among one link-value's parameters [q, end) */
static bool rel_is_next(const char *q, const char *end)
{
	for (; (q = strcasestr(q, "rel=")) && q < end; q += 4) {
		const char *v = q + 4;
		if (*v == '"')
			v++;
		if (v + 4 <= end && strncasecmp(v, "next", 4) == 0 &&
		    (v + 4 == end || strchr("\"; ,", v[4])))
			return true;
	}
	return false;
}

int upstream_link_next(const char *link, const char *base, const char *repo, char **next,
		       struct err *e)
{
	*next = NULL;
	const char *p = link;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;
	/* one or more link-values "<URI>; params", separated by commas: the
	 * one whose rel is next */
	const char *close = NULL;
	bool is_next = false;
	while (!is_next) {
		close = *p == '<' ? strchr(p, '>') : NULL;
		if (!close) {
			char *s = sanitize_line(link, strlen(link), 120);
			err_set(e, "malformed Link header '%s' in the tag list of %s", s, repo);
			free(s);
			return -1;
		}
		const char *end = strchr(close, ',');
		if (!end)
			end = close + strlen(close);
		is_next = rel_is_next(close + 1, end);
		if (is_next || !*end)
			break;
		for (p = end + 1; *p == ' ' || *p == '\t'; p++)
			;
	}
	if (!is_next)
		return 0;
	const char *target = p + 1;
	size_t len = (size_t)(close - target);
	size_t blen = strlen(base);
	if (len > blen && strncmp(target, base, blen) == 0 && target[blen] == '/') {
		target += blen;
		len -= blen;
	}
	char *want = xasprintf("/v2/%s/tags/list?", repo);
	bool ok = len > strlen(want) && len < LINK_MAX && strncmp(target, want, strlen(want)) == 0;
	for (size_t i = 0; ok && i < len; i++)
		ok = link_char_ok(target[i]);
	free(want);
	if (!ok) {
		char *s = sanitize_line(link, strlen(link), 120);
		err_set(e, "the Link header '%s' in the tag list of %s does not point to its next "
			   "page", s, repo);
		free(s);
		return -1;
	}
	*next = xstrndup(target, len);
	return 1;
}

static ssize_t channel_index(const struct upstream_repo *r, const char *name, size_t n)
{
	for (size_t i = 0; i < r->channels.n; i++)
		if (strlen(r->channels.v[i]) == n && strncmp(r->channels.v[i], name, n) == 0)
			return (ssize_t)i;
	return -1;
}

static void repo_add_stamp(struct upstream_repo *r, const char *channel, size_t n, int64_t t)
{
	ssize_t i = channel_index(r, channel, n);
	if (i < 0) {
		char *c = xstrndup(channel, n);
		strv_push(&r->channels, c);
		free(c);
		r->stamps = xrealloc(r->stamps, r->channels.n * sizeof(*r->stamps));
		i = (ssize_t)r->channels.n - 1;
		r->stamps[i] = t;
	} else if (t > r->stamps[i]) {
		r->stamps[i] = t;
	}
	if (t > r->newest)
		r->newest = t;
}

int upstream_repo_from_tags(const struct strv *tags, struct upstream_repo *r, struct err *e)
{
	for (size_t i = 0; i < tags->n; i++) {
		size_t cl;
		int64_t t;
		int k = upstream_parse_stamp(tags->v[i], &cl, &t);
		if (k < 0) {
			char *s = sanitize_line(tags->v[i], strlen(tags->v[i]), 80);
			err_set(e, "stamp tag '%s' in the tag list of %s is not a UTC time "
				   "YYYYmmddTHHMMSS", s, r->name ? r->name : "the repository");
			free(s);
			return -1;
		}
		if (k == 1)
			repo_add_stamp(r, tags->v[i], cl, t);
	}
	r->n_tags = tags->n;
	return 0;
}

/* ---- the walk ---- */

char *upstream_first_page(const struct image_ref *ref, long page_size)
{
	if (page_size < 1 || page_size > 10000)
		page_size = UPSTREAM_DEFAULT_PAGE;
	return xasprintf("/v2/%s/tags/list?n=%ld", ref->repo, page_size);
}

int upstream_walk(const struct registry_opts *o, const struct image_ref *ref, long page_size,
		  struct upstream_repo *r, struct err *e)
{
	struct registry_session *s = NULL;
	struct http_resp resp = { 0 };
	struct strv tags = STRV_INIT;
	char *path = NULL, *base = NULL;
	char link[LINK_MAX * 2];
	int rc = -1;
	if (registry_session_open(o, ref, &s, e) < 0)
		goto out;
	base = registry_base_url(o, ref->registry);
	path = upstream_first_page(ref, page_size);
	r->pages = 0;
	for (;;) {
		if (r->pages >= UPSTREAM_MAX_PAGES) {
			err_set(e, "the tag list of %s/%s has more than %d pages (cut short)",
				ref->registry, ref->repo, UPSTREAM_MAX_PAGES);
			goto out;
		}
		if (registry_session_get(s, path, UPSTREAM_PAGE_BODY_MAX, &resp, e) < 0) {
			err_wrap(e, "tag list of %s/%s", ref->registry, ref->repo);
			goto out;
		}
		r->pages++;
		if (resp.status == 400 && r->pages == 1 && strstr(path, "?n=")) {
			/* distribution 3 with tags.maxtags refuses a larger n (400
			 * PAGINATION_NUMBER_INVALID): the list without n, still one walk */
			free(path);
			path = xasprintf("/v2/%s/tags/list", ref->repo);
			continue;
		}
		if (resp.status == 404) {
			err_set(e, "%s has no tag list for %s (HTTP 404)", ref->registry, ref->repo);
			goto out;
		}
		if (resp.status == 429) {
			err_set(e, "rate limited by %s (HTTP 429) on the tag list", ref->registry);
			goto out;
		}
		if (resp.status != 200) {
			err_set(e, "%s answered HTTP %ld for the tag list of %s", ref->registry,
				resp.status, ref->repo);
			goto out;
		}
		if (upstream_parse_tags_page(buf_str(&resp.body), resp.body.len, ref->repo, &tags,
					     e) < 0)
			goto out;
		char *next = NULL;
		const char *lv = http_header(&resp, "Link", link, sizeof(link));
		if (lv && strlen(lv) >= sizeof(link) - 1) {
			err_set(e, "the Link header in the tag list of %s is too long", ref->repo);
			goto out;
		}
		int k = lv ? upstream_link_next(lv, base ? base : "", ref->repo, &next, e) : 0;
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		if (strcmp(next, path) == 0) {
			free(next);
			err_set(e, "the Link header of the tag list of %s points back to the same "
				   "page", ref->repo);
			goto out;
		}
		free(path);
		path = next;
	}
	rc = upstream_repo_from_tags(&tags, r, e);
out:
	http_resp_free(&resp);
	registry_session_close(s);
	strv_free(&tags);
	free(path), free(base);
	return rc;
}

/* ---- the cache: <home>/cache/upstream.json ---- */

static char *cache_path(const char *home)
{
	return path_join(home, "cache/upstream.json");
}

static int repo_from_json(const char *name, json_object *j, struct upstream_repo *r)
{
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	const char *fetched = json_str(j, "fetched_at");
	const char *error = json_str(j, "error");
	json_object *ch = json_obj(j, "channels");
	if (!fetched || parse_time(fetched, &r->fetched_at) < 0 || (!ch && !error))
		return -1;
	r->ok = error == NULL;
	if (error)
		r->error = sanitize_line(error, strlen(error), 400);
	if (!ch)
		return 0;
	json_object_object_foreach(ch, k, v)
	{
		int64_t t;
		if (!registry_tag_is_valid(k) || !json_object_is_type(v, json_type_string) ||
		    parse_time(json_object_get_string(v), &t) < 0)
			return -1;
		repo_add_stamp(r, k, strlen(k), t);
	}
	return 0;
}

/* A cache that cannot be read is ignored (it is only a cache). */
static void cache_load(const char *home, struct upstream_survey *c)
{
	memset(c, 0, sizeof(*c));
	char *path = cache_path(home);
	struct err e = { 0 };
	json_object *o = path_exists(path) ? json_parse_file(path, CACHE_MAX_BYTES, &e) : NULL;
	json_object *repos = o ? json_obj(o, "repos") : NULL;
	if (o && !repos)
		verbose("ignoring %s: no 'repos' object", path);
	else if (!o && e.msg[0])
		verbose("ignoring %s: %s", path, e.msg);
	if (repos) {
		json_object_object_foreach(repos, k, v)
		{
			struct upstream_repo r;
			if (!json_object_is_type(v, json_type_object) || repo_from_json(k, v, &r) < 0) {
				upstream_repo_free(&r);
				verbose("ignoring %s: bad entry for '%s'", path, k);
				continue;
			}
			c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
			c->v[c->n++] = r;
		}
	}
	json_object_put(o);
	free(path);
}

static json_object *repo_json(const struct upstream_repo *r)
{
	char ts[32];
	json_object *j = json_object_new_object();
	format_time(r->fetched_at, ts);
	json_add_str(j, "fetched_at", ts);
	json_add_str(j, "error", r->ok ? NULL : r->error);
	json_object *ch = json_object_new_object();
	for (size_t i = 0; i < r->channels.n; i++) {
		format_time(r->stamps[i], ts);
		json_object_object_add(ch, r->channels.v[i], json_object_new_string(ts));
	}
	json_object_object_add(j, "channels", ch);
	return j;
}

static int cache_save(const char *home, const struct upstream_survey *c, struct err *e)
{
	char *dir = path_join(home, "cache"), *path = cache_path(home);
	json_object *o = json_object_new_object(), *repos = json_object_new_object();
	json_add_str(o, "description", "tbx: newest stamp tag per upstream channel (a cache; "
				       "safe to delete)");
	for (size_t i = 0; i < c->n; i++)
		json_object_object_add(repos, c->v[i].name, repo_json(&c->v[i]));
	json_object_object_add(o, "repos", repos);
	int rc = mkdir_p(dir, 0755, e) < 0 ? -1 : json_write_file(path, o, e);
	json_object_put(o);
	free(dir), free(path);
	return rc;
}

static struct upstream_repo *survey_find(struct upstream_survey *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (str_eq(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

/* "docker.io/kyuz0/x" for a container backend, NULL for a native one */
static char *repo_key(const struct backend *b)
{
	if (b->native || !b->ref.registry || !b->ref.repo)
		return NULL;
	return xasprintf("%s/%s", b->ref.registry, b->ref.repo);
}

static void take_repo(struct upstream_survey *s, struct upstream_repo *r)
{
	struct upstream_repo *old = survey_find(s, r->name);
	if (old) {
		upstream_repo_free(old);
		*old = *r;
	} else {
		s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
		s->v[s->n++] = *r;
	}
	memset(r, 0, sizeof(*r));
}

int upstream_survey(const char *home, const struct registry_opts *o,
		    const struct backend *const *sel, size_t n, enum upstream_mode mode,
		    int64_t max_cache_age, long page_size, struct upstream_survey *out,
		    struct err *e)
{
	struct upstream_survey cache;
	bool walked = false;
	cache_load(home, &cache);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		char *key = repo_key(sel[i]);
		if (!key || survey_find(out, key)) {
			free(key);
			continue;
		}
		struct upstream_repo *cached = survey_find(&cache, key);
		bool walk = mode == UPSTREAM_WALK ||
			    (mode == UPSTREAM_IF_OLD &&
			     (!cached || now_unix() - cached->fetched_at > max_cache_age ||
			      now_unix() < cached->fetched_at));
		struct upstream_repo r = { 0 };
		if (walk) {
			struct err we = { 0 };
			r.name = xstrdup(key);
			r.fetched_at = now_unix();
			if (upstream_walk(o, &sel[i]->ref, page_size, &r, &we) == 0) {
				r.ok = true;
			} else {
				int pages = r.pages;
				upstream_repo_free(&r);
				r.name = xstrdup(key);
				r.fetched_at = now_unix();
				r.pages = pages;
				r.error = xstrdup(we.msg);
			}
			struct upstream_repo copy = { .name = xstrdup(key), .fetched_at = r.fetched_at,
						      .ok = r.ok,
						      .error = r.error ? xstrdup(r.error) : NULL };
			for (size_t k = 0; k < r.channels.n; k++)
				repo_add_stamp(&copy, r.channels.v[k], strlen(r.channels.v[k]),
					       r.stamps[k]);
			take_repo(&cache, &copy);
			walked = true;
		} else if (cached) {
			r.name = xstrdup(key);
			r.fetched_at = cached->fetched_at;
			r.ok = cached->ok;
			r.error = cached->error ? xstrdup(cached->error) : NULL;
			for (size_t k = 0; k < cached->channels.n; k++)
				repo_add_stamp(&r, cached->channels.v[k],
					       strlen(cached->channels.v[k]), cached->stamps[k]);
		} else {
			r.name = xstrdup(key);
			r.error = xstrdup("not yet asked (run 'tbx refresh')");
		}
		take_repo(out, &r);
		free(key);
	}
	int rc = walked ? cache_save(home, &cache, e) : 0;
	upstream_survey_free(&cache);
	return rc;
}

/* ---- judging ---- */

const struct upstream_repo *upstream_repo_of(const struct upstream_survey *s,
					     const struct backend *b)
{
	char *key = repo_key(b);
	const struct upstream_repo *r = NULL;
	for (size_t i = 0; key && i < s->n; i++)
		if (str_eq(s->v[i].name, key))
			r = &s->v[i];
	free(key);
	return r;
}

bool upstream_needs_local(const struct upstream_survey *s, const struct backend *b)
{
	const struct upstream_repo *r = upstream_repo_of(s, b);
	return r && r->ok && r->channels.n == 0;
}


static void judge_age(struct upstream_info *out, int64_t last, int64_t newest,
		      int64_t frozen_after, const char *what)
{
	char age[64];
	out->last_build = last;
	if (newest - last > frozen_after) {
		out->state = UPSTREAM_FROZEN;
		format_age(newest - last, age, sizeof(age));
		snprintf(out->why, sizeof(out->why), "%s %s older than the newest of its repository",
			 what, age);
	} else {
		out->state = UPSTREAM_LIVE;
	}
}

void upstream_judge(const struct upstream_survey *s, const struct backend *b,
		    int64_t frozen_after, int64_t created, int64_t sibling_created,
		    struct upstream_info *out)
{
	memset(out, 0, sizeof(*out));
	out->successor = b->successor;
	out->retired_on = b->retired_on;
	const struct upstream_repo *r = upstream_repo_of(s, b);
	const char *tag = b->native ? NULL : b->ref.tag;
	if (!r || !tag) {
		snprintf(out->why, sizeof(out->why), "no registry answer for this backend");
	} else if (!r->ok) {
		snprintf(out->why, sizeof(out->why), "%s", r->error ? r->error : "tag list unknown");
	} else if (r->channels.n == 0) {
		/* no stamps at all: compare the local image with its siblings' */
		if (created > 0 && sibling_created > 0) {
			out->source = "local";
			judge_age(out, created, sibling_created, frozen_after, "local image is");
		} else {
			snprintf(out->why, sizeof(out->why), "no stamp tags in %s and no local images "
				 "to compare", r->name);
		}
	} else {
		ssize_t i = channel_index(r, tag, strlen(tag));
		if (i < 0) {
			snprintf(out->why, sizeof(out->why), "no stamp tags for '%s' while its "
				 "siblings in %s have them", tag, r->name);
		} else {
			out->source = "tags";
			judge_age(out, r->stamps[i], r->newest, frozen_after, "last build is");
		}
	}
	if (b->retired)
		out->state = UPSTREAM_RETIRED;
}

void upstream_frozen_since(const struct upstream_info *u, char day[32])
{
	day[0] = '\0';
	if (u->last_build) {
		format_time(u->last_build, day);
		day[10] = '\0';
	}
	/* "YYYY-MM-DD" strings compare as the dates do */
	if (u->state == UPSTREAM_RETIRED && u->retired_on &&
	    (!day[0] || strcmp(u->retired_on, day) < 0))
		snprintf(day, 32, "%.10s", u->retired_on);
}

void upstream_describe(const struct upstream_info *u, char *out, size_t n)
{
	char day[32];
	upstream_frozen_since(u, day);
	const char *succ = u->successor;
	const char *sep = succ ? ", successor " : "", *sv = succ ? succ : "";
	switch (u->state) {
	case UPSTREAM_FROZEN:
		snprintf(out, n, "frozen upstream since %s%s%s", day, sep, sv);
		break;
	case UPSTREAM_RETIRED:
		if (day[0])
			snprintf(out, n, "frozen upstream since %s%s%s (retired upstream)", day, sep,
				 sv);
		else
			snprintf(out, n, "retired upstream%s%s", sep, sv);
		break;
	case UPSTREAM_LIVE:
		snprintf(out, n, "%s%s", succ ? "successor " : "", sv);
		break;
	case UPSTREAM_UNKNOWN:
		snprintf(out, n, "upstream unknown%s%s", sep, sv);
		break;
	}
}

json_object *upstream_info_json(const struct upstream_info *u, bool details)
{
	char ts[32];
	json_object *j = json_object_new_object();
	json_add_str(j, "state", upstream_state_name(u->state));
	if (u->last_build) {
		format_time(u->last_build, ts);
		json_add_str(j, "last_build", ts);
	} else {
		json_add_str(j, "last_build", NULL);
	}
	json_add_str(j, "successor", u->successor);
	if (details) {
		char day[32] = "";
		if (u->state == UPSTREAM_FROZEN || u->state == UPSTREAM_RETIRED)
			upstream_frozen_since(u, day);
		json_add_str(j, "frozen_since", day[0] ? day : NULL);
		json_add_str(j, "source", u->source);
		json_add_str(j, "detail", u->why[0] ? u->why : NULL);
	}
	return j;
}

/* ---- local fallback ---- */

static int64_t image_created(struct podman *p, const char *image_id)
{
	json_object *img = NULL;
	struct err e = { 0 };
	int64_t t = 0;
	if (image_id && podman_image_inspect(p, image_id, &img, &e) == 0) {
		const char *c = json_str(img, "Created");
		if (!c || parse_time(c, &t) < 0)
			t = 0;
	}
	json_object_put(img);
	return t;
}

void upstream_local_created(struct podman *p, struct imagelock *il,
			    const struct backends *bs, const struct backend *b, int64_t *self,
			    int64_t *sibling)
{
	*self = *sibling = 0;
	char *key = repo_key(b);
	for (size_t i = 0; key && i < bs->n; i++) {
		const struct backend *o = &bs->v[i];
		char *k = repo_key(o);
		const struct lock_entry *le = k && str_eq(k, key) ? imagelock_get(il, o->id) : NULL;
		free(k);
		if (!le || !le->image_id)
			continue;
		int64_t t = image_created(p, le->image_id);
		if (o == b)
			*self = t;
		else if (t > *sibling)
			*sibling = t;
	}
	free(key);
}

void upstream_judge_local(const struct upstream_survey *s, struct podman *p,
			  struct imagelock *il, const struct backends *bs,
			  const struct backend *b, int64_t frozen_after, struct upstream_info *out)
{
	int64_t self = 0, sibling = 0;
	if (p && il && upstream_needs_local(s, b))
		upstream_local_created(p, il, bs, b, &self, &sibling);
	upstream_judge(s, b, frozen_after, self, sibling, out);
}
