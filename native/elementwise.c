/*
 * Elementwise kernels and the leading / middle-axis reduction, split over the thread pool.
 * Each output element is computed by one thread with the same operations whatever the split
 * (elementwise: contiguous 16-value-aligned slices; reductions: whole columns in row order),
 * so the bits never depend on the thread count. Memory-bound: a second thread helps by
 * keeping two cores' loads in flight, which one thread's stream does not saturate.
 */
#include <stddef.h>

#include "gemm.h"
#include "kernels.h"

enum { EW_RELU = 100, EW_RELU_GRAD, EW_CLIP_GRAD };

typedef struct {
  int op;
  const float *a, *b;
  float *y;
  long n;
  float p1, p2;
} ew_job;

/* y[i] = a[i] op b[i]: float32 operations, so the bits of tfjs' cpu kernels (float64 then rounded
 * to float32 gives the float32 result for + - * / of float32 operands). */
static void ew_range(const ew_job *j, long i0, long i1) {
  const float *a = j->a, *b = j->b;
  float *y = j->y;
  switch (j->op) {
  case BIN_ADD:
    for (long i = i0; i < i1; i++) y[i] = a[i] + b[i];
    break;
  case BIN_SUB:
    for (long i = i0; i < i1; i++) y[i] = a[i] - b[i];
    break;
  case BIN_MUL:
    for (long i = i0; i < i1; i++) y[i] = a[i] * b[i];
    break;
  case BIN_DIV:
    for (long i = i0; i < i1; i++) y[i] = a[i] / b[i];
    break;
  case EW_RELU: {
    /* min(max(x, 0), cap) as tfjs' cpu computes it: -0 gives +0, NaN stays NaN (cap +inf: ReLU) */
    const float cap = j->p1;
    for (long i = i0; i < i1; i++) {
      const float v = a[i];
      const float r = v > 0.0f ? (v < cap ? v : cap) : 0.0f;
      y[i] = v != v ? v : r;
    }
    break;
  }
  case EW_RELU_GRAD: {
    /* dx = dy * s, s = x > 0 && x <= cap ? 1 : 0, NaN where x is NaN: tfjs' mul(dy, step(x))
     * (ReLU6: times lessEqual(x, 6)), one multiply so -0 and NaN come out as there */
    const float cap = j->p1;
    for (long i = i0; i < i1; i++) {
      const float v = b[i];
      const float s = v != v ? v : (v > 0.0f && v <= cap ? 1.0f : 0.0f);
      y[i] = a[i] * s;
    }
    break;
  }
  case EW_CLIP_GRAD: {
    /* tfjs' ClipByValue gradient, where(lo <= x && x <= hi, dy, 0), in one pass */
    const float lo = j->p1, hi = j->p2;
    for (long i = i0; i < i1; i++) y[i] = b[i] >= lo && b[i] <= hi ? a[i] : 0.0f;
    break;
  }
  }
}

static int ew_share(void *ctx, int part, int parts) {
  const ew_job *j = ctx;
  const long blocks = (j->n + 15) / 16;
  long i0 = blocks * part / parts * 16, i1 = blocks * (part + 1) / parts * 16;
  if (i1 > j->n) i1 = j->n;
  if (i0 < i1) ew_range(j, i0, i1);
  return 0;
}

/* Below this many values one thread: the hand-off costs more than it saves. */
#define EW_PARALLEL_MIN (1L << 15)

static void ew_run(ew_job *j) {
  if (j->n < EW_PARALLEL_MIN) {
    ew_range(j, 0, j->n);
    return;
  }
  long maxParts = j->n / EW_PARALLEL_MIN;
  pool_run(ew_share, j, maxParts > 64 ? 64 : (int)maxParts);
}

void binary_op(int op, const float *a, const float *b, float *y, long n) {
  ew_job j = {op, a, b, y, n, 0.0f, 0.0f};
  ew_run(&j);
}

void relu(const float *x, float *y, long n) { relu_cap(x, y, n, (float)__builtin_inf()); }

/* y = min(max(x, 0), cap) (ReLU6: cap 6). */
void relu_cap(const float *x, float *y, long n, float cap) {
  ew_job j = {EW_RELU, x, NULL, y, n, cap, 0.0f};
  ew_run(&j);
}

void relu_grad(const float *dy, const float *x, float *dx, long n, float cap) {
  ew_job j = {EW_RELU_GRAD, dy, x, dx, n, cap, 0.0f};
  ew_run(&j);
}

