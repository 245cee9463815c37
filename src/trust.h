/* trust.h - may tbx use what someone else could have written?
 *
 * tbx runs what its definitions say (native backends run a host binary),
 * so a home that another user can write to is a way to run code as you.
 * As git does for its repositories (CVE-2022-24765, safe.directory), a
 * directory or file is trusted when it is owned by you, by root, or (tbx
 * run by root through sudo) by SUDO_UID's user, and is not writable by
 * others (the o+w bit: a sticky /tmp is still refused, anyone can add to
 * it).  Group write is allowed: group members are trusted, as git does,
 * and Fedora's user private groups make g+w the norm. */
#ifndef TBX_TRUST_H
#define TBX_TRUST_H

#include <sys/types.h>

#include "util.h"

/* Is uid one tbx trusts as an owner (you, root, SUDO_UID under sudo)? */
bool trust_owner(uid_t uid);

/* 0 when path (symlinks followed) is trusted; -1 with the reason in e
 * ("'/tmp' is writable by others (mode 1777)", "'/srv/x' is owned by
 * user bob (uid 1001)", "cannot check '/x': ...").  Exit code EXIT_REFUSED.
 * The path is sanitised in the message. */
int trust_check_path(const char *path, struct err *e);

/* A file tbx runs or reads its settings from (a native backend's binary,
 * a forced Vulkan ICD file, a definition, the config file): the file it
 * resolves to (symlinks followed) and the directory holding it must pass
 * trust_check_path, or anyone who can write either could replace it. */
int trust_check_file(const char *path, struct err *e);

/* Is dir in the allow list (TBX_SAFE_HOME, the safe_home setting)?
 * "*" allows every directory; other entries are compared after realpath. */
bool trust_dir_allowed(const char *dir, const struct strv *allowed);

#endif
