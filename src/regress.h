/* regress.h - did an image rebuild or a new llama.cpp build change
 * performance?  A change is significant when it is larger than both the
 * noise (3 standard errors of the difference, from the samples: Welch's
 * statistic) and a minimum percentage (3%); noise is never flagged. */
#ifndef TBX_REGRESS_H
#define TBX_REGRESS_H

#include "store.h"

#define REGRESS_MIN_PCT 3.0
#define REGRESS_MIN_T 3.0

/* Percent change from a to b; *significant per the rule above. */
double regress_change(const struct rec_test *a, const struct rec_test *b, bool *significant);

/* Compare the newest successful record of rs (sorted oldest first, one
 * backend and model) with the one before it.  Returns printable lines
 * ("  vs previous ...\n", and "  REGRESSION: tg128 -8.1% after image
 * sha256:ab12.. -> sha256:cd34.., build 9187 -> 9193\n"; with no flag,
 * "  settings changed: n_threads 16 U+2192 1, a default of the new build;
 * attributed to the image\n" when settings differ), or
 * NULL. */
char *regress_compare_last(const struct records *rs);

/* What differs between two runs of one configuration, as "name old ->
 * new" items ("?" where a run does not know): on the image side the
 * digest (or a native binary), the llama.cpp build, the effective
 * settings and, for a container, what is read inside it (mesa, rocm,
 * limits, gpu_env); on the host side the kernel, its parameters, TTM/GTT,
 * firmware, power and TuneD profiles, CPU and memory.  Unknown on either
 * side (schema-1 records, a remote engine, an item null or missing in one
 * run: unreadable then, or an imported log that does not say) is no
 * change. */
struct regress_changes {
	struct strv image, host;
	bool native; /* the image side is a host binary */
};
void regress_changes(const struct record *prev, const struct record *cur,
		     struct regress_changes *c);
void regress_changes_free(struct regress_changes *c);
/* "the image", "the binary", "the host", "the image and the host"; NULL
 * when nothing known changed. */
const char *regress_attribution(const struct regress_changes *c);
/* The effective settings that differ ("n_threads 16 U+2192 1, ..."), or
 * NULL (none, or unknown on one side). */
char *regress_settings_change(const struct record *prev, const struct record *cur);
/* The same with where they came from: "n_threads 16 U+2192 1, a default
 * of the new build" ("defaults" for several) when the image, binary or
 * build differs, else "..., not in the arguments"; NULL as above. */
char *regress_settings_named(const struct record *prev, const struct record *cur);

/* The flag text for a significant change between prev and cur on one
 * test: "tg128 -8.1% after image sha256:ab12.. -> sha256:cd34.., build
 * 9187 -> 9193, n_threads 16 U+2192 1, a default of the new build;
 * attributed to the image".  NULL when nothing known changed
 * or the change is noise.  *regression: true when it got slower. */
char *regress_flag(const struct record *prev, const struct record *cur, const char *test,
		   bool *regression);
/* The same for any two values of the runs (a depth curve's points, test
 * named e.g. "prefill at 32k"). */
char *regress_flag_values(const struct record *prev, const struct record *cur, const char *test,
			  const struct rec_test *a, const struct rec_test *b, bool *regression);

#endif
