/* hoststate.h - the state of the host (and of where llama-bench runs) at
 * bench time, for the record's "host" object (record.h keeps it as
 * host_state, written into "host" beside name and kernel).
 *
 * Every file is read below one root, TBX_HOST_ROOT (default "/"), so tests
 * point it at a fixture tree (tests/fixtures/host/).  Each item is
 * optional: what is absent, unreadable or garbage is null in the JSON,
 * never guessed.  Files are opened O_NONBLOCK|O_NOFOLLOW and must be
 * regular; reads are capped: a FIFO, device, symbolic link, huge or
 * binary file is skipped with a note shown by -v, never a hang.
 *
 * Fields (documented in the man page, section RECORDS):
 *   state_read        false when the engine is remote (host items not read)
 *   kernel_release    /proc/sys/kernel/osrelease, else /proc/version
 *   kernel_params     {name: value} of amd_iommu, iommu, amdgpu.*, amdttm.*,
 *                     ttm.* from /proc/cmdline (a flag without '=' is "")
 *   ttm_pages_limit, ttm_page_pool_size   /sys/module/ttm/parameters/
 *   amdgpu_gttsize    /sys/module/amdgpu/parameters/gttsize (MiB, -1 auto)
 *   platform_profile  /sys/firmware/acpi/platform_profile
 *   tuned_profile     /etc/tuned/active_profile
 *   firmware          {package: version} of the GPU firmware packages
 *                     (dpkg status file, else pacman's local database,
 *                     else rpm -q when the root is "/"); when none knows
 *                     them, {"amdgpu-files-newest": TIME}: the newest
 *                     modification time of the files in /usr/lib/firmware/amdgpu
 *   cpu_model         /proc/cpuinfo "model name"
 *   mem_total_bytes   /proc/meminfo MemTotal
 * and from where llama-bench runs (inside the container, or the host for a
 * native backend):
 *   mesa              version of the mesa-vulkan-drivers package, else the
 *                     "Mesa X.Y.Z" inside its Vulkan driver file
 *   rocm              /opt/rocm/.info/version, else the version in the
 *                     HIP runtime's file name (/opt/rocm/lib/libamdhip64.so.X.Y.Z)
 *   limits            {"memlock": {"soft": N|"unlimited", "hard": ...},
 *                      "nofile": {...}} from /proc/self/limits
 *   gpu_env           {name: value} of the GPU-related environment
 *                     variables llama-bench gets (see gpu_env_name)
 */
#ifndef TBX_HOSTSTATE_H
#define TBX_HOSTSTATE_H

#include <json-c/json.h>
#include "podman.h"
#include "util.h"

#define HOST_MAX_VALUE 4096 /* a sysfs/proc value file */

/* TBX_HOST_ROOT, or "/" when unset or empty. */
const char *host_root(void);
/* Is the root a fixture tree (TBX_HOST_ROOT set to something else than "/")? */
bool host_root_is_fixture(void);

/* Read ROOT/REL as text of at most max bytes.  0 with *out (caller frees,
 * NUL-terminated, *len its length); 1 when it is absent or was skipped (a
 * FIFO, a device, a symbolic link, bigger than max unless prefix, holding
 * NUL bytes), with a -v note naming the file and why (absent too).  prefix: a bigger
 * file is read up to max bytes instead of skipped (for /proc/cpuinfo). */
int host_read(const char *root, const char *rel, size_t max, bool prefix, char **out,
	      size_t *len);

/* ---- parsers of what was read (exposed for tests and fuzzing) ---- */

/* The first line, trimmed and sanitized (at most max bytes); NULL when
 * empty. */
char *hs_first_line(const char *text, size_t len, size_t max);
/* A version-like token ("25.2.7-1.fc43", "7.2.0-43"): the first line,
 * trimmed, must be 1-64 characters of [0-9A-Za-z.+~:_-] starting with a
 * digit; else NULL. */
char *hs_version(const char *text, size_t len);
/* A whole decimal integer (surrounding blanks allowed); -1 otherwise. */
int hs_integer(const char *text, size_t len, int64_t *out);
/* The performance-relevant kernel parameters of a command line, as an
 * object (empty when none); at most 64 entries. */
