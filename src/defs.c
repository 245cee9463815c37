/* defs.c - loading and validating definitions. */
#define _GNU_SOURCE
#include "defs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "escape.h"
#include "json.h"
#include "sha256.h"
#include "trust.h"

#define DEF_MAX_BYTES (256 * 1024)
#define DEF_MAX_LIST 64
#define DEF_MAX_STRING 4096

/* ---- validation helpers ---- */

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

static bool valid_env_key(const char *s)
{
	if (!*s || strlen(s) > 128 || isdigit((unsigned char)*s))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

/* Text a definition or manifest may hold: valid UTF-8 without control
 * characters (C0, C1 such as U+009B, a CSI on some terminals) or characters
 * that hide or reorder text (escape.h's classes), so that every command can
 * print it as it is and it can go into a unit file or crontab line. */
static bool printable(const char *s)
{
	return text_is_clean(s);
}

static int get_string(json_object *o, const char *key, bool required, char **out,
		      const char *what, struct err *e)
{
	json_object *v = json_get(o, key);
	*out = NULL;
	if (!v) {
		if (required)
			return err_set(e, "%s: missing key '%s'", what, key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return err_set(e, "%s: '%s' must be a string", what, key);
	const char *s = json_object_get_string(v);
	if (strlen(s) > DEF_MAX_STRING || !printable(s))
		return err_set(e, "%s: '%s' is too long or holds control characters", what, key);
	if (!*s && required)
		return err_set(e, "%s: '%s' must not be empty", what, key);
	*out = xstrdup(s);
	return 0;
}

static int get_list(json_object *o, const char *key, struct strv *out, const char *what,
		    struct err *e)
{
	json_object *v = json_get(o, key);
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return err_set(e, "%s: '%s' must be a list of strings", what, key);
	size_t n = json_object_array_length(v);
	if (n > DEF_MAX_LIST)
		return err_set(e, "%s: '%s' has %zu entries (at most %d)", what, key, n, DEF_MAX_LIST);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);
		if (!json_object_is_type(item, json_type_string))
			return err_set(e, "%s: '%s' must be a list of strings (entry %zu is not)", what,
				       key, i + 1);
		const char *s = json_object_get_string(item);
		if (!*s || strlen(s) > DEF_MAX_STRING || !printable(s))
			return err_set(e, "%s: '%s' entry %zu is empty, too long or holds control "
				       "characters", what, key, i + 1);
		strv_push(out, s);
	}
	return 0;
}

static int get_bool(json_object *o, const char *key, bool *out, const char *what, struct err *e)
{
	json_object *v = json_get(o, key);
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return err_set(e, "%s: '%s' must be true or false", what, key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- backends ---- */

static const char *const label_mode_names[] = { "disable", "relabel-shared", "default" };

const char *label_mode_name(enum label_mode m)
{
	return m <= LABEL_DEFAULT ? label_mode_names[m] : "?";
}

static int parse_label_mode(const char *s, enum label_mode *out)
{
	for (int m = LABEL_DISABLE; m <= LABEL_DEFAULT; m++)
		if (strcmp(s, label_mode_names[m]) == 0) {
			*out = (enum label_mode)m;
			return 0;
		}
	return -1;
}

void backend_free(struct backend *b)
{
	free(b->id), free(b->file), free(b->image), free(b->container);
	image_ref_free(&b->ref);
	free(b->repo_name);
	strv_free(&b->aliases), strv_free(&b->devices), strv_free(&b->groups);
	strv_free(&b->env), strv_free(&b->bench);
	free(b->expect_backend), free(b->expect_device), free(b->lineage), free(b->description);
	free(b->home_id);
	free(b->retired_on), free(b->successor);
	memset(b, 0, sizeof(*b));
}

static char *id_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	return xstrndup(base, n);
}

static int parse_env(json_object *o, struct backend *b, const char *what, struct err *e)
{
	json_object *env = json_get(o, "env");
	if (!env)
		return 0;
	if (!json_object_is_type(env, json_type_object))
		return err_set(e, "%s: 'env' must be an object of strings", what);
	if (json_object_object_length(env) > DEF_MAX_LIST)
		return err_set(e, "%s: 'env' has too many entries (at most %d)", what, DEF_MAX_LIST);
	json_object_object_foreach(env, k, v)
	{
		if (!valid_env_key(k))
			return err_set(e, "%s: 'env' key '%s' is not a valid variable name", what, k);
		if (!json_object_is_type(v, json_type_string))
			return err_set(e, "%s: 'env' value of '%s' must be a string", what, k);
		const char *s = json_object_get_string(v);
		if (strlen(s) > DEF_MAX_STRING || !printable(s))
			return err_set(e, "%s: 'env' value of '%s' is too long or holds control "
				       "characters", what, k);
		strv_pushf(&b->env, "%s=%s", k, s);
	}
	if (b->env.n)
		qsort(b->env.v, b->env.n, sizeof(char *), cmp_str);
	return 0;
}

static int parse_expect(json_object *o, struct backend *b, const char *what, struct err *e)
{
	static const char *const keys[] = { "backend", "device", NULL };
	json_object *x = json_get(o, "expect");
	if (!x)
		return 0;
	if (!json_object_is_type(x, json_type_object))
		return err_set(e, "%s: 'expect' must be an object", what);
	char *w = xasprintf("%s: expect", what);
	int rc = json_check_keys(x, keys, w, e);
	if (rc == 0)
		rc = get_string(x, "backend", false, &b->expect_backend, w, e);
	if (rc == 0)
		rc = get_string(x, "device", false, &b->expect_device, w, e);
	for (int i = 0; rc == 0 && i < 2; i++) {
		const char *pat = i ? b->expect_device : b->expect_backend;
		size_t n = pat ? strlen(pat) : 0;
		if (n >= 2 && pat[0] == '/' && pat[n - 1] == '/') {
			regex_t re;
			char *body = xstrndup(pat + 1, n - 2);
			if (regcomp(&re, body, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
				rc = err_set(e, "%s: '%s' is not a valid regular expression", w, pat);
			else
				regfree(&re);
			free(body);
		}
	}
	free(w);
	return rc;
}

/* "renderD" + digits after prefix: the whole rest of s. */
static bool name_then_number(const char *s, const char *name)
{
	if (!str_starts_with(s, name))
		return false;
	s += strlen(name);
	if (!*s || strlen(s) > 6)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* The devices a GPU benchmark needs; anything else (/dev/sda, /dev/mem,
 * /dev/kmsg...) only with "unsafe_devices": true. */
static bool accelerator_device(const char *d)
{
	static const char *const whole[] = { "/dev/dri", "/dev/kfd", "/dev/infiniband",
					     "/dev/accel", NULL };
	for (size_t i = 0; whole[i]; i++)
		if (strcmp(d, whole[i]) == 0)
			return true;
	if (str_starts_with(d, "/dev/dri/"))
		return name_then_number(d + 9, "renderD") || name_then_number(d + 9, "card");
	if (str_starts_with(d, "/dev/accel/"))
		return name_then_number(d + 11, "accel");
	if (str_starts_with(d, "/dev/infiniband/")) {
		/* uverbs0, umad0, issm0, rdma_cm */
		const char *n = d + 16;
		return strcmp(n, "rdma_cm") == 0 || name_then_number(n, "uverbs") ||
		       name_then_number(n, "umad") || name_then_number(n, "issm");
	}
	return false;
}

/* "retired": true, false or a "YYYY-MM-DD" date (the day upstream
 * stopped building the tag). */
static int parse_retired(json_object *o, struct backend *b, const char *what, struct err *e)
{
	json_object *v = json_get(o, "retired");
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_boolean)) {
		b->retired = json_object_get_boolean(v);
		return 0;
	}
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	struct tm tm;
	char back[16];
	memset(&tm, 0, sizeof(tm));
	const char *end = s && strlen(s) == 10 ? strptime(s, "%Y-%m-%d", &tm) : NULL;
	/* strptime accepts "2026-2-30"-like input: the date must round-trip */
	if (end && !*end && tm.tm_year >= 100 && tm.tm_year < 200) {
		time_t t = timegm(&tm);
		struct tm norm;
		gmtime_r(&t, &norm);
		strftime(back, sizeof(back), "%Y-%m-%d", &norm);
		if (strcmp(back, s) == 0) {
			b->retired = true;
			b->retired_on = xstrdup(s);
			return 0;
		}
	}
	return err_set(e, "%s: 'retired' must be true, false or a date like \"2026-08-01\"", what);
}

static int validate_backend(struct backend *b, const char *what, struct err *e)
{
	if (!valid_name(b->id, 64))
		return err_set(e, "%s: backend id '%s' must be letters, digits, '.', '_' or '-'", what,
			       b->id);
	if (!b->native) {
		if (!b->image)
			return err_set(e, "%s: missing key 'image' (container backends need one)", what);
		if (!b->container)
			return err_set(e, "%s: missing key 'container'", what);
		if (strchr(b->image, ' ') || strlen(b->image) > 512)
			return err_set(e, "%s: 'image' is not a valid image reference", what);
		struct err re = { 0 };
		if (image_ref_parse(b->image, &b->ref, &re) < 0)
			return err_set(e, "%s: 'image': %s", what, re.msg);
		b->repo_name = image_ref_repo_name(&b->ref);
		if (!valid_name(b->container, 128))
			return err_set(e, "%s: 'container' name '%s' is not valid", what, b->container);
	} else if (b->image || b->container) {
		return err_set(e, "%s: native backends take no 'image' or 'container'", what);
	}
	for (size_t i = 0; i < b->devices.n; i++) {
		const char *d = b->devices.v[i];
		if (!str_starts_with(d, "/dev/") || strstr(d, ".."))
			return err_set(e, "%s: device '%s' is not a path under /dev", what, d);
		if (!b->unsafe_devices && !accelerator_device(d))
			return err_set(e, "%s: 'devices': '%s' is not a GPU or accelerator device "
				       "(allowed: /dev/dri, /dev/dri/renderD*, /dev/dri/card*, /dev/kfd, "
				       "/dev/infiniband[/*], /dev/accel[/accel*]); set \"unsafe_devices\": "
				       "true to pass it anyway", what, d);
	}
	for (size_t i = 0; i < b->groups.n; i++)
		if (!valid_name(b->groups.v[i], 64))
			return err_set(e, "%s: group '%s' is not valid", what, b->groups.v[i]);
	for (size_t i = 0; i < b->aliases.n; i++)
		if (!valid_name(b->aliases.v[i], 64))
			return err_set(e, "%s: alias '%s' is not valid", what, b->aliases.v[i]);
	if (b->native && b->bench.n && b->bench.v[0][0] != '/' && b->bench.v[0][0] != '~')
		return err_set(e, "%s: native 'bench' must start with the binary's absolute path",
			       what);
	if (strcmp(b->lineage, "llama.cpp") != 0 && strcmp(b->lineage, "lemonade") != 0)
		return err_set(e, "%s: 'lineage' must be \"llama.cpp\" or \"lemonade\"", what);
	if (b->successor && (!valid_name(b->successor, 64) || str_eq(b->successor, b->id)))
		return err_set(e, "%s: 'successor' must name another backend", what);
	if (b->native && (b->retired || b->successor || b->experimental))
		return err_set(e, "%s: native backends take no 'retired', 'successor' or "
			       "'experimental'", what);
	return 0;
}

int backend_parse(const char *text, size_t len, const char *path, struct backend *b,
		  struct err *e)
{
	static const char *const keys[] = { "image",   "container", "aliases", "kind",
					    "optional", "devices",  "groups",  "seccomp",
					    "env",     "bench",     "expect",  "lineage",
					    "description", "unsafe_devices", "experimental", "retired",
					    "successor", "selinux", "toolbox", NULL };
	memset(b, 0, sizeof(*b));
	b->id = id_from_path(path);
	b->file = xstrdup(path);
	json_object *o = json_parse(text, len, path, e);
	if (!o) {
		if (!e->msg[0])
			err_set(e, "%s: empty definition", path);
		return -1;
	}
	char *kind = NULL, *seccomp = NULL, *selinux = NULL;
	int rc = -1;
	if (!json_object_is_type(o, json_type_object)) {
		err_set(e, "%s: a definition must be a JSON object", path);
		goto out;
	}
	if (json_check_keys(o, keys, path, e) < 0 ||
	    get_string(o, "image", false, &b->image, path, e) < 0 ||
	    get_string(o, "container", false, &b->container, path, e) < 0 ||
	    get_string(o, "kind", false, &kind, path, e) < 0 ||
	    get_string(o, "seccomp", false, &seccomp, path, e) < 0 ||
	    get_string(o, "selinux", false, &selinux, path, e) < 0 ||
	    get_string(o, "lineage", false, &b->lineage, path, e) < 0 ||
	    get_string(o, "description", false, &b->description, path, e) < 0 ||
	    get_list(o, "aliases", &b->aliases, path, e) < 0 ||
	    get_list(o, "devices", &b->devices, path, e) < 0 ||
	    get_list(o, "groups", &b->groups, path, e) < 0 ||
	    get_list(o, "bench", &b->bench, path, e) < 0 ||
	    get_bool(o, "optional", &b->optional, path, e) < 0 ||
	    get_bool(o, "unsafe_devices", &b->unsafe_devices, path, e) < 0 ||
	    get_bool(o, "experimental", &b->experimental, path, e) < 0 ||
	    get_bool(o, "toolbox", &b->toolbox, path, e) < 0 ||
	    get_string(o, "successor", false, &b->successor, path, e) < 0 ||
	    parse_retired(o, b, path, e) < 0 || parse_env(o, b, path, e) < 0 ||
	    parse_expect(o, b, path, e) < 0)
		goto out;
	if (kind && strcmp(kind, "native") == 0) {
		b->native = true;
	} else if (kind && strcmp(kind, "container") != 0) {
		err_set(e, "%s: 'kind' must be \"container\" or \"native\", not \"%s\"", path, kind);
		goto out;
	}
	if (seccomp && strcmp(seccomp, "unconfined") != 0) {
		err_set(e, "%s: 'seccomp' must be \"unconfined\" or absent", path);
		goto out;
	}
	b->seccomp_unconfined = seccomp != NULL;
	if (selinux && parse_label_mode(selinux, &b->selinux) < 0) {
		err_set(e, "%s: 'selinux' must be \"disable\", \"relabel-shared\" or \"default\", "
			"not \"%s\"", path, selinux);
		goto out;
	}
	if (selinux && b->native) {
		err_set(e, "%s: native backends take no 'selinux' (it applies to containers)", path);
		goto out;
	}
	if (b->toolbox && b->native) {
		err_set(e, "%s: native backends take no 'toolbox' (it makes a container a toolbox)",
			path);
		goto out;
	}
	if (!b->lineage)
		b->lineage = xstrdup("llama.cpp");
	if (b->bench.n == 0) {
		if (b->native) {
			err_set(e, "%s: native backends need 'bench' (the host binary's path)", path);
			goto out;
		}
		strv_push(&b->bench, "llama-bench");
	}
	if (b->native) {
		char *exp = expand_home(b->bench.v[0]);
		free(b->bench.v[0]);
		b->bench.v[0] = exp;
	}
	rc = validate_backend(b, path, e);
out:
	free(kind);
	free(seccomp);
	free(selinux);
	json_object_put(o);
	return rc;
}

void backends_free(struct backends *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		backend_free(&bs->v[i]);
	free(bs->v);
	bs->v = NULL;
	bs->n = 0;
}

static int cmp_backend(const void *a, const void *b)
{
	return strcmp(((const struct backend *)a)->id, ((const struct backend *)b)->id);
}

int backends_load(const char *home, struct backends *out, struct err *e)
{
	char *dir = path_join(home, "containers");
	DIR *d = opendir(dir);
	memset(out, 0, sizeof(*out));
	if (!d) {
		err_set(e, "cannot open '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	struct dirent *de;
	size_t cap = 0;
	int rc = 0;
	struct buf text = BUF_INIT;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !str_ends_with(de->d_name, ".json"))
			continue;
		char *path = path_join(dir, de->d_name);
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->v = xrealloc(out->v, cap * sizeof(*out->v));
		}
		memset(&out->v[out->n], 0, sizeof(*out->v));
		if (read_file(path, DEF_MAX_BYTES, &text, e) < 0 ||
		    backend_parse(buf_str(&text), text.len, path, &out->v[out->n], e) < 0) {
			if (out->n < cap && out->v[out->n].id)
				backend_free(&out->v[out->n]);
			free(path);
			rc = -1;
			break;
		}
		out->v[out->n].home_id = home_id_of(home);
		out->n++;
		free(path);
	}
	closedir(d);
	buf_free(&text);
	free(dir);
	if (rc < 0) {
		backends_free(out);
		return -1;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_backend);
	for (size_t i = 0; i < out->n; i++) {
		const char *succ = out->v[i].successor;
		const struct backend *to = NULL;
		for (size_t j = 0; succ && j < out->n && !to; j++)
			if (str_eq(out->v[j].id, succ) || strv_contains(&out->v[j].aliases, succ))
				to = &out->v[j];
		if (succ && to == &out->v[i]) {
			err_set(e, "%s: 'successor' must name another backend", out->v[i].file);
			backends_free(out);
			return -1;
		}
		if (succ && !to) {
			char *clean = sanitize_line(succ, strlen(succ), 80);
			err_set(e, "%s: 'successor' names '%s', which is not a backend", out->v[i].file,
				clean);
			free(clean);
			backends_free(out);
			return -1;
		}
		if (to && !str_eq(to->id, succ)) {
			/* named by an alias: kept as the id, as status and records show it */
			free(out->v[i].successor);
			out->v[i].successor = xstrdup(to->id);
		}
	}
	/* ids, aliases and container names must not collide */
	for (size_t i = 0; i < out->n; i++) {
		for (size_t j = 0; j < out->n; j++) {
			if (i == j)
				continue;
			const struct backend *a = &out->v[i], *b = &out->v[j];
			if (strv_contains(&b->aliases, a->id) ||
			    (j > i && a->container && str_eq(a->container, b->container))) {
				err_set(e, "%s: '%s' is already used by %s", b->file,
					strv_contains(&b->aliases, a->id) ? a->id : a->container,
					a->file);
				backends_free(out);
				return -1;
			}
			for (size_t k = 0; k < a->aliases.n; k++)
				if (j > i && strv_contains(&b->aliases, a->aliases.v[k])) {
					err_set(e, "%s: alias '%s' is already used by %s", b->file,
						a->aliases.v[k], a->file);
					backends_free(out);
					return -1;
				}
		}
	}
	return 0;
}

bool backend_is_default(const struct backend *b, bool include_optional,
			bool include_experimental)
{
	if (b->native || b->retired)
		return false;
	if (b->experimental)
		return include_experimental;
	return !b->optional || include_optional;
}

const struct backend *backend_find(const struct backends *bs, const char *name)
{
	for (size_t i = 0; i < bs->n; i++)
		if (strcmp(bs->v[i].id, name) == 0)
			return &bs->v[i];
	for (size_t i = 0; i < bs->n; i++)
		if (strv_contains(&bs->v[i].aliases, name))
			return &bs->v[i];
	return NULL;
}

const struct backend *backend_resolve(const struct backends *bs, const char *name, struct err *e)
{
	const struct backend *b = backend_find(bs, name);
	if (b)
		return b;
	struct buf list = BUF_INIT;
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	buf_init(&list);
	for (size_t i = 0; i < bs->n; i++) {
		buf_addf(&list, "%s%s", i ? ", " : "", bs->v[i].id);
		size_t d = edit_distance(name, bs->v[i].id);
		if (d < best_d)
			best_d = d, best = bs->v[i].id;
		for (size_t k = 0; k < bs->v[i].aliases.n; k++) {
			d = edit_distance(name, bs->v[i].aliases.v[k]);
			if (d < best_d)
				best_d = d, best = bs->v[i].aliases.v[k];
		}
	}
	char *clean = sanitize_line(name, strlen(name), 80);
	if (best && best_d <= 3)
		err_setx(e, EXIT_USAGE, "unknown backend '%s' (did you mean '%s'? backends: %s)",
			 clean, best, buf_str(&list));
	else
		err_setx(e, EXIT_USAGE, "unknown backend '%s' (backends: %s)", clean,
			 buf_str(&list));
	free(clean);
	buf_free(&list);
	return NULL;
}

static void hash_field(struct sha256 *s, const char *key, const char *val)
{
	sha256_update(s, key, strlen(key));
	sha256_update(s, "=", 1);
	if (val)
		sha256_update(s, val, strlen(val));
	sha256_update(s, "\n", 1);
}

void backend_spec_hash(const struct backend *b, const char *models_root, char out[65])
{
	struct sha256 s;
	sha256_init(&s);
	hash_field(&s, "version", "1");
	hash_field(&s, "image", b->image);
	hash_field(&s, "container", b->container);
	for (size_t i = 0; i < b->devices.n; i++)
		hash_field(&s, "device", b->devices.v[i]);
	for (size_t i = 0; i < b->groups.n; i++)
		hash_field(&s, "group", b->groups.v[i]);
	hash_field(&s, "seccomp", b->seccomp_unconfined ? "unconfined" : "default");
	hash_field(&s, "selinux", label_mode_name(b->selinux));
	if (b->toolbox) /* absent when false: the hashes of earlier containers stay */
		hash_field(&s, "toolbox", "1");
	for (size_t i = 0; i < b->env.n; i++)
		hash_field(&s, "env", b->env.v[i]);
	hash_field(&s, "models", models_root);
	sha256_hex(&s, out);
}

const char *backend_forced_icd(const struct backend *b)
{
	for (size_t i = 0; i < b->env.n; i++)
		if (str_starts_with(b->env.v[i], "VK_ICD_FILENAMES="))
			return b->env.v[i] + strlen("VK_ICD_FILENAMES=");
	return NULL;
}

bool expect_matches(const char *pattern, const char *text)
{
	if (!pattern || !*pattern)
		return true;
	if (!text)
		return false;
	size_t n = strlen(pattern);
	if (n >= 2 && pattern[0] == '/' && pattern[n - 1] == '/') {
		regex_t re;
		char *body = xstrndup(pattern + 1, n - 2);
		bool ok = false;
		if (regcomp(&re, body, REG_EXTENDED | REG_NOSUB | REG_ICASE) == 0) {
			ok = regexec(&re, text, 0, NULL, 0) == 0;
			regfree(&re);
		}
		free(body);
		return ok;
	}
	return strcasestr(text, pattern) != NULL;
}

/* ---- models ---- */

void models_free(struct models *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].alias), free(m->v[i].path);
	free(m->v);
	free(m->root);
	memset(m, 0, sizeof(*m));
}

