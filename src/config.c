/* config.c - the config file and environment overrides. */
#define _GNU_SOURCE
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "podman.h"
#include "trust.h"

/* Where a config file came from: it decides what is checked and allowed. */
enum conf_origin {
	CONF_NAMED, /* $TBX_CONFIG: you named it */
	CONF_HOME,  /* <home>/tbx.conf: the home's owner wrote it */
	CONF_USER,  /* ~/.config/tbx/config: yours, checked */
};

int parse_duration(const char *s, int64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	long long v = strtoll(s, &end, 10);
	long long mult = 1;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60, end++;
	else if (*end == 'h')
		mult = 3600, end++;
	else if (*end == 'd')
		mult = 86400, end++;
	if (*end || v < 0 || v > 3650LL * 86400 / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int set_key(struct config *c, const char *key, const char *val, const char *where,
		   enum conf_origin origin, struct err *e)
{
	int64_t d;
	long l;
	if (strcmp(key, "safe_home") == 0) {
		if (origin == CONF_HOME)
			return err_setx(e, EXIT_USAGE,
					"%s: safe_home is read only from your own config file "
					"(TBX_CONFIG or ~/.config/tbx/config), not from a home's "
					"tbx.conf", where);
		if (!*val)
			return err_setx(e, EXIT_USAGE, "%s: safe_home needs a directory (or *)",
					where);
		strv_push(&c->safe_homes, val);
	} else if (strcmp(key, "registry_mirror") == 0) {
		free(c->registry_mirror);
		c->registry_mirror = xstrdup(val);
	} else if (strcmp(key, "auth_file") == 0) {
		free(c->auth_file);
		c->auth_file = expand_home(val);
	} else if (strcmp(key, "max_age") == 0) {
		if (parse_duration(val, &d) < 0 || d == 0)
			return err_setx(e, EXIT_USAGE, "%s: max_age '%s' is not a duration like 36h",
					where, val);
		c->max_age_s = d;
	} else if (strcmp(key, "registry_timeout") == 0 || strcmp(key, "podman_timeout") == 0) {
		if (parse_duration(val, &d) < 0 || d < 1 || d > 3600)
			return err_setx(e, EXIT_USAGE,
					"%s: %s '%s' must be a duration between 1s and 1h", where, key,
					val);
		l = (long)d;
		if (key[0] == 'r')
			c->registry_timeout_s = l;
		else
			c->podman_timeout_s = l;
	} else if (strcmp(key, "import_max_records") == 0) {
		if (parse_long(val, 1, 10000000, &l) < 0)
			return err_setx(e, EXIT_USAGE,
					"%s: import_max_records '%s' must be a number from 1 to 10000000",
					where, val);
		c->import_max_records = (size_t)l;
	} else if (strcmp(key, "frozen_after") == 0) {
		if (parse_duration(val, &d) < 0 || d < 3600)
			return err_setx(e, EXIT_USAGE,
					"%s: frozen_after '%s' is not a duration of at least 1h "
					"(like 14d)", where, val);
		c->frozen_after_s = d;
	} else if (strcmp(key, "keep_images") == 0) {
		if (parse_long(val, 0, 20, &l) < 0)
			return err_setx(e, EXIT_USAGE,
					"%s: keep_images '%s' must be a number from 0 to 20", where,
					val);
		c->keep_images = l;
	} else if (strcmp(key, "tags_page_size") == 0) {
		if (parse_long(val, 1, 10000, &l) < 0)
			return err_setx(e, EXIT_USAGE,
					"%s: tags_page_size '%s' must be a number from 1 to 10000",
					where, val);
		c->tags_page_size = l;
	} else if (strcmp(key, "adopt") == 0) {
		if (strcmp(val, "yes") == 0 || strcmp(val, "true") == 0)
			c->adopt = true;
		else if (strcmp(val, "no") == 0 || strcmp(val, "false") == 0)
			c->adopt = false;
		else
			return err_setx(e, EXIT_USAGE, "%s: adopt '%s' must be yes or no", where, val);
	} else {
		return err_setx(e, EXIT_USAGE, "%s: unknown setting '%s'", where, key);
	}
	return 0;
}

static int read_config_file(struct config *c, const char *path, enum conf_origin origin,
			    struct err *e)
{
	struct buf b = BUF_INIT;
	/* registry_mirror and auth_file decide where credentials go */
	if (origin == CONF_USER && trust_check_file(path, e) < 0)
		return err_wrap(e, "refusing the config file (fix its owner or mode, or name it "
			       "with TBX_CONFIG)");
	if (read_file(path, 64 * 1024, &b, e) < 0) {
		buf_free(&b);
		return -1;
	}
	c->path = xstrdup(path);
	int line = 0, rc = 0;
	char *save = NULL;
	for (char *l = strtok_r(b.p, "\n", &save); l && rc == 0; l = strtok_r(NULL, "\n", &save)) {
		line++;
		char *t = trim(l);
		if (!*t || *t == '#')
			continue;
		char *eq = strchr(t, '=');
		char *where = xasprintf("%s:%d", path, line);
		if (!eq) {
			rc = err_setx(e, EXIT_USAGE, "%s: expected 'key = value'", where);
		} else {
			*eq = '\0';
			rc = set_key(c, trim(t), trim(eq + 1), where, origin, e);
		}
		free(where);
	}
	buf_free(&b);
	return rc;
}

/* $TBX_CONFIG, else ${XDG_CONFIG_HOME:-~/.config}/tbx/config. */
static char *user_config_path(enum conf_origin *origin)
{
	const char *named = getenv("TBX_CONFIG");
	if (named && *named) {
		*origin = CONF_NAMED;
		return xstrdup(named);
	}
	*origin = CONF_USER;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *base = xdg && *xdg ? xstrdup(xdg) : expand_home("~/.config");
	char *u = path_join(base, "tbx/config");
	free(base);
	return u;
}

int config_safe_homes(struct strv *out, struct err *e)
{
	const char *env = getenv("TBX_SAFE_HOME");
	for (const char *p = env ? env : ""; *p;) {
		size_t n = strcspn(p, ":");
		if (n) {
			char *one = xstrndup(p, n);
			strv_push(out, one);
			free(one);
		}
		p += n + (p[n] == ':');
	}
	enum conf_origin origin;
	char *path = user_config_path(&origin);
	int rc = 0;
	if (origin == CONF_NAMED || path_exists(path)) {
		struct config c;
		memset(&c, 0, sizeof(c));
		rc = read_config_file(&c, path, origin, e);
		for (size_t i = 0; rc == 0 && i < c.safe_homes.n; i++)
			strv_push(out, c.safe_homes.v[i]);
		config_free(&c);
	}
	free(path);
	return rc;
}

int config_load(const char *home, struct config *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->max_age_s = 36 * 3600;
	c->registry_timeout_s = 10;
	c->podman_timeout_s = PODMAN_TIMEOUT_DEFAULT_S;
	c->import_max_records = BUNDLE_MAX_RECORDS_DEFAULT;
	c->frozen_after_s = 14 * 86400;
	c->keep_images = 2;
	c->tags_page_size = 1000;
	c->token_cache = home ? path_join(home, "cache/registry-tokens.json") : NULL;
	enum conf_origin origin = CONF_HOME;
	char *path = home ? path_join(home, "tbx.conf") : NULL;
	if (getenv("TBX_CONFIG") && *getenv("TBX_CONFIG")) {
		free(path);
		path = user_config_path(&origin);
	} else if (!path || !path_exists(path)) {
		free(path);
		path = user_config_path(&origin);
		if (!path_exists(path)) {
			free(path);
			path = NULL;
		}
	}
	if (path && read_config_file(c, path, origin, e) < 0) {
		free(path);
		return -1;
	}
	free(path);
	static const char *const envs[][2] = {
		{ "TBX_REGISTRY_MIRROR", "registry_mirror" }, { "TBX_MAX_AGE", "max_age" },
		{ "TBX_REGISTRY_TIMEOUT", "registry_timeout" }, { "TBX_PODMAN_TIMEOUT", "podman_timeout" },
		{ "REGISTRY_AUTH_FILE", "auth_file" }, { "TBX_IMPORT_MAX_RECORDS", "import_max_records" },
		{ "REGISTRY_AUTH_FILE", "auth_file" }, { "TBX_FROZEN_AFTER", "frozen_after" },
		{ "TBX_KEEP_IMAGES", "keep_images" }, { "TBX_TAGS_PAGE_SIZE", "tags_page_size" },
	};
	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		const char *v = getenv(envs[i][0]);
		if (v && *v && set_key(c, envs[i][1], v, envs[i][0], CONF_NAMED, e) < 0)
			return -1;
	}
	return 0;
}

void config_free(struct config *c)
{
	free(c->path);
	free(c->registry_mirror);
	free(c->auth_file);
	free(c->token_cache);
	strv_free(&c->safe_homes);
	memset(c, 0, sizeof(*c));
}
