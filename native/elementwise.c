/* Elementwise kernels. */
#include "kernels.h"

/* y = max(x, 0) as tfjs computes it: -0 gives +0, NaN stays NaN. */
void relu(const float *x, float *y, long n) {
  for (long i = 0; i < n; i++) y[i] = x[i] > 0.0f || x[i] != x[i] ? x[i] : 0.0f;
}
