/* freshness.c - the freshness verdict. */
#define _GNU_SOURCE
#include "freshness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "json.h"
#include "lifecycle.h"

void freshness_free(struct freshness *f)
{
	free(f->platform_digest);
	free(f->container_id), free(f->state), free(f->image_id), free(f->digest);
	free(f->live_digest);
	memset(f, 0, sizeof(*f));
}

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_FRESH: return "fresh";
	case VERDICT_STALE: return "stale";
	case VERDICT_MISSING: return "missing";
	case VERDICT_NATIVE: return "native";
	case VERDICT_ERROR: return "error";
	}
	return "?";
}

static void stale(struct freshness *f, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void stale(struct freshness *f, const char *fmt, ...)
{
	va_list ap;
	f->verdict = VERDICT_STALE;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

static int check_native(const struct backend *b, struct freshness *f)
{
	f->verdict = VERDICT_NATIVE;
	const char *bin = b->bench.v[0];
	if (access(bin, X_OK) != 0) {
		f->verdict = VERDICT_MISSING;
		snprintf(f->reason, sizeof(f->reason), "host binary '%s' is missing or not executable",
			 bin);
		return 0;
	}
	const char *icd = backend_forced_icd(b);
	if (icd && !path_exists(icd)) {
		f->verdict = VERDICT_MISSING;
		snprintf(f->reason, sizeof(f->reason), "forced Vulkan ICD '%s' does not exist", icd);
		return 0;
	}
	snprintf(f->reason, sizeof(f->reason), "host binary %s", bin);
	return 0;
}

void freshness_judge(const struct backend *b, const char *models_root, json_object *c,
		     bool interrupted, const struct lock_entry *le,
		     const struct registry_answer *live, int64_t max_age_s, int64_t now,
		     struct freshness *f)
{
	memset(f, 0, sizeof(*f));
	if (le) {
		f->digest = le->digest ? xstrdup(le->digest) : NULL;
		f->platform_digest = le->platform_digest ? xstrdup(le->platform_digest) : NULL;
		f->pinned = le->pinned;
		f->verified_at = le->verified_at;
	}
	if (live && live->ok) {
		f->live = true;
		f->live_digest = xstrdup(live->digest);
	} else if (live) {
		snprintf(f->live_error, sizeof(f->live_error), "%s", live->err.msg);
	}
	if (!c) {
		f->verdict = VERDICT_MISSING;
		if (interrupted)
			snprintf(f->reason, sizeof(f->reason),
				 "interrupted replacement: `tbx refresh` restores it");
		else
			snprintf(f->reason, sizeof(f->reason), "no container '%s'", b->container);
		return;
	}
	f->container_id = xstrdup(json_str(c, "Id") ? json_str(c, "Id") : "");
	f->state = xstrdup(json_str(json_obj(c, "State"), "Status") ?
				   json_str(json_obj(c, "State"), "Status") : "unknown");
	f->image_id = xstrdup(json_str(c, "Image") ? json_str(c, "Image") : "");
	f->origin = origin_name(container_origin(c));
	char sd1[24], sd2[24];
	enum container_fit fit = container_matches(c, b, models_root, le ? le->image_id : NULL);
	f->verdict = VERDICT_FRESH;

	if (fit == CONTAINER_FOREIGN && !container_label(c, LABEL_BACKEND)) {
		char *what = origin_describe(c);
		stale(f, "container '%s' is %s, not made by tbx (`tbx refresh --adopt` adopts it)",
		      b->container, what);
		free(what);
	} else if (fit == CONTAINER_FOREIGN) {
		stale(f, "container '%s' was not made by tbx for this backend", b->container);
	} else if (!le || !le->digest || !le->image_id) {
		stale(f, "no digest recorded in images.lock.json (never refreshed by tbx)");
	} else if (fit == CONTAINER_OLD_IMAGE) {
		stale(f, "container predates the current image (%s)",
		      short_digest(le->digest, sd1));
	} else if (fit == CONTAINER_OLD_SPEC) {
		stale(f, "definition changed since the container was made (%s)", b->file);
	} else if (f->live && !le->pinned && strcmp(f->live_digest, le->digest) != 0) {
		stale(f, "image rebuilt upstream: %s -> %s", short_digest(le->digest, sd1),
		      short_digest(f->live_digest, sd2));
	} else if (f->live && le->pinned && strcmp(f->live_digest, le->digest) != 0) {
		snprintf(f->reason, sizeof(f->reason), "pinned to %s (upstream has %s)",
			 short_digest(le->digest, sd1), short_digest(f->live_digest, sd2));
	} else if (le->pinned) {
		snprintf(f->reason, sizeof(f->reason), "pinned to %s", short_digest(le->digest, sd1));
	} else if (f->live) {
		f->verified_at = now;
		snprintf(f->reason, sizeof(f->reason), "matches the registry now");
	} else {
		int64_t age = now - le->verified_at;
		char a[64];
		format_age(age, a, sizeof(a));
		if (le->verified_at == 0 || age > max_age_s)
			stale(f, "not verified against the registry for %s%s%s",
			      le->verified_at ? a : "ever", f->live_error[0] ? "; " : "",
			      f->live_error);
		else
			snprintf(f->reason, sizeof(f->reason), "verified %s ago%s%s", a,
				 f->live_error[0] ? " (registry not reachable now: " : "",
				 f->live_error[0] ? f->live_error : "");
		if (f->verdict == VERDICT_FRESH && f->live_error[0])
			strncat(f->reason, ")", sizeof(f->reason) - strlen(f->reason) - 1);
	}
}

int freshness_check(struct podman *p, const struct backend *b, const char *models_root,
		    const struct lock_entry *le, const struct registry_answer *live,
		    int64_t max_age_s, struct freshness *f, struct err *e)
{
	memset(f, 0, sizeof(*f));
	if (b->native)
		return check_native(b, f);
	json_object *c = NULL;
	int rc = podman_container_inspect(p, b->container, &c, e);
	if (rc < 0)
		return -1;
	int interrupted = rc == 1 ? lifecycle_interrupted(p, b, e) : 0;
	if (interrupted < 0)
		return -1;
	freshness_judge(b, models_root, rc == 0 ? c : NULL, interrupted == 1, le, live, max_age_s,
			now_unix(), f);
	json_object_put(c);
	return 0;
}
