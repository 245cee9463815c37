/* regress.c - significance of performance changes. */
#define _GNU_SOURCE
#include "regress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imagelock.h"

static void sample_stats(const struct rec_test *t, double *mean, double *var, size_t *n)
{
	*n = 0;
	double sum = 0, sq = 0;
	for (size_t i = 0; i < t->n_samples; i++)
		if (isfinite(t->samples[i]))
			sum += t->samples[i], (*n)++;
	if (*n == 0) {
		*mean = t->mean;
		*var = isfinite(t->stddev) ? t->stddev * t->stddev : 0;
		*n = 1;
		return;
	}
	*mean = sum / (double)*n;
	for (size_t i = 0; i < t->n_samples; i++)
		if (isfinite(t->samples[i]))
			sq += (t->samples[i] - *mean) * (t->samples[i] - *mean);
	*var = *n > 1 ? sq / (double)(*n - 1) : (isfinite(t->stddev) ? t->stddev * t->stddev : 0);
}

double regress_change(const struct rec_test *a, const struct rec_test *b, bool *significant)
{
	double ma, va, mb, vb;
	size_t na, nb;
	*significant = false;
	if (!a->present || !b->present)
		return NAN;
	sample_stats(a, &ma, &va, &na);
	sample_stats(b, &mb, &vb, &nb);
	if (!isfinite(ma) || !isfinite(mb) || ma <= 0)
		return NAN;
	double pct = (mb - ma) / ma * 100.0;
	double se = sqrt(va / (double)na + vb / (double)nb);
	double t = se > 0 ? fabs(mb - ma) / se : INFINITY;
	*significant = fabs(pct) >= REGRESS_MIN_PCT && t >= REGRESS_MIN_T;
	return pct;
}

static const struct rec_test *test_of(const struct record *r, const char *test)
{
	return strcmp(test, "pp512") == 0 ? &r->pp512 : &r->tg128;
}

char *regress_flag(const struct record *prev, const struct record *cur, const char *test,
		   bool *regression)
{
	*regression = false;
	bool digest_changed = !str_eq(prev->image_digest, cur->image_digest) ||
			      !str_eq(prev->binary_sha256, cur->binary_sha256);
	bool build_changed = prev->build_number != cur->build_number ||
			     !str_eq(prev->build_commit, cur->build_commit);
	if (!digest_changed && !build_changed)
		return NULL;
	bool sig;
	double pct = regress_change(test_of(prev, test), test_of(cur, test), &sig);
	if (!sig)
		return NULL;
	*regression = pct < 0;
	struct buf b = BUF_INIT;
	buf_init(&b);
	buf_addf(&b, "%s %+.1f%% after", test, pct);
	char s1[24], s2[24];
	if (digest_changed && cur->image_digest)
		buf_addf(&b, " image %s -> %s", short_digest(prev->image_digest, s1),
			 short_digest(cur->image_digest, s2));
	else if (digest_changed)
		buf_addf(&b, " binary %s -> %s", short_digest(prev->binary_sha256, s1),
			 short_digest(cur->binary_sha256, s2));
	if (build_changed)
		buf_addf(&b, "%s build %ld -> %ld", digest_changed ? "," : "", prev->build_number,
			 cur->build_number);
	return buf_detach(&b);
}

char *regress_compare_last(const struct records *rs)
{
	const struct record *cur = NULL, *prev = NULL;
	for (size_t i = rs->n; i-- > 0;) {
		if (rs->v[i].failed)
			continue;
		if (!cur)
			cur = &rs->v[i];
		else if (!prev)
			prev = &rs->v[i];
	}
	if (!cur || !prev)
		return NULL;
	struct buf b = BUF_INIT;
	buf_init(&b);
	char date[32];
	format_time(prev->started_at, date);
	bool s1, s2;
	double p1 = regress_change(&prev->pp512, &cur->pp512, &s1);
	double p2 = regress_change(&prev->tg128, &cur->tg128, &s2);
	buf_addf(&b, "  vs previous (%.10s): pp512 %+.1f%%, tg128 %+.1f%%\n", date, p1, p2);
	static const char *const tests[] = { "pp512", "tg128" };
	for (int i = 0; i < 2; i++) {
		bool reg;
		char *flag = regress_flag(prev, cur, tests[i], &reg);
		if (flag)
			buf_addf(&b, "  %s: %s\n", reg ? "REGRESSION" : "improvement", flag);
		free(flag);
	}
	return buf_detach(&b);
}