static char *absolute_under(const char *root, const char *p)
{
	char *exp = expand_home(p);
	if (exp[0] == '/')
		return exp;
	char *abs = path_join(root, exp);
	free(exp);
	return abs;
}

/* "/a/./b/../c//" -> "/a/c", without looking at the file system. */
static char *path_lexical(const char *p)
{
	struct strv parts = STRV_INIT;
	for (const char *q = p; *q;) {
		size_t n = strcspn(q, "/");
		if (n == 2 && q[0] == '.' && q[1] == '.') {
			if (parts.n)
				free(parts.v[--parts.n]), parts.v[parts.n] = NULL;
		} else if (n && !(n == 1 && q[0] == '.')) {
			char *one = xstrndup(q, n);
			strv_push(&parts, one);
			free(one);
		}
		q += n + (q[n] == '/');
	}
	struct buf b = BUF_INIT;
	buf_init(&b);
	for (size_t i = 0; i < parts.n; i++)
		buf_addf(&b, "/%s", parts.v[i]);
	if (!b.len)
		buf_addc(&b, '/');
	strv_free(&parts);
	return buf_detach(&b);
}

/* Is the user's own home /root (tbx run by root)? */
static bool home_is_root_dir(void)
{
	struct passwd *pw = getpwuid(geteuid());
	return pw && pw->pw_dir && strcmp(pw->pw_dir, "/root") == 0;
}

