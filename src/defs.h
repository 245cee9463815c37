/* defs.h - backend and model definitions (data in containers/ and
 * manifests/, validated on load) and where tbx's home is. */
#ifndef TBX_DEFS_H
#define TBX_DEFS_H

#include "imageref.h"
#include "util.h"

/* SELinux labelling of a container ("selinux" in a definition). */
enum label_mode {
	LABEL_DISABLE,        /* "disable" (default): label=disable, as toolbox does */
	LABEL_RELABEL_SHARED, /* "relabel-shared": the models mount gets :z */
	LABEL_DEFAULT,        /* "default": Podman's labelling, models mount as is */
};
/* "disable", "relabel-shared", "default". */
const char *label_mode_name(enum label_mode m);

struct backend {
	char *id;        /* file name without .json: "rocm-7.2" */
	char *file;      /* path it was loaded from */
	char *image;     /* full reference; NULL for native backends */
	struct image_ref ref; /* image, parsed on load (all NULL for natives) */
	char *repo_name;      /* "docker.io/kyuz0/x": image without tag or digest */
	char *container; /* "llama-rocm-7.2"; NULL for native backends */
	struct strv aliases;
	bool native;
	bool optional;     /* refreshed only when named or with --include-amdvlk */
	bool experimental; /* refreshed only when named or with --include-experimental */
	bool retired;      /* upstream no longer builds the tag ("retired") */
	char *retired_on;  /* "YYYY-MM-DD" when "retired" is a date, else NULL */
	char *successor;   /* id of the backend that replaced it, or NULL */
	struct strv devices; /* GPU/accelerator nodes only, unless unsafe_devices */
	bool unsafe_devices; /* "unsafe_devices": true: any path under /dev */
	struct strv groups; /* may contain "keep-groups" */
	bool seccomp_unconfined;
	bool toolbox;      /* "toolbox": true: the container is also a toolbox (toolbox.h) */
	enum label_mode selinux; /* container backends only */
	struct strv env;    /* "K=V", sorted by key */
	struct strv bench;  /* argv prefix; native: host binary path first */
	char *expect_backend; /* substring (or /regex/) of llama-bench's backends */
	char *expect_device;  /* substring (or /regex/) of the device line */
	char *lineage;        /* "llama.cpp" or "lemonade" */
	char *description;
	char *home_id;        /* the home that defines it (home_id_of), NULL when parsed alone */
};

struct backends {
	struct backend *v;
	size_t n;
};

/* Load every containers/<id>.json under home, sorted by id.  Errors name
 * the file, line and column, or the key. */
int backends_load(const char *home, struct backends *out, struct err *e);
void backends_free(struct backends *b);
/* True when a plain `tbx refresh` (no names) takes b: a container
 * backend, not retired, optional or experimental only when asked. */
bool backend_is_default(const struct backend *b, bool include_optional,
			bool include_experimental);
/* By id or alias; NULL when unknown. */
const struct backend *backend_find(const struct backends *b, const char *name);
/* Same, but an unknown name is an error (exit 2) that lists the valid
 * ones and the closest match. */
const struct backend *backend_resolve(const struct backends *b, const char *name, struct err *e);
/* Parse one definition (exposed for tests and fuzzing). */
int backend_parse(const char *text, size_t len, const char *path, struct backend *out,
		  struct err *e);
void backend_free(struct backend *b);
/* Hash of everything that shapes the container (image, name, devices,
 * groups, seccomp, SELinux labelling, env, models root): a change means
 * recreate. */
void backend_spec_hash(const struct backend *b, const char *models_root, char out[65]);
/* The Vulkan ICD file the definition forces (VK_ICD_FILENAMES), or NULL. */
const char *backend_forced_icd(const struct backend *b);
/* "substring" (case-insensitive) or "/regex/" (POSIX extended). */
bool expect_matches(const char *pattern, const char *text);

struct model {
	char *alias;
	char *path; /* absolute, ~ expanded */
};

struct models {
	char *root; /* absolute, ~ expanded */
	struct model *v;
	size_t n;
};

int models_load(const char *home, struct models *out, struct err *e);
void models_free(struct models *m);
/* Alias or path -> absolute path of an existing, readable regular file
 * under the root; every shard of a split GGUF ("-00001-of-00003") must be
 * there too.  *alias is set when a known alias (or its path) was given. */
int model_resolve(const struct models *m, const char *name, char **path, const char **alias,
		  struct err *e);

/* Does PATH (absolute) lie below the models root, both as written ("."
 * and ".." taken as they read) and after symlinks? */
bool models_inside_root(const struct models *m, const char *path);

/* Every file of a model: the path itself, or all shards of a split GGUF
 * named by its first ("-00001-of-00003.gguf"), appended to out in order. */
void model_shards(const char *path, struct strv *out);

/* manifests/legacy.json: {"containers": ["llama-rocm7rc", ...]} */
int legacy_load(const char *home, struct strv *names, struct err *e);

/* Where containers/, manifests/ and results/ live: -C DIR, else TBX_HOME,
 * else the nearest parent of the working directory holding containers/,
 * else ${XDG_DATA_HOME:-~/.local/share}/tbx (seeded from the installed
 * definitions on first use). */
int home_find(const char *option, char **home, struct err *e);

/* A short stable id of a home (16 hex digits of the SHA-256 of its real
 * path): containers carry it, so two homes on one Podman tell theirs apart.
 * Caller frees. */
char *home_id_of(const char *home);

/* The shipped definitions directory (for seeding), TBX_DATADIR. */
const char *installed_datadir(void);

#endif
