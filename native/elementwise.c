/* Elementwise kernels. */
#include "kernels.h"

/* y = max(x, 0) as tfjs computes it: -0 gives +0, NaN stays NaN. */
void relu(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) y[i] = x[i] > 0.0f || x[i] != x[i] ? x[i] : 0.0f;
}

/*
 * dx = dy * s, s = x > 0 && x <= cap ? 1 : 0, NaN where x is NaN: the gradient of ReLU
 * (cap = +inf) and ReLU6 (cap = 6) as tfjs computes it, mul(dy, step(x)) (ReLU6: times
 * lessEqual(x, 6)), one multiply so -0 and NaN come out as there.
 */
void relu_grad(const float *dy, const float *x, float *dx, long n, float cap) {
  for (long i = 0; i < n; i++) {
    const float v = x[i];
    const float s = v != v ? v : (v > 0.0f && v <= cap ? 1.0f : 0.0f);
    dx[i] = dy[i] * s;
  }
}

/*
 * dx = lo <= x <= hi ? dy : +0 (+0 where x is NaN): tfjs' ClipByValue gradient,
 * where(logicalAnd(greaterEqual(x, lo), lessEqual(x, hi)), dy, zerosLike(dy)), in one pass.
 */
void clip_grad(const float *dy, const float *x, float *dx, long n, float lo, float hi) {
  for (long i = 0; i < n; i++) dx[i] = x[i] >= lo && x[i] <= hi ? dy[i] : 0.0f;
}
