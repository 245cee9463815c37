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
 * sha256:ab12.. -> sha256:cd34.., build 9187 -> 9193\n"), or NULL. */
char *regress_compare_last(const struct records *rs);

/* The flag text for a significant change between prev and cur on one
 * test, or NULL when the provenance did not change or the change is
 * noise.  *regression: true when it got slower. */
char *regress_flag(const struct record *prev, const struct record *cur, const char *test,
		   bool *regression);

#endif
