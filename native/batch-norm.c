/*
 * Batch normalisation in training, channels last, as in medinets' JavaScript kernels
 * (src/backend/kernels/batch-norm.ts): the same float64 sums in the same order, so the two
 * agree bit for bit. Memory-bound, so one thread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

int bn_train(const float *x, const float *scale, const float *offset, float *y, float *mean, float *var,
             float *inv, long n, long c, double eps) {
  double *s1 = calloc((size_t)c * 4, sizeof(double));
  if (s1 == NULL) return -1;
  double *s2 = s1 + c, *a = s2 + c, *shift = a + c;
  for (long i = 0; i < n; i++) {
    const float *row = x + i * c;
    for (long j = 0; j < c; j++) {
      double v = row[j];
      s1[j] += v;
      s2[j] += v * v;
    }
  }
  for (long j = 0; j < c; j++) {
    double mu = s1[j] / (double)n;
    double v = s2[j] - (double)n * mu * mu;
    if (v < 0) v = 0; /* NaN stays NaN, as Math.max(0, NaN) in JS */
    v /= (double)n;
    double iv = 1.0 / sqrt(v + eps);
    mean[j] = (float)mu;
    var[j] = (float)v;
    inv[j] = (float)iv;
    a[j] = iv * (double)scale[j];
    shift[j] = (double)offset[j] - mu * a[j];
  }
  for (long i = 0; i < n; i++) {
    const float *row = x + i * c;
    float *out = y + i * c;
    for (long j = 0; j < c; j++) out[j] = (float)((double)row[j] * a[j] + shift[j]);
  }
  free(s1);
  return 0;
}

int bn_train_grad(const float *dy, const float *x, const float *scale, const float *mean, const float *inv,
                  float *dx, float *dscale, float *doffset, long n, long c) {
  double *sdy = calloc((size_t)c * 5, sizeof(double));
  if (sdy == NULL) return -1;
  double *sdyx = sdy + c, *k1 = sdyx + c, *k2 = k1 + c, *k3 = k2 + c;
  for (long i = 0; i < n; i++) {
    const float *d = dy + i * c;
    const float *xr = x + i * c;
    for (long j = 0; j < c; j++) {
      double g = d[j];
      sdy[j] += g;
      sdyx[j] += g * ((double)xr[j] - (double)mean[j]);
    }
  }
  for (long j = 0; j < c; j++) {
    double iv = inv[j];
    double gi = (double)scale[j] * iv;
    doffset[j] = (float)sdy[j];
    dscale[j] = (float)(sdyx[j] * iv);
    k1[j] = gi;
    k2[j] = (-gi * iv * iv * sdyx[j]) / (double)n;
    k3[j] = (-gi * sdy[j]) / (double)n - k2[j] * (double)mean[j];
  }
  for (long i = 0; i < n; i++) {
    const float *d = dy + i * c;
    const float *xr = x + i * c;
    float *o = dx + i * c;
    for (long j = 0; j < c; j++) o[j] = (float)(k1[j] * (double)d[j] + k2[j] * (double)xr[j] + k3[j]);
  }
  free(sdy);
  return 0;
}

/* Batch norm in inference: y = (x - mean) * scale / sqrt(var + eps) + offset, per channel. */
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
  for (long i = 0; i < n; i++) {
    const float *row = x + i * c;
    float *out = y + i * c;
    for (long j = 0; j < c; j++) out[j] = row[j] * a[j] + b[j];
  }
  free(a);
  return 0;
}
