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

/* 8 float64 lanes (one AVX-512 register, two AVX2 ones) and unaligned loads / stores of them. */
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32), aligned(4)));
typedef double v8du __attribute__((vector_size(64), aligned(8)));
#define ld8d(p) (*(const v8du *)(p))
#define st8d(p, v) (*(v8du *)(p) = (v))
#define ld8f(p) __builtin_convertvector(*(const v8f *)(p), v8d)

#define CB 16 /* channels per block: one cache line of each row, one AVX-512 vector */

/*
 * The three passes, compiled for AVX-512, AVX2 and the baseline target and chosen by CPUID
 * (cpu_isa, which MEDINETS_NATIVE_ISA caps). Plain C that the compiler vectorises across the
 * channels: each channel's float64 sums still run over the rows in order, and the build's
 * -ffp-contract=off keeps every multiply and add rounded on its own, so all three give the
 * bits of the JavaScript kernel.
 */
#define BN_PASSES(SFX, ATTR)                                                                                  \
  ATTR static void stats_##SFX(const float *x, double *restrict s1, double *restrict s2, long n, long c, long c0, \
                               long c1) {                                                                     \
    long q0 = c0;                                                                                             \
    for (; q0 + 16 <= c1; q0 += 16) { /* 16 channels' sums in registers down the rows */                      \
      v8d a0 = ld8d(s1 + q0), a1 = ld8d(s1 + q0 + 8), b0 = ld8d(s2 + q0), b1 = ld8d(s2 + q0 + 8);             \
      for (long i = 0; i < n; i++) {                                                                          \
        const float *row = x + i * c + q0;                                                                    \
        v8d v0 = ld8f(row), v1 = ld8f(row + 8);                                                               \
        a0 += v0;                                                                                             \
        a1 += v1;                                                                                             \
        b0 += v0 * v0;                                                                                        \
        b1 += v1 * v1;                                                                                        \
      }                                                                                                       \
      st8d(s1 + q0, a0), st8d(s1 + q0 + 8, a1), st8d(s2 + q0, b0), st8d(s2 + q0 + 8, b1);                     \
    }                                                                                                         \
    for (long i = 0; i < n && q0 < c1; i++) {                                                                 \
      const float *restrict row = x + i * c;                                                                  \
      for (long q = q0; q < c1; q++) {                                                                        \
        double v = row[q];                                                                                    \
        s1[q] += v;                                                                                           \
        s2[q] += v * v;                                                                                       \
      }                                                                                                       \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void affine_##SFX(const float *x, const double *restrict a, const double *restrict shift,      \
                                float *y, long n, long c, long c0, long c1) {                                 \
    for (long i = 0; i < n; i++) {                                                                            \
      const float *restrict row = x + i * c;                                                                  \
      float *restrict out = y + i * c;                                                                        \
      for (long q = c0; q < c1; q++) out[q] = (float)((double)row[q] * a[q] + shift[q]);                     \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void gsums_##SFX(const float *dy, const float *x, const float *restrict mean,                  \
                               double *restrict sdy, double *restrict sdyx, long n, long c, long c0, long c1) { \
    long q0 = c0;                                                                                             \
    for (; q0 + 16 <= c1; q0 += 16) {                                                                         \
      v8d a0 = ld8d(sdy + q0), a1 = ld8d(sdy + q0 + 8), b0 = ld8d(sdyx + q0), b1 = ld8d(sdyx + q0 + 8);       \
      const v8d m0 = ld8f(mean + q0), m1 = ld8f(mean + q0 + 8);                                               \
      for (long i = 0; i < n; i++) {                                                                          \
        const float *d = dy + i * c + q0, *xr = x + i * c + q0;                                               \
        v8d g0 = ld8f(d), g1 = ld8f(d + 8);                                                                   \
        a0 += g0;                                                                                             \
        a1 += g1;                                                                                             \
        b0 += g0 * (ld8f(xr) - m0);                                                                           \
        b1 += g1 * (ld8f(xr + 8) - m1);                                                                       \
      }                                                                                                       \
      st8d(sdy + q0, a0), st8d(sdy + q0 + 8, a1), st8d(sdyx + q0, b0), st8d(sdyx + q0 + 8, b1);               \
    }                                                                                                         \
    for (long i = 0; i < n && q0 < c1; i++) {                                                                 \
      const float *restrict d = dy + i * c;                                                                   \
      const float *restrict xr = x + i * c;                                                                   \
      for (long q = q0; q < c1; q++) {                                                                        \
        double g = d[q];                                                                                      \
        sdy[q] += g;                                                                                          \
        sdyx[q] += g * ((double)xr[q] - (double)mean[q]);                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void gdx_##SFX(const float *dy, const float *x, const double *restrict k1,                     \
                             const double *restrict k2, const double *restrict k3, float *dx, long n, long c,  \
                             long c0, long c1) {                                                              \
    for (long i = 0; i < n; i++) {                                                                            \
      const float *restrict d = dy + i * c;                                                                   \
      const float *restrict xr = x + i * c;                                                                   \
      float *restrict o = dx + i * c;                                                                         \
      for (long q = c0; q < c1; q++) o[q] = (float)(k1[q] * (double)d[q] + k2[q] * (double)xr[q] + k3[q]);   \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void infer_##SFX(const float *x, const float *restrict a, const float *restrict b, float *y,   \
                               long r0, long r1, long c) {                                                    \
    for (long i = r0; i < r1; i++) {                                                                          \
      const float *restrict row = x + i * c;                                                                  \
      float *restrict out = y + i * c;                                                                        \
      for (long q = 0; q < c; q++) out[q] = row[q] * a[q] + b[q];                                             \
    }                                                                                                         \
  }

BN_PASSES(avx512, __attribute__((target("avx512f"))))
BN_PASSES(avx2, __attribute__((target("avx2"))))
BN_PASSES(base, )

typedef struct {
  void (*stats)(const float *, double *, double *, long, long, long, long);
  void (*affine)(const float *, const double *, const double *, float *, long, long, long, long);
  void (*gsums)(const float *, const float *, const float *, double *, double *, long, long, long, long);
  void (*gdx)(const float *, const float *, const double *, const double *, const double *, float *, long, long,
              long, long);
  void (*infer)(const float *, const float *, const float *, float *, long, long, long);
} bn_passes;

static const bn_passes PASSES[3] = {
    {stats_base, affine_base, gsums_base, gdx_base, infer_base},
    {stats_avx2, affine_avx2, gsums_avx2, gdx_avx2, infer_avx2},
    {stats_avx512, affine_avx512, gsums_avx512, gdx_avx512, infer_avx512},
};
static const bn_passes *passes(void) { return &PASSES[cpu_isa()]; }

typedef struct {
  const float *x, *dy, *scale, *offset, *mean, *inv;
  float *y, *omean, *ovar, *oinv, *dx, *dscale, *doffset;
  long n, c;
  double eps;
  double *tmp; /* 4 (forward) or 5 (gradient) float64 values per channel */
} bn_job;

/* Sums pass of channels [c0, c1) of the forward, then their coefficients a and shift. */
static void train_sums(const bn_job *j, long c0, long c1) {
  const long c = j->c, n = j->n;
  double *s1 = j->tmp, *s2 = s1 + c, *a = s2 + c, *shift = a + c;
  passes()->stats(j->x, s1, s2, n, c, c0, c1);
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
}

/* Sums pass of channels [c0, c1) of the gradient, then dScale, dOffset and dx's coefficients. */
static void grad_sums(const bn_job *j, long c0, long c1) {
  const long c = j->c, n = j->n;
  double *sdy = j->tmp, *sdyx = sdy + c, *k1 = sdyx + c, *k2 = k1 + c, *k3 = k2 + c;
  const float *mean = j->mean;
  passes()->gsums(j->dy, j->x, mean, sdy, sdyx, n, c, c0, c1);
  for (long q = c0; q < c1; q++) {
    double iv = j->inv[q];
    double gi = (double)j->scale[q] * iv;
    j->doffset[q] = (float)sdy[q];
    j->dscale[q] = (float)(sdyx[q] * iv);
    k1[q] = gi;
    k2[q] = (-gi * iv * iv * sdyx[q]) / (double)n;
    k3[q] = (-gi * sdy[q]) / (double)n - k2[q] * (double)mean[q];
  }
}

/*
 * The sums are split by whole blocks of channels (each channel's rows summed in order by one
 * thread); the elementwise pass that follows by whole rows, so that no two threads write one
 * cache line and each streams a contiguous range. Every value is computed the same way
 * whatever the split.
 */
static int sums_share(void *ctx, int part, int parts, int grad) {
  const bn_job *j = ctx;
  const long blocks = (j->c + CB - 1) / CB;
  long c0 = blocks * part / parts * CB, c1 = blocks * (part + 1) / parts * CB;
  if (c1 > j->c) c1 = j->c;
  if (c0 < c1) (grad ? grad_sums : train_sums)(j, c0, c1);
  return 0;
}
static int train_sums_share(void *ctx, int part, int parts) { return sums_share(ctx, part, parts, 0); }
static int grad_sums_share(void *ctx, int part, int parts) { return sums_share(ctx, part, parts, 1); }

static int rows_share(void *ctx, int part, int parts, int grad) {
  const bn_job *j = ctx;
  const long c = j->c, r0 = j->n * part / parts, r1 = j->n * (part + 1) / parts, rows = r1 - r0;
  const bn_passes *p = passes();
  const double *t = j->tmp;
  if (rows <= 0) return 0;
  if (grad)
    p->gdx(j->dy + r0 * c, j->x + r0 * c, t + 2 * c, t + 3 * c, t + 4 * c, j->dx + r0 * c, rows, c, 0, c);
  else
    p->affine(j->x + r0 * c, t + 2 * c, t + 3 * c, j->y + r0 * c, rows, c, 0, c);
  return 0;
}
static int train_rows_share(void *ctx, int part, int parts) { return rows_share(ctx, part, parts, 0); }
static int grad_rows_share(void *ctx, int part, int parts) { return rows_share(ctx, part, parts, 1); }

/*
 * Parts of the sums pass: one for a small tensor (the hand-off costs more) or narrow rows (two
 * threads would each read a sliver of every row); else one per block of channels.
 */
static int sums_parts(long n, long c) {
  const long blocks = (c + CB - 1) / CB;
  return (double)n * c < 32768.0 || c < 4 * CB ? 1 : (int)(blocks < 64 ? blocks : 64);
}
static int rows_parts(long n, long c) { return (double)n * c < 32768.0 ? 1 : 64; }

int bn_train(const float *x, const float *scale, const float *offset, float *y, float *mean, float *var,
             float *inv, long n, long c, double eps) {
  double *tmp = calloc((size_t)c * 4, sizeof(double));
  if (tmp == NULL) return -1;
  bn_job j = {.x = x, .scale = scale, .offset = offset, .y = y, .omean = mean, .ovar = var, .oinv = inv,
              .n = n, .c = c, .eps = eps, .tmp = tmp};
  pool_run(train_sums_share, &j, sums_parts(n, c));
  pool_run(train_rows_share, &j, rows_parts(n, c));
  free(tmp);
  return 0;
}

int bn_train_grad(const float *dy, const float *x, const float *scale, const float *mean, const float *inv,
                  float *dx, float *dscale, float *doffset, long n, long c) {
  double *tmp = calloc((size_t)c * 5, sizeof(double));
  if (tmp == NULL) return -1;
  bn_job j = {.x = x, .dy = dy, .scale = scale, .mean = mean, .inv = inv, .dx = dx, .dscale = dscale,
              .doffset = doffset, .n = n, .c = c, .tmp = tmp};
  pool_run(grad_sums_share, &j, sums_parts(n, c));
  pool_run(grad_rows_share, &j, rows_parts(n, c));
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
  passes()->infer(j->x, j->a, j->b, j->y, r0, r1, j->c);
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
