/* Concatenation and splitting along an axis, as rows of an [outer, inner] view. */
#include <string.h>

#include "gemm.h"
#include "kernels.h"

typedef struct {
  float *whole; /* the concatenation's output, or the split's input */
  float *const *parts;
  const long *inner;
  int count, split;
  long outer, total;
} rows_job;

/* Rows [r0, r1) of the whole tensor, copied to (split) or from (concat) the parts. */
static int rows_share(void *ctx, int part, int parts) {
  const rows_job *j = ctx;
  const long r0 = j->outer * part / parts, r1 = j->outer * (part + 1) / parts;
  for (long r = r0; r < r1; r++) {
    float *w = j->whole + r * j->total;
    for (int k = 0; k < j->count; k++) {
      const size_t bytes = sizeof(float) * (size_t)j->inner[k];
      float *p = j->parts[k] + r * j->inner[k];
      if (j->split)
        memcpy(p, w, bytes);
      else
        memcpy(w, p, bytes);
      w += j->inner[k];
    }
  }
  return 0;
}

/*
 * Whole rows per part, on the pool: a copy this large is bound by memory bandwidth, which two
 * cores' streams raise; a small one is cheaper than the hand-off.
 */
static void run_rows(rows_job *j) {
  for (int k = 0; k < j->count; k++) j->total += j->inner[k];
  const double bytes = (double)j->outer * (double)j->total * sizeof(float);
  pool_run(rows_share, j, bytes < 256.0 * 1024 ? 1 : 64);
}

/* Concatenation along an axis: each of `outer` rows of the output is the inputs' rows in turn. */
void concat_rows(float *out, const float *const *ins, const long *inner, int count, long outer) {
  rows_job j = {.whole = out, .parts = (float *const *)ins, .inner = inner, .count = count, .outer = outer};
  run_rows(&j);
}

/* The inverse: each output k takes its `inner[k]` values of every row. */
void split_rows(const float *x, float *const *outs, const long *inner, int count, long outer) {
  rows_job j = {.whole = (float *)x, .parts = outs, .inner = inner, .count = count, .outer = outer, .split = 1};
  run_rows(&j);
}

typedef struct {
  const float *src;
  float *dst;
  const int *runs; /* (source offset, destination offset, length) triplets */
  long count;
} runs_job;

static int runs_share(void *ctx, int part, int parts) {
  const runs_job *j = ctx;
  const long k0 = j->count * part / parts, k1 = j->count * (part + 1) / parts;
  for (long k = k0; k < k1; k++) {
    const int *r = j->runs + 3 * k;
    memcpy(j->dst + r[1], j->src + r[0], sizeof(float) * (size_t)r[2]);
  }
  return 0;
}

/* Copies each run of `count` (see runs_job); large copies split over the pool by whole runs. */
void copy_runs(const float *src, float *dst, const int *runs, long count) {
  double bytes = 0;
  for (long k = 0; k < count; k++) bytes += (double)runs[3 * k + 2] * sizeof(float);
  runs_job j = {.src = src, .dst = dst, .runs = runs, .count = count};
  pool_run(runs_share, &j, bytes < 256.0 * 1024 || count < 2 ? 1 : 64);
}
