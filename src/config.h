/* config.h - settings from the config file and the environment.
 *
 * File: $TBX_CONFIG, else <home>/tbx.conf, else
 * ${XDG_CONFIG_HOME:-~/.config}/tbx/config; "key = value" lines, '#'
 * comments.  Environment variables override the file. */
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
};

int config_load(const char *home, struct config *c, struct err *e);
void config_free(struct config *c);
/* "36h", "2d", "90m", "3600s", "3600" -> seconds. */
int parse_duration(const char *s, int64_t *out);

#endif