void clip_grad(const float *dy, const float *x, float *dx, long n, float lo, float hi) {
  ew_job j = {EW_CLIP_GRAD, dy, x, dx, n, lo, hi};
  ew_run(&j);
}

/* ---- y[o, m, i] = big[o, m, i] op small[o, i] (or small op big): one operand broadcast ---- */

typedef struct {
  int op, smallFirst;
  const float *big, *small;
  float *y;
  long n, mid, inner;
} bc_job;

#define BC_RUN(EXPR)                                                                                                 \
  do {                                                                                                               \
    if (j->smallFirst)                                                                                               \
      for (long q = 0; q < run; q++) {                                                                               \
        const float u = s[q * ds], v = a[q];                                                                         \
        y[q] = EXPR;                                                                                                 \
      }                                                                                                              \
    else                                                                                                             \
      for (long q = 0; q < run; q++) {                                                                               \
        const float u = a[q], v = s[q * ds];                                                                         \
        y[q] = EXPR;                                                                                                 \
      }                                                                                                              \
  } while (0)

/* Elements k0..k1 in runs along which the small operand's index is constant (inner 1: ds 0)
 * or contiguous (ds 1); the same float32 operation per element whatever the split. */
static void bc_range(const bc_job *j, long k0, long k1) {
  const long inner = j->inner, mid = j->mid;
  for (long k = k0; k < k1;) {
    long run, si;
    const long ds = inner == 1 ? 0 : 1;
    if (inner == 1) {
      si = k / mid;
      run = (si + 1) * mid - k;
    } else {
      const long i = k % inner;
      si = k / (inner * mid) * inner + i;
      run = inner - i;
    }
    if (run > k1 - k) run = k1 - k;
    const float *a = j->big + k, *s = j->small + si;
    float *y = j->y + k;
    switch (j->op) {
    case BIN_ADD:
      BC_RUN(u + v);
      break;
    case BIN_SUB:
      BC_RUN(u - v);
      break;
    case BIN_MUL:
      BC_RUN(u * v);
      break;
    case BIN_DIV:
      BC_RUN(u / v);
      break;
    }
    k += run;
  }
}

static int bc_share(void *ctx, int part, int parts) {
  const bc_job *j = ctx;
  const long blocks = (j->n + 15) / 16;
  long i0 = blocks * part / parts * 16, i1 = blocks * (part + 1) / parts * 16;
  if (i1 > j->n) i1 = j->n;
  if (i0 < i1) bc_range(j, i0, i1);
  return 0;
}

void binary_bcast(int op, const float *big, const float *small, float *y, long outer, long mid, long inner,
                  int smallFirst) {
  bc_job j = {op, smallFirst, big, small, y, outer * mid * inner, mid, inner};
  if (j.n < EW_PARALLEL_MIN) {
    if (j.n > 0) bc_range(&j, 0, j.n);
    return;
  }
  long maxParts = j.n / EW_PARALLEL_MIN;
  pool_run(bc_share, &j, maxParts > 64 ? 64 : (int)maxParts);
}

/* ---- out[p, j] = scale * sum_i x[p, i, j] (float64 sums in i order, as reduce.ts) ---- */

#define RB 64 /* columns per unit of work */

typedef struct {
  const float *x;
  float *out;
  long pre, mid, inner, blocks;
  double scale;
} red_job;

static int red_share(void *ctx, int part, int parts) {
  const red_job *j = ctx;
  const long units = j->pre * j->blocks;
  double acc[RB];
  for (long u = units * part / parts; u < units * (part + 1) / parts; u++) {
    const long p = u / j->blocks, j0 = u % j->blocks * RB;
    const long w = j->inner - j0 < RB ? j->inner - j0 : RB;
    for (long q = 0; q < w; q++) acc[q] = 0.0;
    const float *x = j->x + p * j->mid * j->inner + j0;
    for (long i = 0; i < j->mid; i++, x += j->inner)
      for (long q = 0; q < w; q++) acc[q] += x[q];
    float *o = j->out + p * j->inner + j0;
    for (long q = 0; q < w; q++) o[q] = (float)(acc[q] * j->scale);
  }
  return 0;
}

void reduce_mid(const float *x, float *out, long pre, long mid, long inner, double scale) {
  red_job j = {x, out, pre, mid, inner, (inner + RB - 1) / RB, scale};
  const long units = pre * j.blocks;
  const double work = (double)pre * mid * inner;
  pool_run(red_share, &j, work < (double)EW_PARALLEL_MIN ? 1 : (int)(units < 64 ? units : 64));
}
