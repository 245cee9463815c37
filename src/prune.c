/* prune.c - legacy containers and old images. */
#define _GNU_SOURCE
#include "prune.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lifecycle.h"

void prune_result_free(struct prune_result *r)
{
	strv_free(&r->containers);
	strv_free(&r->images);
	strv_free(&r->kept);
	for (size_t i = 0; i < r->n_items; i++)
		free(r->items[i].name), free(r->items[i].why);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static void add_item(struct prune_result *r, enum prune_kind kind, const char *name,
		     const char *why)
{
	r->items = xrealloc(r->items, (r->n_items + 1) * sizeof(*r->items));
	struct prune_item *it = &r->items[r->n_items++];
	it->kind = kind;
	it->name = xstrdup(name);
	it->why = why ? xstrdup(why) : NULL;
}

json_object *prune_result_json(const struct prune_result *r)
{
	json_object *j = json_object_new_object();
	json_object_object_add(j, "containers", json_strv_array(&r->containers));
	json_object_object_add(j, "images", json_strv_array(&r->images));
	return j;
}

static const char *first_name(json_object *c)
{
	json_object *names = json_arr(c, "Names");
	if (names && json_object_array_length(names) > 0)
		return json_object_get_string(json_object_array_get_idx(names, 0));
	return NULL;
}

static int remove_container(struct podman *p, const char *name, bool check, const char *why,
			    struct prune_result *r, struct err *e)
{
	if (!check && podman_container_remove(p, name, true, e) < 0)
		return -1;
	strv_push(&r->containers, name);
	add_item(r, PRUNE_CONTAINER, name, why);
	return 0;
}

static int prune_containers(struct podman *p, const struct backends *bs, const char *home_dir,
			    bool check, struct prune_result *r, struct strv *in_use, struct err *e)
{
	struct strv legacy = STRV_INIT;
	json_object *list = NULL;
	char *our_home = home_id_of(home_dir);
	int rc = -1;
	if (legacy_load(home_dir, &legacy, e) < 0)
		goto out;
	if (podman_container_list(p, NULL, &list, e) < 0)
		goto out;
	size_t n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(list, i);
		const char *name = first_name(c);
		const char *label = json_str(json_obj(c, "Labels"), LABEL_BACKEND);
		const char *home = json_str(json_obj(c, "Labels"), LABEL_HOME);
		const char *image = json_str(c, "ImageID");
		if (!name)
			continue;
		bool managed = false;
		for (size_t b = 0; b < bs->n && !managed; b++)
			managed = bs->v[b].container && str_starts_with(name, bs->v[b].container) &&
				  (!name[strlen(bs->v[b].container)] ||
				   str_eq(name + strlen(bs->v[b].container), SUFFIX_NEW) ||
				   str_eq(name + strlen(bs->v[b].container), SUFFIX_OLD));
		if (managed && strv_contains(&legacy, name))
			add_item(r, PRUNE_LEGACY_CURRENT, name, NULL);
		if (managed) {
			/* never prune a current backend's container, whatever the lists say */
		} else if (strv_contains(&legacy, name)) {
			if (remove_container(p, name, check, "legacy", r, e) < 0)
				goto out;
			if (!check)
				continue;
		} else if (label && !backend_find(bs, label) && str_eq(home, our_home)) {
			if (remove_container(p, name, check, "its definition is gone", r, e) < 0)
				goto out;
			if (!check)
				continue;
		} else if (label && !backend_find(bs, label) && !home) {
			add_item(r, PRUNE_CONTAINER_KEPT, name,
				 "made by a tbx that did not label its home");
		}
		if (image)
			strv_push(in_use, image);
	}
	rc = 0;
out:
	json_object_put(list);
	strv_free(&legacy);
	free(our_home);
	return rc;
}

int prune_run(struct podman *p, const struct backends *bs, const char *home,
	      struct imagelock *il, bool check, long keep_images, struct prune_result *r,
	      struct err *e)
{
	struct strv in_use = STRV_INIT, keep = STRV_INIT, repos = STRV_INIT, ours = STRV_INIT;
	json_object *images = NULL;
	int rc = -1;
	r->check = check;
	if (prune_containers(p, bs, home, check, r, &in_use, e) < 0)
		goto out;
	for (size_t i = 0; i < bs->n; i++) {
		if (!bs->v[i].repo_name)
			continue;
		if (!strv_contains(&repos, bs->v[i].repo_name))
			strv_push(&repos, bs->v[i].repo_name);
		const struct lock_entry *le = imagelock_get(il, bs->v[i].id);
		if (le && le->image_id)
			strv_push(&keep, le->image_id);
		/* every image the lock file names was pulled by tbx: Podman 4.3
		 * lists a dangling one with no names and no RepoDigests */
		for (size_t h = 0; le && h < le->n_history; h++)
			if (le->history[h].image_id)
				strv_push(&ours, le->history[h].image_id);
		/* the last keep_images distinct previous images, for rollback */
		long kept = 0;
		for (size_t h = 0; le && h < le->n_history && kept < keep_images; h++) {
			const char *id = le->history[h].image_id;
			if (!id || str_eq(id, le->image_id) || strv_contains(&keep, id))
				continue;
			strv_push(&keep, id);
			kept++;
		}
	}
	if (podman_image_list(p, &images, e) < 0)
		goto out;
	size_t n = json_object_is_type(images, json_type_array) ? json_object_array_length(images) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *img = json_object_array_get_idx(images, i);
		const char *id = json_str(img, "Id");
		if (!id)
			continue;
		/* managed: one of its names or digests is of a managed repository */
		bool managed = strv_contains(&ours, id);
		const char *lists[] = { "RepoTags", "RepoDigests", "Names" };
		for (size_t l = 0; l < 3 && !managed; l++) {
			json_object *arr = json_arr(img, lists[l]);
			size_t m = arr ? json_object_array_length(arr) : 0;
			for (size_t k = 0; k < m && !managed; k++) {
				const char *s = json_object_get_string(json_object_array_get_idx(arr, k));
				for (size_t rI = 0; s && rI < repos.n && !managed; rI++) {
					size_t lr = strlen(repos.v[rI]);
					managed = strncmp(s, repos.v[rI], lr) == 0 &&
						  (s[lr] == ':' || s[lr] == '@');
				}
			}
		}
		if (!managed || strv_contains(&keep, id) || strv_contains(&in_use, id))
			continue;
		struct err ie = { 0 };
		if (!check && podman_image_remove(p, id, &ie) < 0) {
			/* in use by something we did not see: leave it, say so */
			strv_pushf(&r->kept, "%.12s: %s", id, ie.msg);
			add_item(r, PRUNE_IMAGE_KEPT, id, ie.msg);
			continue;
		}
		strv_push(&r->images, id);
		add_item(r, PRUNE_IMAGE, id, NULL);
	}
	rc = 0;
out:
	json_object_put(images);
	strv_free(&in_use), strv_free(&keep), strv_free(&repos), strv_free(&ours);
	return rc;
}
