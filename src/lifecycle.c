/* lifecycle.c - safe container replacement. */
#define _GNU_SOURCE
#include "lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "json.h"
#include "toolbox.h"
#include "registry.h"
#include "sha256.h"

json_object *container_tbx_labels(const struct backend *b, const char *models_root,
				  const char *digest)
{
	char hash[65];
	backend_spec_hash(b, models_root, hash);
	json_object *labels = json_object_new_object();
	json_add_str(labels, LABEL_BACKEND, b->id);
	json_add_str(labels, LABEL_SPEC_HASH, hash);
	json_add_str(labels, LABEL_DIGEST, digest);
	if (b->home_id)
		json_add_str(labels, LABEL_HOME, b->home_id);
	json_add_str(labels, LABEL_SELINUX, label_mode_name(b->selinux));
	return labels;
}

json_object *container_spec(const struct backend *b, const char *name, const char *models_root,
			    const char *image_id, const char *digest)
{
	json_object *s = json_object_new_object();
	json_add_str(s, "name", name);
	json_add_str(s, "image", image_id);
	json_object *cmd = json_object_new_array();
	json_object_array_add(cmd, json_object_new_string("sleep"));
	json_object_array_add(cmd, json_object_new_string("infinity"));
	json_object_object_add(s, "command", cmd);
	/* sleep as PID 1 ignores SIGTERM: stop with SIGKILL, at once */
	json_add_int(s, "stop_signal", 9);
	json_add_int(s, "stop_timeout", 1);
	json_add_bool(s, "privileged", false);

	json_object_object_add(s, "labels", container_tbx_labels(b, models_root, digest));

	json_object_object_add(s, "env", json_env_map(&b->env));

	if (b->devices.n) {
		json_object *devs = json_object_new_array();
		for (size_t i = 0; i < b->devices.n; i++) {
			json_object *d = json_object_new_object();
			json_add_str(d, "path", b->devices.v[i]);
			json_object_array_add(devs, d);
		}
		json_object_object_add(s, "devices", devs);
	}
	json_object *groups = json_object_new_array();
	json_object *ann = json_object_new_object();
	for (size_t i = 0; i < b->groups.n; i++) {
		if (strcmp(b->groups.v[i], "keep-groups") == 0)
			json_add_str(ann, "run.oci.keep_original_groups", "1");
		else
			json_object_array_add(groups, json_object_new_string(b->groups.v[i]));
	}
	json_object_object_add(s, "groups", groups);
	json_object_object_add(s, "annotations", ann);
	/* Podman's inspect shows HostConfig.SecurityOpt from these annotations
	 * (its CLI sets them with --security-opt; the API leaves them to us), on
	 * every host, SELinux or not */
	if (b->seccomp_unconfined) {
		json_add_str(s, "seccomp_profile_path", "unconfined");
		json_add_str(ann, "io.podman.annotations.seccomp", "unconfined");
	}
	/* SELinux: a container_t process cannot read ~/models (user_home_t) */
	if (b->selinux == LABEL_DISABLE) {
		json_object *sel = json_object_new_array();
		json_object_array_add(sel, json_object_new_string("disable"));
		json_object_object_add(s, "selinux_opts", sel);
		json_add_str(ann, "io.podman.annotations.label", "disable");
	}

	json_object *mounts = json_object_new_array();
	json_object *m = json_object_new_object();
	json_add_str(m, "destination", models_root);
	json_add_str(m, "source", models_root);
	json_add_str(m, "type", "bind");
	json_object *mopts = json_object_new_array();
	json_object_array_add(mopts, json_object_new_string("rbind"));
	json_object_array_add(mopts, json_object_new_string("ro"));
	if (b->selinux == LABEL_RELABEL_SHARED) /* relabels the user's files, shared */
		json_object_array_add(mopts, json_object_new_string("z"));
	json_object_object_add(m, "options", mopts);
	json_object_array_add(mounts, m);
	json_object_object_add(s, "mounts", mounts);
	return s;
}

