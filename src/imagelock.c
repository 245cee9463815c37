/* imagelock.c - reading and writing manifests/images.lock.json. */
#define _GNU_SOURCE
#include "imagelock.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "registry.h"

#define IMAGELOCK_MAX_BYTES (4 << 20)

static void history_free(struct lock_history *h)
{
	free(h->digest), free(h->platform_digest), free(h->image_id);
	memset(h, 0, sizeof(*h));
}

static void entry_free(struct lock_entry *le)
{
	free(le->backend), free(le->reference), free(le->digest), free(le->image_id);
	free(le->platform_digest);
	for (size_t i = 0; i < le->n_history; i++)
		history_free(&le->history[i]);
	free(le->history);
	memset(le, 0, sizeof(*le));
}

void imagelock_free(struct imagelock *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	free(l->path);
	memset(l, 0, sizeof(*l));
}

static char *opt_str(json_object *o, const char *key)
{
	const char *s = json_str(o, key);
	return s ? xstrdup(s) : NULL;
}

/* A time field: absent/null is 0; anything but an RFC 3339 string is an error. */
static int opt_time(json_object *o, const char *key, int64_t *t, const char *what, struct err *e)
{
	json_object *v = json_get(o, key);
	*t = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    parse_time(json_object_get_string(v), t) < 0)
		return err_set(e, "%s: '%s' must be a time like 2026-11-26T03:30:00Z", what, key);
	return 0;
}

static int check_str(json_object *o, const char *key, const char *what, struct err *e)
{
	json_object *v = json_get(o, key);
	if (v && !json_object_is_type(v, json_type_string))
		return err_set(e, "%s: '%s' must be a string", what, key);
	return 0;
}

/* platform_digest: absent, or a digest (kept only when it differs). */
static int opt_platform(json_object *o, const char *digest, char **out, const char *what,
			struct err *e)
{
	json_object *v = json_get(o, "platform_digest");
	*out = NULL;
	if (!v)
		return 0;
	const char *d = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	if (!d || !digest_is_valid(d))
		return err_set(e, "%s: 'platform_digest' must be a digest (sha256: and 64 hex digits)",
			       what);
	if (!str_eq(d, digest))
		*out = xstrdup(d);
	return 0;
}

static int parse_entry(const char *id, json_object *o, struct lock_entry *le, const char *path,
		       struct err *e)
{
	if (!json_object_is_type(o, json_type_object))
		return err_set(e, "%s: entry '%s' must be an object", path, id);
	char what[512];
	snprintf(what, sizeof(what), "%s: backend '%s'", path, id);
	le->backend = xstrdup(id);
	if (check_str(o, "reference", what, e) < 0 || check_str(o, "digest", what, e) < 0 ||
	    check_str(o, "image_id", what, e) < 0 || check_str(o, "platform_digest", what, e) < 0)
		return -1;
	json_object *pinned = json_get(o, "pinned");
	if (pinned && !json_object_is_type(pinned, json_type_boolean))
		return err_set(e, "%s: 'pinned' must be true or false", what);
	le->reference = opt_str(o, "reference");
	le->digest = opt_str(o, "digest");
	le->image_id = opt_str(o, "image_id");
	if (le->digest && !digest_is_valid(le->digest))
		return err_set(e, "%s: '%s' is not a digest (sha256: and 64 hex digits)", what,
			       le->digest);
	if (opt_platform(o, le->digest, &le->platform_digest, what, e) < 0)
		return -1;
	le->pinned = json_flag(o, "pinned", false);
	if (opt_time(o, "verified_at", &le->verified_at, what, e) < 0 ||
	    opt_time(o, "pulled_at", &le->pulled_at, what, e) < 0)
		return -1;
	json_object *hv = json_get(o, "history");
	if (hv && !json_object_is_type(hv, json_type_array))
		return err_set(e, "%s: 'history' must be a list", what);
	json_object *h = json_arr(o, "history");
	size_t n = h ? json_object_array_length(h) : 0;
	if (n > IMAGELOCK_HISTORY_MAX)
		n = IMAGELOCK_HISTORY_MAX;
	le->history = xcalloc(n + 1, sizeof(*le->history));
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(h, i);
		const char *d = json_str(item, "digest");
		if (!d)
			continue;
		if (!digest_is_valid(d))
			return err_set(e, "%s: history digest '%s' is not a digest", what, d);
		struct lock_history *lh = &le->history[le->n_history++];
		lh->digest = xstrdup(d);
		lh->image_id = opt_str(item, "image_id");
		if (opt_platform(item, d, &lh->platform_digest, what, e) < 0)
			return -1;
		if (opt_time(item, "until", &lh->until, what, e) < 0)
			return -1;
	}
	return 0;
}