json_object *hs_kernel_params(const char *text, size_t len);
/* "model name" of /proc/cpuinfo, sanitized; NULL when absent. */
char *hs_cpu_model(const char *text, size_t len);
/* MemTotal of /proc/meminfo in bytes; -1 when absent or garbage. */
int hs_mem_total(const char *text, size_t len, int64_t *bytes);
/* The Version of an installed package in a dpkg status file; NULL when
 * absent or not installed. */
char *hs_dpkg_version(const char *text, size_t len, const char *package);
/* The %VERSION% of a pacman desc file (var/lib/pacman/local/P-V/desc)
 * whose %NAME% is package; NULL otherwise. */
char *hs_pacman_version(const char *text, size_t len, const char *package);
/* memlock and nofile from /proc/<pid>/limits: {"memlock": {"soft",
 * "hard"}, "nofile": {...}} with numbers or "unlimited"; NULL when neither
 * is there. */
json_object *hs_limits(const char *text, size_t len);
/* "Mesa 26.1.6" (what a Mesa Vulkan driver file holds) -> "26.1.6"; NULL
 * otherwise. */
char *hs_mesa_driver_version(const char *text, size_t len);
/* The release in /proc/version ("Linux version 6.17.7-300.fc43.x86_64
 * (...) ..."); NULL otherwise. */
char *hs_proc_version(const char *text, size_t len);
/* The ROCm version a HIP runtime's file names tell (lines such as
 * "libamdhip64.so.7.2.26015"; the longest version wins); NULL when none. */
char *hs_hip_version(const char *text, size_t len);
/* Parse the probe's output (see hoststate_probe_container) into host:
 * sets mesa, rocm, limits and gpu_env. */
void hs_parse_probe(const char *text, size_t len, json_object *host);

/* Does this environment variable change GPU selection or behaviour
 * (HSA_OVERRIDE_GFX_VERSION, HIP_VISIBLE_DEVICES, VK_ICD_FILENAMES,
 * GGML_VK_VISIBLE_DEVICES, ...)? */
bool gpu_env_name(const char *name);
/* {name: value} of the GPU-related entries of "K=V" vectors; later
 * vectors override earlier ones (tbx's environment, then a definition's
 * env).  Values sanitized.  Either may be NULL. */
json_object *gpu_env_object(char *const *base, char *const *over);

/* ---- reading ---- */

/* The host-side items (everything above but mesa, rocm, limits, gpu_env)
 * read below root; state_read true. */
json_object *hoststate_read_host(const char *root);
/* The same object with every item null and state_read false (a remote
 * engine: its host is not ours to read). */
json_object *hoststate_unread(void);
/* What an imported campaign's run_metadata.txt says of its host (any may
 * be NULL): every host item null but kernel_release, kernel_params (the
 * amd_iommu=, amdgpu.*... words of host_profile; null when it has none)
 * and firmware ({"linux-firmware": the line}); host_profile kept as it
 * came.  NULL when none is given. */
json_object *hoststate_from_metadata(const char *kernel, const char *host_profile,
				     const char *firmware);
/* Run the probe in a running container (with the definition's env) and
 * add mesa, rocm, limits and gpu_env to host; items it cannot tell are
 * null.  -1 only on a transport error or an interruption. */
int hoststate_probe_container(struct podman *p, const char *container, char *const *env,
			      json_object *host, struct err *e);
/* The same items for a native backend, read below root; env is the
 * definition's env added to tbx's own environment. */
void hoststate_probe_native(const char *root, char *const *env, json_object *host);

/* SELinux, for tbx doctor: the mode from ROOT/sys/fs/selinux/enforce. */
enum selinux_mode { SELINUX_ABSENT, SELINUX_PERMISSIVE, SELINUX_ENFORCING, SELINUX_UNKNOWN };
enum selinux_mode hoststate_selinux_mode(const char *root);
/* An SELinux boolean's current value from
 * ROOT/sys/fs/selinux/booleans/NAME ("1 1": on): 1 on, 0 off, -1 when
 * absent or unreadable (an older policy without it). */
int hoststate_selinux_bool(const char *root, const char *name);
/* The SELinux label of path (its security.selinux attribute; with a
 * fixture root, user.tbx.selinux when that is missing, since file
 * systems without SELinux may refuse security.*).  NULL when unreadable. */
char *hoststate_selinux_label(const char *path);
/* The type of a label "user:role:type:level" (caller frees); NULL when
 * malformed. */
char *selinux_label_type(const char *label);
/* Can a container process (container_t) read files of this type? */
bool selinux_type_container_readable(const char *type);

#endif
