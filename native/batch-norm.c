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

/*
 * Rows a sums pass takes at a time: it walks RG rows down one 16-channel block (the sums in
 * registers), then the next block of the same rows, so it reads RG contiguous streams that
 * the hardware prefetches; walking one block down every row (each read a row's length from the
 * last) stalled on its loads when the tensor was not in cache (a gradient's sums pass at
 * 0.65-2.3 ns a value, now 0.56-0.96, one thread, cold). Each channel's rows are still added in
 * order: the same bits.
 */
#define RG 4

#define CB 16 /* channels per block: one cache line of each row, one AVX-512 vector */

/*
 * The three passes, compiled for AVX-512, AVX2 and the baseline target and chosen by CPUID
 * (cpu_isa, which MEDINETS_NATIVE_ISA caps). Plain C that the compiler vectorises across the
 * channels: each channel's float64 sums still run over the rows in order, and the build's
 * -ffp-contract=off keeps every multiply and add rounded on its own, so all three give the
 * bits of the JavaScript kernel.
 */
/*
 * The activation a fused pass applies, as the addon's relu kernel (elementwise.c): min(max(v,
 * 0), cap), -0 to +0, NaN kept; and its gradient's factor, as relu_grad: 1 where 0 < v <= cap,
 * else 0, NaN where v is NaN (the gradient is dy times it, one float32 multiply).
 */
static inline float RELU(float v, float cap) { return v != v ? v : (v > 0.0f ? (v < cap ? v : cap) : 0.0f); }
static inline float RELU_STEP(float v, float cap) { return v != v ? v : (v > 0.0f && v <= cap ? 1.0f : 0.0f); }

/* The two on 8 lanes, bit for bit the scalar ones (comparisons give all-ones lanes); macros, so
 * that each instruction set's passes compile them with their own vector registers. */
typedef int v8i __attribute__((vector_size(32)));
#define ld8(p) (*(const v8f *)(p))
#define st8f(p, v) (*(v8f *)(p) = (v))
#define to8f(v) __builtin_convertvector((v), v8f)
#define relu8(v_, cap_)                                                                                        \
  ({                                                                                                          \
    const v8f v = (v_), zero = {0}, capv = zero + (cap_);                                                     \
    const v8i vi = (v8i)v, pos = v > zero, lt = v < capv, nan = v != v;                                       \
    (v8f)((nan & vi) | (~nan & (pos & ((lt & vi) | (~lt & (v8i)capv)))));                                     \
  })
#define relu_step8(v_, cap_)                                                                                   \
  ({                                                                                                          \
    const v8f v = (v_), zero = {0}, capv = zero + (cap_);                                                     \
    const v8i in = (v > zero) & (v <= capv), nan = v != v;                                                    \
    (v8f)((in & ((v8i){0} + 0x3f800000)) | (nan & (v8i)v));                                                  \
  })

