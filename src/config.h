/* config.h - settings from the config file and the environment.
 *
 * File: $TBX_CONFIG, else <home>/tbx.conf, else
 * ${XDG_CONFIG_HOME:-~/.config}/tbx/config; "key = value" lines, '#'
 * comments.  Environment variables override the file.  That last file,
 * your own, and the directory holding it must pass trust_check_file() (see
 * trust.h): exit 3 if not. */
#ifndef TBX_CONFIG_H
#define TBX_CONFIG_H

#include "util.h"

struct config {
	char *path;            /* the file read, NULL if none */
	char *registry_mirror; /* registry_mirror / TBX_REGISTRY_MIRROR */
	char *auth_file;       /* auth_file / REGISTRY_AUTH_FILE */
	int64_t max_age_s;     /* max_age / TBX_MAX_AGE: default 36h */
	long registry_timeout_s; /* registry_timeout / TBX_REGISTRY_TIMEOUT: 10 s */
	long podman_timeout_s;   /* podman_timeout / TBX_PODMAN_TIMEOUT: PODMAN_TIMEOUT_DEFAULT_S */
	struct strv safe_homes;  /* safe_home lines (see config_safe_homes) */
	size_t import_max_records; /* import_max_records / TBX_IMPORT_MAX_RECORDS: records one
				    * bundle import may add (BUNDLE_MAX_RECORDS_DEFAULT) */
	int64_t frozen_after_s;  /* frozen_after / TBX_FROZEN_AFTER: default 14d */
	long keep_images;        /* keep_images / TBX_KEEP_IMAGES: previous images kept, 2 */
	long tags_page_size;     /* tags_page_size / TBX_TAGS_PAGE_SIZE: tags/list n, 1000 */
	bool adopt;              /* adopt = yes|no: refresh adopts containers tbx did not make */
	char *token_cache;       /* <home>/cache/registry-tokens.json (registry_tokens.h) */
};

int config_load(const char *home, struct config *c, struct err *e);
void config_free(struct config *c);
/* The homes you allow tbx to use although they fail the ownership check
 * of a discovered home (see home_find): the ':'-separated TBX_SAFE_HOME,
 * then every "safe_home = DIR" (or "*") line of your own config file
 * ($TBX_CONFIG, else ${XDG_CONFIG_HOME:-~/.config}/tbx/config).  Never
 * from a home's tbx.conf: its owner is who is not trusted yet (such a
 * line is an error there, exit 2).  Appends to out. */
int config_safe_homes(struct strv *out, struct err *e);
/* "36h", "2d", "90m", "3600s", "3600" -> seconds. */
int parse_duration(const char *s, int64_t *out);

#endif