const char *container_label(json_object *inspect, const char *key)
{
	return json_str(json_obj(json_obj(inspect, "Config"), "Labels"), key);
}

/* 0 exists (*out set unless out NULL), 1 missing, -1 error. */
static int lookup(struct podman *p, const char *name, json_object **out, struct err *e)
{
	json_object *o = NULL;
	int rc = podman_container_inspect(p, name, &o, e);
	if (out)
		*out = o;
	else
		json_object_put(o);
	return rc;
}

static void tell(converge_event_fn ev, void *ctx, const struct backend *b, enum converge_event what,
		 const char *detail)
{
	if (ev)
		ev(b, what, detail, ctx);
}

void lifecycle_prefetch_run(void *ctx)
{
	struct lifecycle_prefetch *lp = ctx;
	const char **names = xcalloc(lp->n + 1, sizeof(*names));
	size_t k = 0;
	for (size_t i = 0; i < lp->n; i++)
		if (lp->bs[i] && !lp->bs[i]->native && lp->bs[i]->container)
			names[k++] = lp->bs[i]->container;
	podman_container_prefetch(lp->podman, names, k, lp->images);
	free(names);
}

int lifecycle_recover(struct podman *p, const struct backend *b, converge_event_fn ev, void *ctx,
		      struct err *e)
{
	char *new_name = xasprintf("%s" SUFFIX_NEW, b->container);
	char *old_name = xasprintf("%s" SUFFIX_OLD, b->container);
	int rc = -1;
	/* from one list of names: a converge of many backends asks once */
	int has_main = podman_container_exists(p, b->container, e);
	int has_new = has_main < 0 ? -1 : podman_container_exists(p, new_name, e);
	int has_old = has_new < 0 ? -1 : podman_container_exists(p, old_name, e);
	if (has_old < 0)
		goto out;
	if (has_main == 1 && has_new == 0) {
		/* died between the two renames: the new one was started and is whole */
		tell(ev, ctx, b, EVENT_RECOVER_FINISH, new_name);
		if (podman_container_rename(p, new_name, b->container, e) < 0)
			goto out;
		has_new = 1, has_main = 0;
	} else if (has_main == 1 && has_old == 0) {
		tell(ev, ctx, b, EVENT_RECOVER_RESTORE, b->container);
		if (podman_container_rename(p, old_name, b->container, e) < 0)
			goto out;
		has_old = 1, has_main = 0;
	}
	if (has_new == 0) {
		tell(ev, ctx, b, EVENT_REMOVED_NEW, new_name);
		if (podman_container_remove(p, new_name, true, e) < 0)
			goto out;
	}
	if (has_old == 0) {
		tell(ev, ctx, b, EVENT_REMOVED_OLD, old_name);
		if (podman_container_remove(p, old_name, true, e) < 0)
			goto out;
	}
	rc = 0;
out:
	free(new_name);
	free(old_name);
	return rc;
}

int lifecycle_interrupted(struct podman *p, const struct backend *b, struct err *e)
{
	char *new_name = xasprintf("%s" SUFFIX_NEW, b->container);
	char *old_name = xasprintf("%s" SUFFIX_OLD, b->container);
	int has_new = podman_container_exists(p, new_name, e);
	int has_old = has_new < 0 ? -1 : podman_container_exists(p, old_name, e);
	free(new_name);
	free(old_name);
	if (has_old < 0)
		return -1;
	return has_new == 0 || has_old == 0;
}

json_object *lifecycle_adopt_spec(struct podman *p, const struct backend *b, const char *models_root,
				  json_object *current, const char *name, const char *image_id,
				  const char *digest, struct err *e)
{
	json_object *img = NULL;
	const char *old_image = json_str(current, "Image");
	if (!old_image) {
		err_set(e, "cannot carry Image: missing from the inspect answer");
		return NULL;
	}
	/* what the container had from its old image is left to the new one */
	if (podman_image_inspect(p, old_image, &img, e) < 0)
		return NULL;
	json_object *labels = container_tbx_labels(b, models_root, digest);
	json_add_str(labels, LABEL_ORIGIN, origin_name(container_origin(current)));
	json_object *spec = adopt_spec(current, img, name, image_id, labels, e);
	json_object_put(labels);
	json_object_put(img);
	if (!spec)
		err_wrap(e, "'%s'", b->container);
	return spec;
}