int imagelock_load(const char *home, struct imagelock *l, struct err *e)
{
	memset(l, 0, sizeof(*l));
	l->path = path_join(home, "manifests/images.lock.json");
	if (!path_exists(l->path))
		return 0;
	json_object *o = json_parse_file(l->path, IMAGELOCK_MAX_BYTES, e);
	if (!o)
		return -1;
	json_object *bs = json_obj(o, "backends");
	if (!json_object_is_type(o, json_type_object) || (json_get(o, "backends") && !bs)) {
		json_object_put(o);
		return err_set(e, "%s: expected {\"backends\": {...}}", l->path);
	}
	if (bs) {
		l->v = xcalloc((size_t)json_object_object_length(bs) + 1, sizeof(*l->v));
		json_object_object_foreach(bs, id, val)
		{
			/* counted first: a half-parsed entry is freed with the rest */
			if (parse_entry(id, val, &l->v[l->n++], l->path, e) < 0) {
				json_object_put(o);
				return -1;
			}
		}
	}
	json_object_put(o);
	return 0;
}

static void add_time(json_object *o, const char *key, int64_t t)
{
	char buf[32];
	if (!t) {
		json_object_object_add(o, key, NULL);
		return;
	}
	format_time(t, buf);
	json_add_str(o, key, buf);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct lock_entry *)a)->backend, ((const struct lock_entry *)b)->backend);
}

int imagelock_save(const struct imagelock *l, struct err *e)
{
	/* sorted so that the file diffs cleanly in git */
	struct lock_entry *sorted = xcalloc(l->n + 1, sizeof(*sorted));
	if (l->n)
		memcpy(sorted, l->v, l->n * sizeof(*sorted));
	qsort(sorted, l->n, sizeof(*sorted), cmp_entry);
	json_object *root = json_object_new_object();
	json_add_int(root, "version", 1);
	json_object *bs = json_object_new_object();
	for (size_t i = 0; i < l->n; i++) {
		const struct lock_entry *le = &sorted[i];
		if (!le->digest && !le->pinned && !le->n_history)
			continue; /* nothing recorded yet (a first refresh that failed) */
		json_object *o = json_object_new_object();
		json_add_str(o, "reference", le->reference);
		json_add_str(o, "digest", le->digest);
		if (le->platform_digest)
			json_add_str(o, "platform_digest", le->platform_digest);
		json_add_str(o, "image_id", le->image_id);
		json_add_bool(o, "pinned", le->pinned);
		add_time(o, "verified_at", le->verified_at);
		add_time(o, "pulled_at", le->pulled_at);
		json_object *h = json_object_new_array();
		for (size_t k = 0; k < le->n_history; k++) {
			json_object *item = json_object_new_object();
			json_add_str(item, "digest", le->history[k].digest);
			if (le->history[k].platform_digest)
				json_add_str(item, "platform_digest", le->history[k].platform_digest);
			json_add_str(item, "image_id", le->history[k].image_id);
			add_time(item, "until", le->history[k].until);
			json_object_array_add(h, item);
		}
		json_object_object_add(o, "history", h);
		json_object_object_add(bs, le->backend, o);
	}
	json_object_object_add(root, "backends", bs);
	free(sorted);
	int rc = json_write_file(l->path, root, e);
	json_object_put(root);
	return rc;
}

struct lock_entry *imagelock_get(struct imagelock *l, const char *backend)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].backend, backend) == 0)
			return &l->v[i];
	return NULL;
}

struct lock_entry *imagelock_entry(struct imagelock *l, const char *backend)
{
	struct lock_entry *le = imagelock_get(l, backend);
	if (le)
		return le;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	le = &l->v[l->n++];
	memset(le, 0, sizeof(*le));
	le->backend = xstrdup(backend);
	le->history = xcalloc(1, sizeof(*le->history));
	return le;
}