/* The system directory an absolute, normalised path is or lies under, or
 * NULL.  Containers mount the models root (read-only, at the same path,
 * and as root with a rootful Podman): the pseudo and secret file systems
 * are refused with everything under them, the top directories of the
 * system only themselves (/usr/share/models is fine, /usr is not). */
static const char *system_dir(const char *p)
{
	static const char *const tree[] = { "/proc", "/sys", "/dev", "/etc", "/boot", "/run",
					    "/root", NULL };
	static const char *const exact[] = { "/",    "/usr",  "/var",  "/home", "/tmp",
					     "/var/tmp", "/bin", "/sbin", "/lib", "/lib32",
					     "/lib64", "/libx32", NULL };
	for (size_t i = 0; tree[i]; i++) {
		size_t n = strlen(tree[i]);
		if (strncmp(p, tree[i], n) == 0 && (p[n] == '\0' || p[n] == '/')) {
			if (strcmp(tree[i], "/root") == 0 && home_is_root_dir())
				continue;
			return tree[i];
		}
	}
	for (size_t i = 0; exact[i]; i++)
		if (strcmp(p, exact[i]) == 0)
			return exact[i];
	return NULL;
}

/* realpath() of the longest existing leading part, the rest appended
 * ("/var/run/none" -> "/run/none"); NULL when nothing resolves. */
