/* trust.c - ownership and mode checks of what tbx reads and runs. */
#define _GNU_SOURCE
#include "trust.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool trust_owner(uid_t uid)
{
	uid_t me = geteuid();
	if (uid == me || uid == 0)
		return true;
	/* sudo tbx ... in your own project: the directory is yours */
	const char *sudo = getenv("SUDO_UID");
	long su;
	return me == 0 && sudo && parse_long(sudo, 0, (long)INT32_MAX, &su) == 0 &&
	       (uid_t)su == uid;
}

int trust_check_path(const char *path, struct err *e)
{
	struct stat st;
	char *shown = sanitize_line(path, strlen(path), 300);
	int rc = 0;
	if (stat(path, &st) < 0) {
		rc = err_setx(e, EXIT_REFUSED, "cannot check who owns '%s': %s", shown,
			      strerror(errno));
	} else if (!trust_owner(st.st_uid)) {
		struct passwd *pw = getpwuid(st.st_uid);
		char *name = pw ? sanitize_line(pw->pw_name, strlen(pw->pw_name), 64) : NULL;
		if (name)
			rc = err_setx(e, EXIT_REFUSED, "'%s' is owned by user %s (uid %lu), not by you",
				      shown, name, (unsigned long)st.st_uid);
		else
			rc = err_setx(e, EXIT_REFUSED, "'%s' is owned by uid %lu, not by you", shown,
				      (unsigned long)st.st_uid);
		free(name);
	} else if (st.st_mode & S_IWOTH) {
		rc = err_setx(e, EXIT_REFUSED, "'%s' is writable by others (mode %04o)", shown,
			      (unsigned)(st.st_mode & 07777));
	}
	free(shown);
	return rc;
}

int trust_check_file(const char *path, struct err *e)
{
	char *real = realpath(path, NULL);
	if (!real)
		return trust_check_path(path, e);
	int rc = trust_check_path(real, e);
	char *slash = strrchr(real, '/');
	if (rc == 0 && slash) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		rc = trust_check_path(real, e);
	}
	free(real);
	return rc;
}

bool trust_dir_allowed(const char *dir, const struct strv *allowed)
{
	char *real = realpath(dir, NULL);
	bool ok = false;
	for (size_t i = 0; !ok && allowed && i < allowed->n; i++) {
		const char *a = allowed->v[i];
		if (strcmp(a, "*") == 0) {
			ok = true;
			continue;
		}
		char *exp = expand_home(a);
		char *ra = realpath(exp, NULL);
		ok = str_eq(ra ? ra : exp, real ? real : dir);
		free(ra);
		free(exp);
	}
	free(real);
	return ok;
}
