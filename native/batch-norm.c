/*
 * Batch normalisation in training, channels last, as in medinets' JavaScript kernels
 * (src/backend/kernels/batch-norm.ts): the same float64 sums in the same order, so the two
 * agree bit for bit. Memory-bound; the channels are split into blocks over the thread pool,
 * each channel's sums taken by one thread over the rows in order, so the bits never depend on
 * the thread count (a second thread keeps a second stream of loads in flight).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "kernels.h"

#define CB 32 /* channels per block: two cache lines of each row */

typedef struct {
  const float *x, *dy, *scale, *offset, *mean, *inv;
  float *y, *omean, *ovar, *oinv, *dx, *dscale, *doffset;
  long n, c;
  double eps;
  double *tmp; /* 4 (forward) or 5 (gradient) float64 values per channel */
} bn_job;

static void train_block(const bn_job *j, long c0, long c1) {
  const long c = j->c, n = j->n;
  double *s1 = j->tmp, *s2 = s1 + c, *a = s2 + c, *shift = a + c;
  for (long i = 0; i < n; i++) {
    const float *row = j->x + i * c;
    for (long q = c0; q < c1; q++) {
      double v = row[q];
      s1[q] += v;
      s2[q] += v * v;
    }
  }
  for (long q = c0; q < c1; q++) {
    double mu = s1[q] / (double)n;
    double v = s2[q] - (double)n * mu * mu;
    if (v < 0) v = 0; /* NaN stays NaN, as Math.max(0, NaN) in JS */
    v /= (double)n;
    double iv = 1.0 / sqrt(v + j->eps);
    j->omean[q] = (float)mu;
    j->ovar[q] = (float)v;
    j->oinv[q] = (float)iv;
    a[q] = iv * (double)j->scale[q];
    shift[q] = (double)j->offset[q] - mu * a[q];
  }
  for (long i = 0; i < n; i++) {
    const float *row = j->x + i * c;
    float *out = j->y + i * c;
    for (long q = c0; q < c1; q++) out[q] = (float)((double)row[q] * a[q] + shift[q]);
  }
}

static void grad_block(const bn_job *j, long c0, long c1) {
  const long c = j->c, n = j->n;
  double *sdy = j->tmp, *sdyx = sdy + c, *k1 = sdyx + c, *k2 = k1 + c, *k3 = k2 + c;
  const float *mean = j->mean;
  for (long i = 0; i < n; i++) {
    const float *d = j->dy + i * c;
    const float *xr = j->x + i * c;
    for (long q = c0; q < c1; q++) {
      double g = d[q];
      sdy[q] += g;
      sdyx[q] += g * ((double)xr[q] - (double)mean[q]);
    }
  }
  for (long q = c0; q < c1; q++) {
    double iv = j->inv[q];
    double gi = (double)j->scale[q] * iv;
    j->doffset[q] = (float)sdy[q];
    j->dscale[q] = (float)(sdyx[q] * iv);
    k1[q] = gi;
    k2[q] = (-gi * iv * iv * sdyx[q]) / (double)n;
    k3[q] = (-gi * sdy[q]) / (double)n - k2[q] * (double)mean[q];
  }
  for (long i = 0; i < n; i++) {
    const float *d = j->dy + i * c;
    const float *xr = j->x + i * c;
    float *o = j->dx + i * c;
    for (long q = c0; q < c1; q++) o[q] = (float)(k1[q] * (double)d[q] + k2[q] * (double)xr[q] + k3[q]);
  }
}

static int share(void *ctx, int part, int parts, int grad) {
  const bn_job *j = ctx;
  const long blocks = (j->c + CB - 1) / CB;
  long c0 = blocks * part / parts * CB, c1 = blocks * (part + 1) / parts * CB;
  if (c1 > j->c) c1 = j->c;
  if (c0 < c1) (grad ? grad_block : train_block)(j, c0, c1);
  return 0;
}
static int train_share(void *ctx, int part, int parts) { return share(ctx, part, parts, 0); }
static int grad_share(void *ctx, int part, int parts) { return share(ctx, part, parts, 1); }

/* Parts: one per block of channels, one in all for a small tensor (the hand-off costs more). */
static int bn_parts(long n, long c) {
  const long blocks = (c + CB - 1) / CB;
  return (double)n * c < 32768.0 ? 1 : (int)(blocks < 64 ? blocks : 64);
}

int bn_train(const float *x, const float *scale, const float *offset, float *y, float *mean, float *var,
             float *inv, long n, long c, double eps) {
  double *tmp = calloc((size_t)c * 4, sizeof(double));
  if (tmp == NULL) return -1;
  bn_job j = {.x = x, .scale = scale, .offset = offset, .y = y, .omean = mean, .ovar = var, .oinv = inv,
              .n = n, .c = c, .eps = eps, .tmp = tmp};
  pool_run(train_share, &j, bn_parts(n, c));
  free(tmp);
  return 0;
}

int bn_train_grad(const float *dy, const float *x, const float *scale, const float *mean, const float *inv,
                  float *dx, float *dscale, float *doffset, long n, long c) {
  double *tmp = calloc((size_t)c * 5, sizeof(double));
  if (tmp == NULL) return -1;
  bn_job j = {.x = x, .dy = dy, .scale = scale, .mean = mean, .inv = inv, .dx = dx, .dscale = dscale,
              .doffset = doffset, .n = n, .c = c, .tmp = tmp};
  pool_run(grad_share, &j, bn_parts(n, c));
  free(tmp);
  return 0;
}
/* Batch norm in inference: y = x * a + b per channel, a = scale / sqrt(var + eps), b = offset - mean * a. */
typedef struct {
  const float *x, *a, *b;
  float *y;
  long n, c;
} bn_infer_job;

/* Whole rows per part: each value is one multiply and one add whatever the split. */
static int infer_share(void *ctx, int part, int parts) {
  const bn_infer_job *j = ctx;
  long r0 = j->n * part / parts, r1 = j->n * (part + 1) / parts;
  for (long i = r0; i < r1; i++) {
    const float *row = j->x + i * j->c;
    float *out = j->y + i * j->c;
    for (long q = 0; q < j->c; q++) out[q] = row[q] * j->a[q] + j->b[q];
  }
  return 0;
}

int bn_infer(const float *x, const float *mean, const float *var, const float *scale, const float *offset, float *y,
             long n, long c, float eps) {
  float *a = malloc(sizeof(float) * (size_t)c * 2);
  if (a == NULL) return -1;
  float *b = a + c;
  for (long j = 0; j < c; j++) {
    float inv = 1.0f / sqrtf(var[j] + eps);
    a[j] = (scale ? scale[j] : 1.0f) * inv;
    b[j] = (offset ? offset[j] : 0.0f) - mean[j] * a[j];
  }
  bn_infer_job job = {.x = x, .a = a, .b = b, .y = y, .n = n, .c = c};
  /* a hand-off costs more than a small tensor's pass (as bn_parts) */
  pool_run(infer_share, &job, (double)n * c < 32768.0 ? 1 : 64);
  free(a);
  return 0;
}