static char *realpath_partial(const char *lex)
{
	char *head = xstrdup(lex);
	for (;;) {
		char *real = realpath(head, NULL);
		if (real) {
			const char *rest = lex + strlen(head);
			char *full = *rest ? xasprintf("%s%s", strcmp(real, "/") ? real : "", rest)
					   : xstrdup(real);
			free(real);
			free(head);
			return full;
		}
		char *slash = strrchr(head, '/');
		if (!slash || slash == head) {
			free(head);
			return NULL;
		}
		*slash = '\0';
	}
}

/* Is the absolute, normalised P the directory ROOT or below it? */
static bool path_under(const char *root, const char *p)
{
	size_t n = strlen(root);
	return strcmp(root, "/") == 0 ||
	       (strncmp(p, root, n) == 0 && (p[n] == '/' || p[n] == '\0'));
}

bool models_inside_root(const struct models *m, const char *path)
{
	if (!m->root || path[0] != '/')
		return false;
	char *lr = path_lexical(m->root), *lp = path_lexical(path);
	/* the kernel's reading ("link/.." is the link's parent) when the
	 * file is there, else the longest part that exists */
	char *rr = realpath_partial(lr), *rp = realpath(path, NULL);
	if (!rp)
		rp = realpath_partial(lp);
	bool inside = path_under(lr, lp) && strcmp(lr, lp) != 0 && rr && rp &&
		      path_under(rr, rp) && strcmp(rr, rp) != 0;
	free(lr), free(lp), free(rr), free(rp);
	return inside;
}

