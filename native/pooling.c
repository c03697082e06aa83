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
        for (long ky = 0; ky < fh; ky += dh) {
          long iy = y0 + ky;
          if (iy < 0 || iy >= h) continue;
          for (long kx = 0; kx < fw; kx += dw) {
            long ix = x0 + kx;
            if (ix < 0 || ix >= w) continue;
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