void lock_entry_set_current(struct lock_entry *le, const char *reference, const char *digest,
			    const char *image_id, int64_t now)
{
	if (!str_eq(le->reference, reference)) {
		free(le->reference);
		le->reference = reference ? xstrdup(reference) : NULL;
	}
	if (le->digest && !str_eq(le->digest, digest)) {
		/* drop an older record of the same digest, then push the current one */
		size_t k = 0;
		for (size_t i = 0; i < le->n_history; i++) {
			if (str_eq(le->history[i].digest, le->digest) || str_eq(le->history[i].digest, digest)) {
				history_free(&le->history[i]);
				continue;
			}
			le->history[k++] = le->history[i];
		}
		le->n_history = k;
		if (le->n_history == IMAGELOCK_HISTORY_MAX)
			history_free(&le->history[--le->n_history]);
		le->history = xrealloc(le->history, (le->n_history + 1) * sizeof(*le->history));
		memmove(le->history + 1, le->history, le->n_history * sizeof(*le->history));
		le->history[0].digest = le->digest;
		le->history[0].platform_digest = le->platform_digest;
		le->history[0].image_id = le->image_id;
		le->history[0].until = now;
		le->n_history++;
		le->digest = NULL;
		le->platform_digest = NULL;
		le->image_id = NULL;
	}
	if (!str_eq(le->digest, digest)) {
		free(le->digest);
		le->digest = xstrdup(digest);
	}
	if (!str_eq(le->image_id, image_id)) {
		free(le->image_id);
		le->image_id = image_id ? xstrdup(image_id) : NULL;
	}
}

void lock_entry_set_platform(struct lock_entry *le, const char *platform_digest)
{
	if (str_eq(le->platform_digest, platform_digest))
		return;
	free(le->platform_digest);
	le->platform_digest = platform_digest && !str_eq(platform_digest, le->digest)
				      ? xstrdup(platform_digest)
				      : NULL;
}

void lock_entry_verified(struct lock_entry *le, int64_t now)
{
	le->verified_at = now;
}

void lock_entry_pulled(struct lock_entry *le, int64_t now)
{
	le->pulled_at = now;
}

void lock_entry_set_pinned(struct lock_entry *le, bool pinned)
{
	le->pinned = pinned;
}

const char *lock_entry_image_for(const struct lock_entry *le, const char *digest)
{
	const char *tag = lock_entry_tag_digest_for(le, digest);
	if (!tag)
		return NULL;
	if (str_eq(le->digest, tag))
		return le->image_id;
	for (size_t i = 0; i < le->n_history; i++)
		if (str_eq(le->history[i].digest, tag))
			return le->history[i].image_id;
	return NULL;
}

const char *lock_entry_platform_for(const struct lock_entry *le, const char *digest)
{
	if (!digest)
		return NULL;
	if (str_eq(le->digest, digest))
		return le->platform_digest;
	for (size_t i = 0; i < le->n_history; i++)
		if (str_eq(le->history[i].digest, digest))
			return le->history[i].platform_digest;
	return NULL;
}

const char *lock_entry_tag_digest_for(const struct lock_entry *le, const char *digest)
{
	if (!digest)
		return NULL;
	if (str_eq(le->digest, digest))
		return le->digest;
	for (size_t i = 0; i < le->n_history; i++)
		if (str_eq(le->history[i].digest, digest))
			return le->history[i].digest;
	if (str_eq(le->platform_digest, digest))
		return le->digest;
	for (size_t i = 0; i < le->n_history; i++)
		if (str_eq(le->history[i].platform_digest, digest))
			return le->history[i].digest;
	return NULL;
}

const char *lock_entry_previous(const struct lock_entry *le)
{
	return le && le->n_history ? le->history[0].digest : NULL;
}

const char *short_digest(const char *digest, char out[24])
{
	if (!digest) {
		snprintf(out, 24, "-");
		return out;
	}
	const char *hex = strchr(digest, ':');
	hex = hex ? hex + 1 : digest;
	snprintf(out, 24, "sha256:%.12s", hex);
	return out;
}