#define BN_PASSES(SFX, ATTR)                                                                                  \
  ATTR static void stats_##SFX(const float *x, double *restrict s1, double *restrict s2, long n, long c, long c0, \
                               long c1) {                                                                     \
    const long qt = c0 + (c1 - c0) / 16 * 16;                                                                 \
    for (long i = 0; i < n; i += RG) { /* RG rows at a time, 16 channels' sums in registers across them */     \
      const long re = i + RG < n ? i + RG : n;                                                                \
      for (long q0 = c0; q0 < qt; q0 += 16) {                                                                 \
        v8d a0 = ld8d(s1 + q0), a1 = ld8d(s1 + q0 + 8), b0 = ld8d(s2 + q0), b1 = ld8d(s2 + q0 + 8);           \
        for (long r = i; r < re; r++) {                                                                       \
          const float *row = x + r * c + q0;                                                                  \
          v8d v0 = ld8f(row), v1 = ld8f(row + 8);                                                             \
          a0 += v0;                                                                                           \
          a1 += v1;                                                                                           \
          b0 += v0 * v0;                                                                                      \
          b1 += v1 * v1;                                                                                      \
        }                                                                                                     \
        st8d(s1 + q0, a0), st8d(s1 + q0 + 8, a1), st8d(s2 + q0, b0), st8d(s2 + q0 + 8, b1);                   \
      }                                                                                                       \
    }                                                                                                         \
    for (long i = 0; i < n && qt < c1; i++) {                                                                 \
      const float *restrict row = x + i * c;                                                                  \
      for (long q = qt; q < c1; q++) {                                                                        \
        double v = row[q];                                                                                    \
        s1[q] += v;                                                                                           \
        s2[q] += v * v;                                                                                       \
      }                                                                                                       \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void affine_##SFX(const float *x, const double *restrict a, const double *restrict shift,      \
                                float *y, long n, long c) {                                                   \
    for (long i = 0; i < n; i++) {                                                                            \
      const float *restrict row = x + i * c;                                                                  \
      float *restrict out = y + i * c;                                                                        \
      for (long q = 0; q < c; q++) out[q] = (float)((double)row[q] * a[q] + shift[q]);                        \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void gsums_##SFX(const float *dy, const float *x, const float *restrict mean,                  \
                               double *restrict sdy, double *restrict sdyx, long n, long c, long c0, long c1) { \
    const long qt = c0 + (c1 - c0) / 16 * 16;                                                                 \
    for (long i = 0; i < n; i += RG) {                                                                        \
      const long re = i + RG < n ? i + RG : n;                                                                \
      for (long q0 = c0; q0 < qt; q0 += 16) {                                                                 \
        v8d a0 = ld8d(sdy + q0), a1 = ld8d(sdy + q0 + 8), b0 = ld8d(sdyx + q0), b1 = ld8d(sdyx + q0 + 8);     \
        const v8d m0 = ld8f(mean + q0), m1 = ld8f(mean + q0 + 8);                                             \
        for (long r = i; r < re; r++) {                                                                       \
          const float *d = dy + r * c + q0, *xr = x + r * c + q0;                                             \
          v8d g0 = ld8f(d), g1 = ld8f(d + 8);                                                                 \
          a0 += g0;                                                                                           \
          a1 += g1;                                                                                           \
          b0 += g0 * (ld8f(xr) - m0);                                                                         \
          b1 += g1 * (ld8f(xr + 8) - m1);                                                                     \
        }                                                                                                     \
        st8d(sdy + q0, a0), st8d(sdy + q0 + 8, a1), st8d(sdyx + q0, b0), st8d(sdyx + q0 + 8, b1);             \
      }                                                                                                       \
    }                                                                                                         \
    for (long i = 0; i < n && qt < c1; i++) {                                                                 \
      const float *restrict d = dy + i * c;                                                                   \
      const float *restrict xr = x + i * c;                                                                   \
      for (long q = qt; q < c1; q++) {                                                                        \
        double g = d[q];                                                                                      \
        sdy[q] += g;                                                                                          \
        sdyx[q] += g * ((double)xr[q] - (double)mean[q]);                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void gdx_##SFX(const float *dy, const float *x, const double *restrict k1,                     \
                             const double *restrict k2, const double *restrict k3, float *dx, long n, long c) { \
    for (long i = 0; i < n; i++) {                                                                            \
      const float *restrict d = dy + i * c;                                                                   \
      const float *restrict xr = x + i * c;                                                                   \
      float *restrict o = dx + i * c;                                                                         \
      for (long q = 0; q < c; q++) o[q] = (float)(k1[q] * (double)d[q] + k2[q] * (double)xr[q] + k3[q]);      \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void infer_##SFX(const float *x, const float *restrict a, const float *restrict b, float *y,   \
                               long r0, long r1, long c) {                                                    \
    for (long i = r0; i < r1; i++) {                                                                          \
      const float *restrict row = x + i * c;                                                                  \
      float *restrict out = y + i * c;                                                                        \
      for (long q = 0; q < c; q++) out[q] = row[q] * a[q] + b[q];                                             \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void infer_act_##SFX(const float *x, const float *restrict a, const float *restrict b, float *y, \
                                   long r0, long r1, long c, float cap) {                                     \
    for (long i = r0; i < r1; i++) {                                                                          \
      const float *row = x + i * c;                                                                           \
      float *out = y + i * c;                                                                                 \
      long q = 0;                                                                                             \
      for (; q + 8 <= c; q += 8) st8f(out + q, relu8(ld8(row + q) * ld8(a + q) + ld8(b + q), cap));           \
      for (; q < c; q++) out[q] = RELU(row[q] * a[q] + b[q], cap);                                            \
    }                                                                                                         \
  }                                                                                                           \
  /* the same passes followed by a ReLU capped at `cap` (+inf: ReLU, 6: ReLU6), or its gradient */           \
  ATTR static void affine_act_##SFX(const float *x, const double *restrict a, const double *restrict shift,  \
                                    float *y, long n, long c, float cap) {                                    \
    for (long i = 0; i < n; i++) {                                                                            \
      const float *row = x + i * c;                                                                           \
      float *out = y + i * c;                                                                                 \
      long q = 0;                                                                                             \
      for (; q + 8 <= c; q += 8)                                                                              \
        st8f(out + q, relu8(to8f(ld8f(row + q) * ld8d(a + q) + ld8d(shift + q)), cap));                       \
      for (; q < c; q++) out[q] = RELU((float)((double)row[q] * a[q] + shift[q]), cap);                       \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void gsums_act_##SFX(const float *dy, const float *x, const float *restrict mean,              \
                                   const double *restrict a, const double *restrict shift, float cap,          \
                                   double *restrict sdy, double *restrict sdyx, long n, long c, long c0,       \
                                   long c1) {                                                                 \
    const long qt = c0 + (c1 - c0) / 16 * 16;                                                                 \
    for (long i = 0; i < n; i += RG) {                                                                        \
      const long re = i + RG < n ? i + RG : n;                                                                \
      for (long q0 = c0; q0 < qt; q0 += 16) {                                                                \
        v8d s1 = ld8d(sdy + q0), s2 = ld8d(sdyx + q0), t1 = ld8d(sdy + q0 + 8), t2 = ld8d(sdyx + q0 + 8);     \
        const v8d m = ld8f(mean + q0), av = ld8d(a + q0), sv = ld8d(shift + q0);                              \
        const v8d m8 = ld8f(mean + q0 + 8), av8 = ld8d(a + q0 + 8), sv8 = ld8d(shift + q0 + 8);               \
        for (long r = i; r < re; r++) {                                                                       \
          const float *d = dy + r * c + q0, *xr = x + r * c + q0;                                             \
          const v8d xv = ld8f(xr), xw = ld8f(xr + 8);                                                         \
          const v8d g = __builtin_convertvector(ld8(d) * relu_step8(to8f(xv * av + sv), cap), v8d);           \
          const v8d h = __builtin_convertvector(ld8(d + 8) * relu_step8(to8f(xw * av8 + sv8), cap), v8d);     \
          s1 += g;                                                                                            \
          s2 += g * (xv - m);                                                                                 \
          t1 += h;                                                                                            \
          t2 += h * (xw - m8);                                                                                \
        }                                                                                                     \
        st8d(sdy + q0, s1), st8d(sdyx + q0, s2), st8d(sdy + q0 + 8, t1), st8d(sdyx + q0 + 8, t2);             \
      }                                                                                                       \
    }                                                                                                         \
    for (long i = 0; i < n && qt < c1; i++) {                                                                 \
      const float *restrict d = dy + i * c;                                                                   \
      const float *restrict xr = x + i * c;                                                                   \
      for (long q = qt; q < c1; q++) {                                                                        \
        double g = d[q] * RELU_STEP((float)((double)xr[q] * a[q] + shift[q]), cap);                           \
        sdy[q] += g;                                                                                          \
        sdyx[q] += g * ((double)xr[q] - (double)mean[q]);                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }                                                                                                           \
  ATTR static void gdx_act_##SFX(const float *dy, const float *x, const double *restrict k1,                 \
                                 const double *restrict k2, const double *restrict k3, const double *restrict a, \
                                 const double *restrict shift, float cap, float *dx, long n, long c) {         \
    for (long i = 0; i < n; i++) {                                                                            \
      const float *d = dy + i * c;                                                                            \
      const float *xr = x + i * c;                                                                            \
      float *o = dx + i * c;                                                                                  \
      long q = 0;                                                                                             \
      for (; q + 8 <= c; q += 8) {                                                                            \
        const v8d xv = ld8f(xr + q);                                                                          \
        const v8d g = __builtin_convertvector(                                                                \
            ld8(d + q) * relu_step8(to8f(xv * ld8d(a + q) + ld8d(shift + q)), cap), v8d);                     \
        st8f(o + q, to8f(ld8d(k1 + q) * g + ld8d(k2 + q) * xv + ld8d(k3 + q)));                               \
      }                                                                                                       \
      for (; q < c; q++) {                                                                                    \
        float g = d[q] * RELU_STEP((float)((double)xr[q] * a[q] + shift[q]), cap);                            \
        o[q] = (float)(k1[q] * (double)g + k2[q] * (double)xr[q] + k3[q]);                                    \
      }                                                                                                       \
    }                                                                                                         \
  }

BN_PASSES(avx512, __attribute__((target("avx512f"))))
BN_PASSES(avx2, __attribute__((target("avx2"))))
BN_PASSES(base, )

typedef struct {
  void (*stats)(const float *, double *, double *, long, long, long, long);
  void (*affine)(const float *, const double *, const double *, float *, long, long);
  void (*gsums)(const float *, const float *, const float *, double *, double *, long, long, long, long);
  void (*gdx)(const float *, const float *, const double *, const double *, const double *, float *, long, long);
  void (*infer)(const float *, const float *, const float *, float *, long, long, long);
  void (*affine_act)(const float *, const double *, const double *, float *, long, long, float);
  void (*gsums_act)(const float *, const float *, const float *, const double *, const double *, float, double *,
                    double *, long, long, long, long);
  void (*gdx_act)(const float *, const float *, const double *, const double *, const double *, const double *,
                  const double *, float, float *, long, long);
  void (*infer_act)(const float *, const float *, const float *, float *, long, long, long, float);
} bn_passes;

static const bn_passes PASSES[3] = {
    {stats_base, affine_base, gsums_base, gdx_base, infer_base, affine_act_base, gsums_act_base, gdx_act_base, infer_act_base},
    {stats_avx2, affine_avx2, gsums_avx2, gdx_avx2, infer_avx2, affine_act_avx2, gsums_act_avx2, gdx_act_avx2, infer_act_avx2},
    {stats_avx512, affine_avx512, gsums_avx512, gdx_avx512, infer_avx512, affine_act_avx512, gsums_act_avx512, gdx_act_avx512, infer_act_avx512},
};
static const bn_passes *passes(void) { return &PASSES[cpu_isa()]; }

typedef struct {
  const float *x, *dy, *scale, *offset, *mean, *inv;
  float *y, *omean, *ovar, *oinv, *dx, *dscale, *doffset;
  long n, c;
  double eps;
  double *tmp; /* 4 (forward) or 5 (gradient) float64 values per channel */
  int act;     /* a ReLU fused after the forward (and into the gradient), capped at cap */
  float cap;
  const double *coef; /* gradient with act: the forward's a and shift per channel */
} bn_job;

/* Sums pass of channels [c0, c1) of the forward, then their coefficients a and shift. */
static void train_sums(const bn_job *j, long c0, long c1) {
  const long c = j->c, n = j->n;
  double *s1 = j->tmp, *s2 = s1 + c, *a = s2 + c, *shift = a + c;
  const bn_passes *p = passes();
  p->stats(j->x, s1, s2, n, c, c0, c1);
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
  const bn_passes *p = passes();
  if (j->act)
    p->gsums_act(j->dy, j->x, mean, j->coef, j->coef + c, j->cap, sdy, sdyx, n, c, c0, c1);
  else
    p->gsums(j->dy, j->x, mean, sdy, sdyx, n, c, c0, c1);
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
  if (grad && j->act)
    p->gdx_act(j->dy + r0 * c, j->x + r0 * c, t + 2 * c, t + 3 * c, t + 4 * c, j->coef, j->coef + c, j->cap,
               j->dx + r0 * c, rows, c);
  else if (grad)
    p->gdx(j->dy + r0 * c, j->x + r0 * c, t + 2 * c, t + 3 * c, t + 4 * c, j->dx + r0 * c, rows, c);
  else if (j->act)
    p->affine_act(j->x + r0 * c, t + 2 * c, t + 3 * c, j->y + r0 * c, rows, c, j->cap);
  else
    p->affine(j->x + r0 * c, t + 2 * c, t + 3 * c, j->y + r0 * c, rows, c);
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
             float *inv, long n, long c, double eps, int act, float cap, void *coef) {
  double *tmp = calloc((size_t)c * 4, sizeof(double));
  if (tmp == NULL) return -1;
  bn_job j = {.x = x, .scale = scale, .offset = offset, .y = y, .omean = mean, .ovar = var, .oinv = inv,
              .n = n, .c = c, .eps = eps, .tmp = tmp, .act = act, .cap = cap};
  pool_run(train_sums_share, &j, sums_parts(n, c));
  pool_run(train_rows_share, &j, rows_parts(n, c));
  /* the float64 a and shift, for a fused gradient to recompute y exactly */
  if (coef != NULL) memcpy(coef, tmp + 2 * c, sizeof(double) * 2 * (size_t)c);
  free(tmp);
  return 0;
}

int bn_train_grad(const float *dy, const float *x, const float *scale, const float *mean, const float *inv,
                  float *dx, float *dscale, float *doffset, long n, long c, int act, float cap, const void *coef) {
  double *tmp = calloc((size_t)c * (act ? 7 : 5), sizeof(double));
  if (tmp == NULL) return -1;
  if (act) memcpy(tmp + 5 * c, coef, sizeof(double) * 2 * (size_t)c); /* coef may be unaligned */
  bn_job j = {.x = x, .dy = dy, .scale = scale, .mean = mean, .inv = inv, .dx = dx, .dscale = dscale,
              .doffset = doffset, .n = n, .c = c, .tmp = tmp, .act = act, .cap = cap, .coef = tmp + 5 * c};
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
  int act;
  float cap;
} bn_infer_job;

/* Whole rows per part: each value is one multiply and one add whatever the split. */
static int infer_share(void *ctx, int part, int parts) {
  const bn_infer_job *j = ctx;
  long r0 = j->n * part / parts, r1 = j->n * (part + 1) / parts;
  if (j->act)
    passes()->infer_act(j->x, j->a, j->b, j->y, r0, r1, j->c, j->cap);
  else
    passes()->infer(j->x, j->a, j->b, j->y, r0, r1, j->c);
  return 0;
}

int bn_infer(const float *x, const float *mean, const float *var, const float *scale, const float *offset, float *y,
             long n, long c, float eps, int act, float cap) {
  float *a = malloc(sizeof(float) * (size_t)c * 2);
  if (a == NULL) return -1;
  float *b = a + c;
  for (long j = 0; j < c; j++) {
    float inv = 1.0f / sqrtf(var[j] + eps);
    a[j] = (scale ? scale[j] : 1.0f) * inv;
    b[j] = (offset ? offset[j] : 0.0f) - mean[j] * a[j];
  }
  bn_infer_job job = {.x = x, .a = a, .b = b, .y = y, .n = n, .c = c, .act = act, .cap = cap};
  /* a hand-off costs more than a small tensor's pass (as bn_parts) */
  pool_run(infer_share, &job, (double)n * c < 32768.0 ? 1 : 64);
  free(a);
  return 0;
}