/* The models root must not be (or resolve to, through symlinks) a
 * system directory: every container would see it. */
static int check_models_root(const char *root, const char *file, struct err *e)
{
	char *lex = path_lexical(root);
	char *real = realpath_partial(lex);
	const char *sys = system_dir(lex);
	const char *rsys = real ? system_dir(real) : NULL;
	int rc = 0;
	char *shown = sanitize_line(root, strlen(root), 300);
	if (sys || rsys) {
		char *r = real ? sanitize_line(real, strlen(real), 300) : NULL;
		char *how = sys ? xasprintf("%s the system directory %s",
					    strcmp(lex, sys) ? "is under" : "is", sys)
				: xasprintf("resolves to '%s', %s the system directory %s", r,
					    strcmp(real, rsys) ? "under" : "which is", rsys);
		free(r);
		rc = err_set(e, "%s: 'root' '%s' %s, which every container would mount; point "
			     "'root' at the directory holding your GGUF files", file, shown, how);
		free(how);
	}
	free(shown);
	free(real);
	free(lex);
	return rc;
}

int models_load(const char *home, struct models *m, struct err *e)
{
	static const char *const keys[] = { "root", "models", NULL };
	char *path = path_join(home, "manifests/models.json");
	memset(m, 0, sizeof(*m));
	json_object *o = json_parse_file(path, DEF_MAX_BYTES, e);
	int rc = -1;
	if (!o)
		goto out;
	if (!json_object_is_type(o, json_type_object)) {
		err_set(e, "%s: must be a JSON object", path);
		goto out;
	}
	char *root = NULL;
	if (json_check_keys(o, keys, path, e) < 0 || get_string(o, "root", true, &root, path, e) < 0)
		goto out;
	char *cwd = getcwd(NULL, 0);
	char *r = absolute_under(cwd ? cwd : "/", root);
	free(cwd);
	free(root);
	/* normalise: no trailing slash */
	size_t rl = strlen(r);
	while (rl > 1 && r[rl - 1] == '/')
		r[--rl] = '\0';
	m->root = r;
	if (check_models_root(r, path, e) < 0)
		goto out;
	json_object *models = json_get(o, "models");
	if (models && !json_object_is_type(models, json_type_object)) {
		err_set(e, "%s: 'models' must be an object of alias: path", path);
		goto out;
	}
	if (models && json_object_object_length(models) > 4096) {
		err_set(e, "%s: 'models' has too many entries", path);
		goto out;
	}
	m->v = xcalloc((size_t)(models ? json_object_object_length(models) : 0) + 1, sizeof(*m->v));
	if (models) {
		json_object_object_foreach(models, alias, val)
		{
			if (!valid_name(alias, 64)) {
				err_set(e, "%s: model alias '%s' must be letters, digits, '.', '_' or '-'",
					path, alias);
				goto out;
			}
			if (!json_object_is_type(val, json_type_string) ||
			    !*json_object_get_string(val) ||
			    strlen(json_object_get_string(val)) > DEF_MAX_STRING) {
				err_set(e, "%s: model '%s' must be a path string", path, alias);
				goto out;
			}
			if (!printable(json_object_get_string(val))) {
				err_set(e, "%s: model '%s': the path holds control characters or "
					"invalid UTF-8", path, alias);
				goto out;
			}
			m->v[m->n].alias = xstrdup(alias);
			m->v[m->n].path = absolute_under(m->root, json_object_get_string(val));
			m->n++;
		}
	}
	rc = 0;
out:
	json_object_put(o);
	free(path);
	if (rc < 0)
		models_free(m);
	return rc;
}

