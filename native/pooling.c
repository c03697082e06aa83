/*
 * Max pooling and its gradient, channels last. Forward: each output is the largest value of
 * its window's taps inside the image, -Infinity for an empty window, NaN ignored (tfjs' cpu
 * kernel's `pixel > max`, so of equal values -0 / +0 the first one). Gradient: each dy value goes to the first maximum of its
 * window in row-major window order (as tfjs' cpu kernel and medinets' JS kernel pick it),
 * whatever its sign. Parameters: n, h, w, c, ho, wo, fh, fw (effective), sh, sw, dh, dw,
 * padTop, padLeft.
 *
 * The window's first maximum is found for a block of channels at once with branch-free
 * selects (vectorized), and images are shared out between the pool's threads: each dx
 * element is summed by one thread in window order, so the split never changes the bits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "kernels.h"

#define CB 64 /* channels per block */

typedef struct {
  const float *dy, *x;
  float *dx; /* the output: dx, or y forward */
  const int *p;
} mp_job;

static void one_image(const mp_job *j, long b) {
  const int *p = j->p;
  long h = p[1], w = p[2], c = p[3], ho = p[4], wo = p[5], fh = p[6], fw = p[7];
  long sh = p[8], sw = p[9], dh = p[10], dw = p[11], pt = p[12], pl = p[13];
  float best[CB];
  int pos[CB];
  float *dxb = j->dx + b * h * w * c;
  memset(dxb, 0, sizeof(float) * h * w * c);
  for (long oy = 0; oy < ho; oy++) {
    long y0 = oy * sh - pt;
    for (long ox = 0; ox < wo; ox++) {
      long x0 = ox * sw - pl;
      /* only the taps inside the image, in the same row-major order */
      long ky0 = y0 < 0 ? (-y0 + dh - 1) / dh * dh : 0, kyEnd = fh < h - y0 ? fh : h - y0;
      long kx0 = x0 < 0 ? (-x0 + dw - 1) / dw * dw : 0, kxEnd = fw < w - x0 ? fw : w - x0;
      const float *g = j->dy + ((b * ho + oy) * wo + ox) * c;
      for (long c0 = 0; c0 < c; c0 += CB) {
        long cb = c - c0 < CB ? c - c0 : CB;
        for (long q = 0; q < cb; q++) {
          best[q] = -INFINITY;
          pos[q] = -1;
        }
        for (long ky = ky0; ky < kyEnd; ky += dh) {
          long iy = y0 + ky;
          for (long kx = kx0; kx < kxEnd; kx += dw) {
            int base = (int)(((iy * w) + x0 + kx) * c + c0);
            const float *xs = j->x + b * h * w * c + base;
            /* as masks, not a branch, so that the loop vectorises (a conditional int store
             * beside the float one left it scalar, 7x the forward's time) */
            for (long q = 0; q < cb; q++) {
              const float v = xs[q];
              const int m = -(int)(v > best[q]);
              pos[q] = (pos[q] & ~m) | (base & m);
              best[q] = v > best[q] ? v : best[q];
            }
          }
        }
        for (long q = 0; q < cb; q++)
          if (pos[q] >= 0) dxb[pos[q] + q] += g[c0 + q];
      }
    }
  }
}

/* Forward: rows (b, oy) of the output, each computed by one thread whatever the split. */
static void pool_rows(const mp_job *j, long r0, long r1) {
  const int *p = j->p;
  long h = p[1], w = p[2], c = p[3], ho = p[4], wo = p[5], fh = p[6], fw = p[7];
  long sh = p[8], sw = p[9], dh = p[10], dw = p[11], pt = p[12], pl = p[13];
  float best[CB];
  for (long r = r0; r < r1; r++) {
    long b = r / ho, oy = r % ho, y0 = oy * sh - pt;
    long ky0 = y0 < 0 ? (-y0 + dh - 1) / dh * dh : 0, kyEnd = fh < h - y0 ? fh : h - y0;
    const float *xb = j->x + b * h * w * c;
    float *out = j->dx + r * wo * c;
    for (long ox = 0; ox < wo; ox++, out += c) {
      long x0 = ox * sw - pl;
      long kx0 = x0 < 0 ? (-x0 + dw - 1) / dw * dw : 0, kxEnd = fw < w - x0 ? fw : w - x0;
      for (long c0 = 0; c0 < c; c0 += CB) {
        long cb = c - c0 < CB ? c - c0 : CB;
        for (long q = 0; q < cb; q++) best[q] = -INFINITY;
        for (long ky = ky0; ky < kyEnd; ky += dh)
          for (long kx = kx0; kx < kxEnd; kx += dw) {
            const float *xs = xb + ((y0 + ky) * w + x0 + kx) * c + c0;
            /* x > best ? x : best: a NaN never wins, an equal later value never replaces */
            for (long q = 0; q < cb; q++) best[q] = xs[q] > best[q] ? xs[q] : best[q];
          }
        for (long q = 0; q < cb; q++) out[c0 + q] = best[q];
      }
    }
  }
}

static int pool_share(void *ctx, int part, int parts) {
  const mp_job *j = ctx;
  long rows = (long)j->p[0] * j->p[4];
  pool_rows(j, rows * part / parts, rows * (part + 1) / parts);
  return 0;
}

int max_pool(const float *x, float *y, const int *p) {
  long n = p[0], c = p[3], ho = p[4], wo = p[5];
  if (n == 0 || ho == 0 || wo == 0 || c == 0) return 0;
  mp_job j = {NULL, x, y, p};
  long rows = n * ho;
  double work = (double)rows * wo * c * p[6] * p[7];
  return pool_run(pool_share, &j, work < 100000.0 ? 1 : (int)(rows < 64 ? rows : 64));
}

static int share(void *ctx, int part, int parts) {
  const mp_job *j = ctx;
  long n = j->p[0];
  for (long b = n * part / parts; b < n * (part + 1) / parts; b++) one_image(j, b);
  return 0;
}

int max_pool_grad(const float *dy, const float *x, float *dx, const int *p) {
  long n = p[0], h = p[1], w = p[2], c = p[3];
  if (n == 0 || h == 0 || w == 0 || c == 0) return 0;
  if ((double)h * w * c >= 2147483647.0) return -1; /* positions are int within one image */
  mp_job j = {dy, x, dx, p};
  long work = (long)p[4] * p[5] * c * p[6] * p[7];
  return pool_run(share, &j, work * n < 100000 ? 1 : (int)(n < 16 ? n : 16));
}