int lifecycle_replace(struct podman *p, const struct backend *b, const char *models_root,
		      json_object *carry_from, const char *image_id, const char *digest,
		      struct err *e)
{
	char *new_name = xasprintf("%s" SUFFIX_NEW, b->container);
	char *old_name = xasprintf("%s" SUFFIX_OLD, b->container);
	char *id = NULL;
	int rc = -1;
	json_object *spec = carry_from ? lifecycle_adopt_spec(p, b, models_root, carry_from, new_name,
							      image_id, digest, e)
				       : container_spec(b, new_name, models_root, image_id, digest);
	if (spec && !carry_from && b->toolbox) {
		struct toolbox_host th;
		if (toolbox_host_read(&th, e) < 0)
			goto out;
		toolbox_spec_apply(spec, &th);
		toolbox_host_free(&th);
	}
	if (!spec || podman_container_create(p, spec, &id, e) < 0)
		goto out;
	if (podman_container_start(p, new_name, e) < 0) {
		struct err ignore = { 0 };
		podman_container_remove(p, new_name, true, &ignore);
		goto out;
	}
	int has_main = lookup(p, b->container, NULL, e);
	if (has_main < 0)
		goto out;
	if (has_main == 0) {
		/* No bench runs now (we hold the run lock), so stopping is safe. */
		if (podman_container_stop(p, b->container, 1, e) < 0 ||
		    podman_container_rename(p, b->container, old_name, e) < 0)
			goto out;
	}
	if (podman_container_rename(p, new_name, b->container, e) < 0)
		goto out;
	if (has_main == 0 && podman_container_remove(p, old_name, true, e) < 0)
		goto out;
	rc = 0;
out:
	json_object_put(spec);
	free(id);
	free(new_name);
	free(old_name);
	return rc;
}

int find_local_image(struct podman *p, const struct backend *b, const struct lock_entry *le,
		     const char *digest, struct podman_image *img, struct err *e)
{
	/* from the image list: inspecting NAME@DIGEST fails on Podman 4.3 for
	 * an index's digest */
	int rc = podman_image_find_by_digest(p, b->repo_name, digest, img, e);
	if (rc != 1 || !le)
		return rc;
	const char *platform = lock_entry_platform_for(le, digest);
	if (platform) {
		rc = podman_image_find_by_digest(p, b->repo_name, platform, img, e);
		if (rc != 1)
			return rc;
	}
	const char *known = lock_entry_image_for(le, digest);
	if (!known)
		return 1;
	return podman_image_find_by_id(p, b->repo_name, known, img, e);
}

enum container_fit container_matches(json_object *inspect, const struct backend *b,
				     const char *models_root, const char *image_id)
{
	char hash[65];
	if (!inspect)
		return CONTAINER_MISSING;
	if (!str_eq(container_label(inspect, LABEL_BACKEND), b->id))
		return CONTAINER_FOREIGN;
	if (!image_id || !str_eq(json_str(inspect, "Image"), image_id))
		return CONTAINER_OLD_IMAGE;
	/* an adopted container's configuration is its own, not the definition's */
	if (container_origin(inspect) != ORIGIN_TBX)
		return CONTAINER_FITS;
	backend_spec_hash(b, models_root, hash);
	if (!str_eq(container_label(inspect, LABEL_SPEC_HASH), hash))
		return CONTAINER_OLD_SPEC;
	return CONTAINER_FITS;
}