/* "...-00001-of-00003.gguf": fill the shard count and the prefix length. */
static bool split_gguf(const char *path, size_t *prefix_len, int *count)
{
	const char *p = strstr(path, "-00001-of-");
	if (!p)
		return false;
	int n = 0, used = 0;
	if (sscanf(p + 10, "%5d.gguf%n", &n, &used) != 1 || used == 0 || p[10 + used] != '\0' ||
	    n < 1 || n > 9999)
		return false;
	*prefix_len = (size_t)(p - path);
	*count = n;
	return true;
}

void model_shards(const char *path, struct strv *out)
{
	size_t prefix;
	int count;
	if (!split_gguf(path, &prefix, &count)) {
		strv_push(out, path);
		return;
	}
	for (int i = 1; i <= count; i++)
		strv_pushf(out, "%.*s-%05d-of-%05d.gguf", (int)prefix, path, i, count);
}

static int check_model_file(const char *path, const char *shown, struct err *e)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set(e, "model '%s': %s", shown, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return err_set(e, "model '%s' is a directory, not a GGUF file", shown);
	if (!S_ISREG(st.st_mode))
		return err_set(e, "model '%s' is not a regular file", shown);
	if (access(path, R_OK) < 0)
		return err_set(e, "model '%s' is not readable: %s", shown, strerror(errno));
	return 0;
}

