/*
 * The max-pooling gradient, channels last: each dy value goes to the first maximum of its
 * window in row-major window order (as tfjs' cpu kernel and medinets' JS kernel pick it),
 * whatever its sign. Parameters: n, h, w, c, ho, wo, fh, fw (effective), sh, sw, dh, dw,
 * padTop, padLeft.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

int max_pool_grad(const float *dy, const float *x, float *dx, const int *p) {
  long n = p[0], h = p[1], w = p[2], c = p[3], ho = p[4], wo = p[5], fh = p[6], fw = p[7];
  long sh = p[8], sw = p[9], dh = p[10], dw = p[11], pt = p[12], pl = p[13];
  if (n == 0 || h == 0 || w == 0 || c == 0) return 0;
  float *best = malloc(sizeof(float) * c);
  long *pos = malloc(sizeof(long) * c);
  if (best == NULL || pos == NULL) {
    free(best);
    free(pos);
    return -1;
  }
  memset(dx, 0, sizeof(float) * n * h * w * c);
  for (long b = 0; b < n; b++) {
    for (long oy = 0; oy < ho; oy++) {
      long y0 = oy * sh - pt;
      for (long ox = 0; ox < wo; ox++) {
        long x0 = ox * sw - pl;
        for (long ch = 0; ch < c; ch++) {
          best[ch] = -INFINITY;
          pos[ch] = -1;
        }
        /* only the taps inside the image, in the same row-major order */
        long ky = y0 < 0 ? (-y0 + dh - 1) / dh * dh : 0, kyEnd = fh < h - y0 ? fh : h - y0;
        long kx0 = x0 < 0 ? (-x0 + dw - 1) / dw * dw : 0, kxEnd = fw < w - x0 ? fw : w - x0;
        for (; ky < kyEnd; ky += dh) {
          long iy = y0 + ky;
          for (long kx = kx0; kx < kxEnd; kx += dw) {
            long ix = x0 + kx;
            long base = ((b * h + iy) * w + ix) * c;
            const float *xs = x + base;
            for (long ch = 0; ch < c; ch++) {
              if (xs[ch] > best[ch]) {
                best[ch] = xs[ch];
                pos[ch] = base + ch;
              }
            }
          }
        }
        const float *g = dy + ((b * ho + oy) * wo + ox) * c;
        for (long ch = 0; ch < c; ch++)
          if (pos[ch] >= 0) dx[pos[ch]] += g[ch];
      }
    }
  }
  free(best);
  free(pos);
  return 0;
}