const char *container_fit_reason(enum container_fit fit)
{
	switch (fit) {
	case CONTAINER_FITS: return NULL;
	case CONTAINER_MISSING: return "no container";
	case CONTAINER_FOREIGN: return "container not made by tbx";
	case CONTAINER_OLD_IMAGE: return "new image";
	case CONTAINER_OLD_SPEC: return "definition changed";
	}
	return "?";
}

const char *converge_action_name(enum converge_action a)
{
	static const char *const names[] = { "unchanged", "created", "updated", "recreated",
					     "failed" };
	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

void converge_outcome_free(struct converge_outcome *o)
{
	free(o->old_digest), free(o->new_digest), free(o->platform_digest), free(o->pull_ref);
	memset(o, 0, sizeof(*o));
}

int converge_choose(const struct backend *b, const struct lock_entry *le,
		    const struct converge_target *t, char **digest, char **pull_ref, struct err *e)
{
	const char *d = t->digest;
	*digest = *pull_ref = NULL;
	if (!d && le && le->pinned && le->digest)
		d = le->digest;
	if (d) {
		*digest = xstrdup(d);
		*pull_ref = xasprintf("%s@%s", b->repo_name, d);
		return 0;
	}
	if (!t->live)
		return err_set(e, "%s: the registry was not asked for %s", b->id, b->image);
	if (!t->live->ok)
		return err_set(e, "%s", t->live->err.msg);
	*digest = xstrdup(t->live->digest);
	*pull_ref = xstrdup(b->image);
	return 0;
}

/* The media type of NAME@digest (a HEAD, free of Docker Hub's pull count),
 * or NULL when the registry is not asked or does not say. */
static char *media_type_of(const struct converge_opts *o, const struct backend *b,
			   const char *digest)
{
	if (!o->registry)
		return NULL;
	struct image_ref ref = { .registry = b->ref.registry, .repo = b->ref.repo,
				 .digest = (char *)digest };
	struct registry_answer ans;
	registry_head_digest(o->registry, &ref, &ans);
	char *mt = ans.media_type;
	ans.media_type = NULL;
	registry_answer_free(&ans);
	return mt;
}

/* Which of the digests img carries is the tag's (*digest on entry: the
 * live tag digest, or a given one) and which the platform manifest's.
 * Podman records both for a tag served as an index (and keeps digests of
 * other pulls of the same image), so the lock file's record comes first,
 * then the registry's media types. */
static void sort_digests(const struct backend *b, const struct lock_entry *le,
			 const struct converge_target *t, const struct converge_opts *o,
			 const struct podman_image *img, char **digest, char **platform)
{
	*platform = NULL;
	const char *known = lock_entry_platform_for(le, *digest);
	if (known) {
		*platform = xstrdup(known);
		return;
	}
	char *other = podman_image_platform_digest(img, *digest);
	if (!other || str_eq(other, *digest)) {
		free(other);
		return;
	}
	bool live = t->live && t->live->ok && str_eq(t->live->digest, *digest);
	char *mt = live && t->live->media_type ? xstrdup(t->live->media_type)
					       : media_type_of(o, b, *digest);
	if (registry_media_type_is_index(mt)) {
		*platform = other; /* the tag is an index: the other is its manifest */
		other = NULL;
	} else if (mt && !live) {
		/* a platform manifest's digest was given: is the other one an
		 * index that resolves to it? */
		char *omt = media_type_of(o, b, other);
		if (registry_media_type_is_index(omt)) {
			*platform = *digest;
			*digest = other;
			other = NULL;
		}
		free(omt);
	}
	free(mt);
	free(other);
}

/* Why a pull failed, when the tag is an index without linux/amd64: one
 * line naming the platforms it has (a manifest GET: only on failure). */
static void explain_pull_failure(const struct backend *b, const struct converge_target *t,
				 const struct converge_opts *o, const char *digest, struct err *e)
{
	if (!o->registry || (t->live && t->live->ok && t->live->media_type &&
			     !registry_media_type_is_index(t->live->media_type)))
		return;
	struct image_ref ref = { .registry = b->ref.registry, .repo = b->ref.repo,
				 .digest = (char *)digest };
	struct registry_answer ans;
	struct buf body;
	buf_init(&body);
	if (registry_get_manifest(o->registry, &ref, &ans, &body) == 0 &&
	    registry_media_type_is_index(ans.media_type)) {
		struct strv pf = { 0 };
		struct err ignore = { 0 };
		bool amd64 = false;
		if (registry_index_platforms(buf_str(&body), body.len, &pf, &amd64, &ignore) == 1 &&
		    !amd64) {
			struct buf list;
			buf_init(&list);
			for (size_t i = 0; i < pf.n; i++)
				buf_addf(&list, "%s%s", i ? ", " : "", pf.v[i]);
			err_set(e, "%s has no linux/amd64 image: its index offers %s", b->image,
				pf.n ? buf_str(&list) : "no platform at all");
			buf_free(&list);
		}
		strv_free(&pf);
	}
	registry_answer_free(&ans);
	buf_free(&body);
}

/* Pull out->pull_ref; the tag may have moved between the HEAD and the
 * pull, so *digest becomes the one the pulled image carries. */
static int converge_pull(struct podman *p, const struct backend *b, const struct converge_target *t,
			 const struct converge_opts *o, struct converge_outcome *out,
			 char **digest, struct podman_image *img, struct err *e)
{
	char *image_id = NULL;
	tell(o->event, o->ctx, b, EVENT_PULLING, out->pull_ref);
	if (podman_image_pull(p, out->pull_ref, o->progress, o->ctx, &image_id, e) < 0) {
		if (e->exit_code < EXIT_SIGINT)
			explain_pull_failure(b, t, o, *digest, e);
		return -1;
	}
	out->pulled = true;
	struct err ignore = { 0 };
	podman_image_free(img);
	if (podman_image_find_by_id(p, b->repo_name, image_id, img, &ignore) != 0) {
		img->id = image_id; /* listed or not, this is the image */
		return 0;
	}
	free(image_id);
	if (!strv_contains(&img->digests, *digest) && img->digest) {
		/* moved: Podman's Digest is the reference it was pulled by */
		free(*digest);
		*digest = xstrdup(img->digest);
	}
	return 0;
}

static void converge_record(const struct backend *b, struct lock_entry *le,
			    const struct converge_target *t, const struct converge_opts *o,
			    const struct converge_outcome *out, const char *image_id)
{
	int64_t now = now_unix();
	lock_entry_set_current(le, b->image, out->new_digest, image_id, now);
	lock_entry_set_platform(le, out->platform_digest);
	if (t->live && t->live->ok)
		lock_entry_verified(le, now);
	if (out->pulled)
		lock_entry_pulled(le, now);
	if (o->pin)
		lock_entry_set_pinned(le, true);
}

/* A container tbx did not make: -1 (the backend fails, nothing changed)
 * unless adopting; then -1 too when it cannot be carried. */
static int converge_adoptable(const struct backend *b, json_object *cont, bool adopt,
			      struct err *e)
{
	if (adopt)
		return 0;
	char *what = origin_describe(cont);
	err_set(e, "container '%s' is %s, not made by tbx: left alone; `tbx refresh --adopt` (or "
		   "adopt = yes in the config) replaces it with one that keeps its configuration "
		   "and runs the new image", b->container, what);
	free(what);
	return -1;
}

int lifecycle_converge(struct podman *p, const struct backend *b, const char *models_root,
		       struct lock_entry *le, const struct converge_target *t,
		       const struct converge_opts *o, struct converge_outcome *out, struct err *e)
{
	char *digest = NULL, *pull_ref = NULL, *platform = NULL;
	struct podman_image img = { 0 };
	json_object *cont = NULL;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	out->old_digest = le->digest ? xstrdup(le->digest) : NULL;
	out->pinned = le->pinned && le->digest;
	if (!o->check && lifecycle_recover(p, b, o->event, o->ctx, e) < 0)
		goto out;
	int has = podman_container_inspect(p, b->container, &cont, e);
	if (has < 0)
		goto out;
	/* one tbx did not make: replaced only when adopting, before any pull */
	bool adopting = has == 0 && !container_label(cont, LABEL_BACKEND);
	out->origin = has == 0 ? container_origin(cont) : ORIGIN_TBX;
	if (adopting && converge_adoptable(b, cont, o->adopt, e) < 0)
		goto out;
	if (converge_choose(b, le, t, &digest, &pull_ref, e) < 0)
		goto out;
	int found = find_local_image(p, b, le, digest, &img, e);
	if (found < 0)
		goto out;
	if (found == 1) {
		out->pull_ref = pull_ref;
		pull_ref = NULL;
		if (o->check) {
			out->pulled = true;
			snprintf(out->why, sizeof(out->why), "would pull %s", out->pull_ref);
			out->action = out->old_digest ? CONVERGE_UPDATED : CONVERGE_CREATED;
			out->new_digest = xstrdup(digest);
			rc = 0;
			goto out;
		}
		if (converge_pull(p, b, t, o, out, &digest, &img, e) < 0)
			goto out;
	}
	sort_digests(b, le, t, o, &img, &digest, &platform);
	const char *image_id = img.id;
	out->new_digest = xstrdup(digest);
	out->platform_digest = platform;
	platform = NULL;
	enum container_fit fit = container_matches(has == 0 ? cont : NULL, b, models_root, image_id);
	if (fit != CONTAINER_FITS) {
		/* adopted now or before: remade from its own configuration */
		json_object *carry = has == 0 && (adopting || out->origin != ORIGIN_TBX) ? cont : NULL;
		out->action = has == 1 ? CONVERGE_CREATED : CONVERGE_RECREATED;
		out->adopted = adopting;
		if (adopting) {
			char *what = origin_describe(cont);
			snprintf(out->why, sizeof(out->why), "%s %s", o->check ? "would adopt" : "adopted",
				 what);
			free(what);
		} else {
			snprintf(out->why, sizeof(out->why), "%s%s", o->check ? "would recreate: " : "",
				 container_fit_reason(fit));
		}
		if (o->check && carry) {
			/* say now what could not be carried */
			json_object *spec = lifecycle_adopt_spec(p, b, models_root, carry, b->container,
								 image_id, out->new_digest, e);
			if (!spec)
				goto out;
			json_object_put(spec);
		}
		if (!o->check && lifecycle_replace(p, b, models_root, carry, image_id,
						   out->new_digest, e) < 0)
			goto out;
		if (adopting && !o->check)
			out->origin = container_origin(cont);
		out->recreated = true;
	} else if (out->pulled) {
		out->action = CONVERGE_UPDATED;
	} else {
		out->action = CONVERGE_UNCHANGED;
		const char *state = out->pinned ? "pinned" : "container up to date";
		if (le->image_id && image_id && !str_eq(le->image_id, image_id)) {
			/* the lock file named another image (status called it
			 * stale): say so, as the change it is */
			char was[13];
			snprintf(was, sizeof(was), "%s",
				 str_starts_with(le->image_id, "sha256:") ? le->image_id + 7
									  : le->image_id);
			snprintf(out->why, sizeof(out->why),
				 "%s; images.lock.json named image %s, %s the container's", state, was,
				 o->check ? "would name" : "now names");
		} else {
			snprintf(out->why, sizeof(out->why), "%s", state);
		}
	}
	if (!o->check)
		converge_record(b, le, t, o, out, image_id);
	rc = 0;
out:
	if (rc < 0) {
		out->action = CONVERGE_FAILED;
		snprintf(out->why, sizeof(out->why), "%s", e->msg);
	}
	json_object_put(cont);
	free(digest), free(pull_ref), free(platform);
	podman_image_free(&img);
	return rc;
}