int model_resolve(const struct models *m, const char *name, char **path, const char **alias,
		  struct err *e)
{
	*path = NULL;
	*alias = NULL;
	const struct model *found = NULL;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].alias, name) == 0)
			found = &m->v[i];
	char *p;
	if (found) {
		p = xstrdup(found->path);
		*alias = found->alias;
	} else if (strchr(name, '/') || str_ends_with(name, ".gguf")) {
		char *cwd = getcwd(NULL, 0);
		char *exp = expand_home(name);
		p = exp[0] == '/' ? xstrdup(exp) : path_join(cwd ? cwd : "/", exp);
		free(exp);
		free(cwd);
		for (size_t i = 0; i < m->n; i++)
			if (strcmp(m->v[i].path, p) == 0)
				*alias = m->v[i].alias;
	} else {
		struct buf list = BUF_INIT;
		const char *best = NULL;
		size_t best_d = SIZE_MAX;
		buf_init(&list);
		for (size_t i = 0; i < m->n; i++) {
			buf_addf(&list, "%s%s", i ? ", " : "", m->v[i].alias);
			size_t d = edit_distance(name, m->v[i].alias);
			if (d < best_d)
				best_d = d, best = m->v[i].alias;
		}
		char *clean = sanitize_line(name, strlen(name), 80);
		if (best && best_d <= 3)
			err_setx(e, EXIT_USAGE,
				 "unknown model '%s' (did you mean '%s'? models: %s; or give a path)",
				 clean, best, buf_str(&list));
		else
			err_setx(e, EXIT_USAGE, "unknown model '%s' (models: %s; or give a path)", clean,
				 m->n ? buf_str(&list) : "none defined");
		free(clean);
		buf_free(&list);
		return -1;
	}
	char *shown = sanitize_line(p, strlen(p), 300);
	if (check_model_file(p, shown, e) < 0)
		goto fail;
	/* must lie under the root that containers mount (after symlinks) */
	if (!models_inside_root(m, p)) {
		err_set(e, "model '%s' is outside the models root '%s' that containers mount", shown,
			m->root);
		goto fail;
	}
	struct strv shards = STRV_INIT;
	model_shards(p, &shards);
	for (size_t i = 1; i < shards.n; i++) {
		if (check_model_file(shards.v[i], shards.v[i], e) < 0) {
			err_wrap(e, "split model '%s' is incomplete", shown);
			strv_free(&shards);
			goto fail;
		}
	}
	strv_free(&shards);
	free(shown);
	*path = p;
	return 0;
fail:
	free(shown);
	free(p);
	return -1;
}

int legacy_load(const char *home, struct strv *names, struct err *e)
{
	static const char *const keys[] = { "containers", "description", NULL };
	char *path = path_join(home, "manifests/legacy.json");
	int rc = -1;
	if (!path_exists(path)) {
		free(path);
		return 0;
	}
	json_object *o = json_parse_file(path, DEF_MAX_BYTES, e);
	if (!o)
		goto out;
	if (!json_object_is_type(o, json_type_object)) {
		err_set(e, "%s: must be a JSON object", path);
		goto out;
	}
	if (json_check_keys(o, keys, path, e) < 0 || get_list(o, "containers", names, path, e) < 0)
		goto out;
	for (size_t i = 0; i < names->n; i++)
		if (!valid_name(names->v[i], 128)) {
			err_set(e, "%s: '%s' is not a container name", path, names->v[i]);
			goto out;
		}
	rc = 0;
out:
	json_object_put(o);
	free(path);
	return rc;
}

/* ---- home ---- */

const char *installed_datadir(void)
{
	const char *d = getenv("TBX_DATADIR");
	return d && *d ? d : TBX_DATADIR;
}

static int copy_tree_files(const char *from, const char *to, struct err *e)
{
	DIR *d = opendir(from);
	if (!d)
		return 0;
	if (mkdir_p(to, 0755, e) < 0) {
		closedir(d);
		return -1;
	}
	struct dirent *de;
	struct buf b = BUF_INIT;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".json"))
			continue;
		char *src = path_join(from, de->d_name), *dst = path_join(to, de->d_name);
		if (!path_exists(dst))
			rc = read_file(src, DEF_MAX_BYTES, &b, e) < 0 ||
					     write_file_atomic(dst, b.p, b.len, 0664, e) < 0
				     ? -1
				     : 0;
		free(src), free(dst);
	}
	buf_free(&b);
	closedir(d);
	return rc;
}

char *home_id_of(const char *home)
{
	char *real = realpath(home, NULL);
	const char *p = real ? real : home;
	struct sha256 s;
	char hex[65];
	sha256_init(&s);
	sha256_update(&s, p, strlen(p));
	sha256_hex(&s, hex);
	free(real);
	return xstrndup(hex, 16);
}

/* What a discovered home must pass: the directories from the working
 * directory up to the home, then what in it decides what tbx runs or
 * reads (definitions, manifests, settings, results). */
static int check_home_contents(const char *home, struct err *e)
{
	static const char *const dirs[] = { "containers", "manifests", "results", NULL };
	int rc = 0;
	char *conf = path_join(home, "tbx.conf");
	if (path_exists(conf))
		rc = trust_check_file(conf, e);
	free(conf);
	for (size_t i = 0; rc == 0 && dirs[i]; i++) {
		char *d = path_join(home, dirs[i]);
		DIR *dir = NULL;
		if (is_dir(d))
			rc = trust_check_path(d, e);
		if (rc == 0 && i < 2 && (dir = opendir(d))) {
			struct dirent *de;
			while (rc == 0 && (de = readdir(dir))) {
				if (!str_ends_with(de->d_name, ".json"))
					continue;
				/* a symlink's target and its directory: a definition
				 * linked from a directory others can write is theirs */
				char *f = path_join(d, de->d_name);
				rc = trust_check_file(f, e);
				free(f);
			}
		}
		if (dir)
			closedir(dir);
		free(d);
	}
	return rc;
}

static int check_discovered_home(const char *cwd, const char *home, struct err *e)
{
	struct strv allowed = STRV_INIT;
	int rc = config_safe_homes(&allowed, e);
	if (rc < 0 || trust_dir_allowed(home, &allowed)) {
		strv_free(&allowed);
		return rc;
	}
	strv_free(&allowed);
	char *dir = xstrdup(cwd);
	for (;;) {
		rc = trust_check_path(dir, e);
		if (rc < 0 || strcmp(dir, home) == 0)
			break;
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break; /* not reached: home is a parent of cwd */
		*slash = '\0';
	}
	free(dir);
	if (rc == 0)
		rc = check_home_contents(home, e);
	if (rc < 0) {
		char *h = sanitize_line(home, strlen(home), 300);
		char *why = xstrdup(e->msg);
		err_setx(e, EXIT_REFUSED,
			 "refusing the tbx home '%s' found above the working directory: %s; if you "
			 "trust it, name it with -C or TBX_HOME, or allow it with "
			 "TBX_SAFE_HOME='%s' or 'safe_home = %s' in ~/.config/tbx/config",
			 h, why, h, h);
		free(why);
		free(h);
	}
	return rc;
}

int home_find(const char *option, char **home, struct err *e)
{
	const char *env = getenv("TBX_HOME");
	const char *given = option ? option : (env && *env ? env : NULL);
	if (given) {
		if (!is_dir(given))
			return err_setx(e, EXIT_USAGE, "tbx home '%s' is not a directory", given);
		*home = realpath(given, NULL);
		return *home ? 0 : err_set(e, "cannot resolve '%s': %s", given, strerror(errno));
	}
	char *cwd = getcwd(NULL, 0);
	char *dir = cwd ? xstrdup(cwd) : NULL;
	while (dir) {
		char *c = path_join(dir, "containers");
		bool found = is_dir(c);
		free(c);
		if (found) {
			int rc = check_discovered_home(cwd, dir, e);
			free(cwd);
			if (rc < 0) {
				free(dir);
				return -1;
			}
			*home = dir;
			return 0;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			free(dir);
			dir = NULL;
			break;
		}
		*slash = '\0';
	}
	free(cwd);
	const char *xdg = getenv("XDG_DATA_HOME");
	char *base = xdg && *xdg ? xstrdup(xdg) : expand_home("~/.local/share");
	char *h = path_join(base, "tbx");
	free(base);
	char *c = path_join(h, "containers");
	bool seeded = is_dir(c);
	free(c);
	if (!seeded) {
		char *from_c = path_join(installed_datadir(), "containers");
		char *from_m = path_join(installed_datadir(), "manifests");
		char *to_c = path_join(h, "containers"), *to_m = path_join(h, "manifests");
		int rc = copy_tree_files(from_c, to_c, e) < 0 || copy_tree_files(from_m, to_m, e) < 0
				 ? -1
				 : 0;
		free(from_c), free(from_m), free(to_c), free(to_m);
		if (rc < 0) {
			free(h);
			return err_wrap(e, "cannot seed tbx home");
		}
	}
	/* the default home is yours, but its definitions decide what runs:
	 * a containers/ (or tbx.conf, manifest) others can write is refused too */
	struct strv allowed = STRV_INIT;
	int rc = config_safe_homes(&allowed, e);
	if (rc == 0 && !trust_dir_allowed(h, &allowed) && check_home_contents(h, e) < 0) {
		char *shown = sanitize_line(h, strlen(h), 300);
		char *why = xstrdup(e->msg);
		err_setx(e, EXIT_REFUSED,
			 "refusing the tbx home '%s': %s; fix its owner or mode, or if you trust it, "
			 "name it with -C or TBX_HOME, or allow it with TBX_SAFE_HOME='%s'",
			 shown, why, shown);
		free(why);
		free(shown);
		rc = -1;
	}
	strv_free(&allowed);
	if (rc < 0) {
		free(h);
		return -1;
	}
	*home = h;
	return 0;
}
