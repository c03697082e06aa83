/*
 * Convolution gradients' data movement and the depthwise gradients in WebAssembly SIMD on
 * tfjs-backend-wasm's heap (see kernels.c for the memory rules). col2im_t sums a patch-matrix
 * gradient back into an input gradient (wasm-gemm-conv.ts);
 * the depthwise gradients are direct loops with the channels in SIMD lanes. Single-threaded:
 * the results do not depend on the backend's thread count.
 */
#include <wasm_simd128.h>

typedef float f32;

/* [lo, hi): the output columns ox whose input column ox * sw + kx - pl lies inside [0, w). */
static inline void tap_columns(long kx, long pl, long sw, long w, long wo, long *lo, long *hi) {
  long l = pl - kx > 0 ? (pl - kx + sw - 1) / sw : 0;
  if (l > wo) l = wo;
  long r = w - 1 - kx + pl >= 0 ? (w - 1 - kx + pl) / sw + 1 : 0;
  if (r > wo) r = wo;
  *lo = l;
  *hi = r < l ? l : r;
}

/*
 * The adjoint of an im2col (P[k, m], row (ky, kx, ci) holding for each output pixel the input
 * value it read through that tap): for images n0..n1-1, xt [cin, n, h, w] (channel-major) gets
 * the sum, over the taps (ky, kx) in order, of the values P[k, m] of the output pixels
 * that read it through that tap; padding taps are dropped. The images' planes are zeroed
 * first, so xt needs no clearing. dx of a convolution when P = W dy^T.
 */
__attribute__((export_name("col2im_t"))) void col2im_t(const f32 *p, f32 *xt, long n, long h, long w, long cin,
                                                       long kh, long kw, long sh, long sw, long pt, long pl,
                                                       long ho, long wo, long n0, long n1) {
  for (long ci = 0; ci < cin; ci++)
    __builtin_memset(xt + (ci * n + n0) * h * w, 0, sizeof(f32) * (unsigned long)((n1 - n0) * h * w));
  for (long ky = 0; ky < kh; ky++)
    for (long kx = 0; kx < kw; kx++) {
      long lo, hi;
      tap_columns(kx, pl, sw, w, wo, &lo, &hi);
      for (long ci = 0; ci < cin; ci++) {
        const f32 *d = p + ((ky * kw + kx) * cin + ci) * (n1 - n0) * ho * wo;
        for (long b = n0; b < n1; b++) {
          f32 *plane = xt + (ci * n + b) * h * w;
          for (long oy = 0; oy < ho; oy++, d += wo) {
            const long y = oy * sh + ky - pt;
            if (y < 0 || y >= h) continue;
            f32 *row = plane + y * w + kx - pl;
            if (sw == 1) {
              long ox = lo;
              for (; ox + 4 <= hi; ox += 4)
                wasm_v128_store(row + ox, wasm_f32x4_add(wasm_v128_load(row + ox), wasm_v128_load(d + ox)));
              for (; ox < hi; ox++) row[ox] += d[ox];
            } else
              for (long ox = lo; ox < hi; ox++) row[ox * sw] += d[ox];
          }
        }
      }
    }
}

/* a + b c over 4 lanes (no fused multiply-add in wasm SIMD: two roundings, as in C). */
static inline v128_t madd(v128_t a, v128_t b, v128_t c) { return wasm_f32x4_add(a, wasm_f32x4_mul(b, c)); }

/*
 * Depthwise filter gradient, channel multiplier m: dw[i, j, ch, q] (zeroed here) =
 * sum over b, oy, ox of x[b, iy, ix, ch] dy[b, oy, ox, ch m + q], iy = oy sh + i dh - pt,
 * ix = ox sw + j dw - pl, summed in pixel order.
 */
__attribute__((export_name("depthwise_dw"))) void depthwise_dw(const f32 *x, const f32 *dy, f32 *dwt, long n, long h,
                                                               long w, long c, long m, long ho, long wo, long kh,
                                                               long kw, long sh, long sw, long dh, long dwd, long pt,
                                                               long pl) {
  const long cm = c * m;
  __builtin_memset(dwt, 0, sizeof(f32) * (unsigned long)(kh * kw * cm));
  for (long b = 0; b < n; b++)
    for (long oy = 0; oy < ho; oy++)
      for (long ox = 0; ox < wo; ox++) {
        const f32 *g = dy + ((b * ho + oy) * wo + ox) * cm;
        for (long i = 0; i < kh; i++) {
          const long iy = oy * sh + i * dh - pt;
          if (iy < 0 || iy >= h) continue;
          for (long j = 0; j < kw; j++) {
            const long ix = ox * sw + j * dwd - pl;
            if (ix < 0 || ix >= w) continue;
            const f32 *xp = x + ((b * h + iy) * w + ix) * c;
            f32 *d = dwt + (i * kw + j) * cm;
            if (m == 1) {
              long ch = 0;
              for (; ch + 4 <= c; ch += 4)
                wasm_v128_store(d + ch, madd(wasm_v128_load(d + ch), wasm_v128_load(xp + ch), wasm_v128_load(g + ch)));
              for (; ch < c; ch++) d[ch] += xp[ch] * g[ch];
            } else
              for (long ch = 0; ch < c; ch++)
                for (long q = 0; q < m; q++) d[ch * m + q] += xp[ch] * g[ch * m + q];
          }
        }
      }
}

/*
 * Depthwise input gradient (scatter form; dx zeroed here): for each dy pixel and tap,
 * dx[b, iy, ix, ch] += sum over q of w[i, j, ch, q] dy[b, oy, ox, ch m + q].
 */
__attribute__((export_name("depthwise_dx"))) void depthwise_dx(const f32 *dy, const f32 *wt, f32 *dx, long n, long h,
                                                               long w, long c, long m, long ho, long wo, long kh,
                                                               long kw, long sh, long sw, long dh, long dwd, long pt,
                                                               long pl) {
  const long cm = c * m;
  __builtin_memset(dx, 0, sizeof(f32) * (unsigned long)(n * h * w * c));
  for (long b = 0; b < n; b++)
    for (long oy = 0; oy < ho; oy++)
      for (long ox = 0; ox < wo; ox++) {
        const f32 *g = dy + ((b * ho + oy) * wo + ox) * cm;
        for (long i = 0; i < kh; i++) {
          const long iy = oy * sh + i * dh - pt;
          if (iy < 0 || iy >= h) continue;
          for (long j = 0; j < kw; j++) {
            const long ix = ox * sw + j * dwd - pl;
            if (ix < 0 || ix >= w) continue;
            f32 *d = dx + ((b * h + iy) * w + ix) * c;
            const f32 *f = wt + (i * kw + j) * cm;
            if (m == 1) {
              long ch = 0;
              for (; ch + 4 <= c; ch += 4)
                wasm_v128_store(d + ch, madd(wasm_v128_load(d + ch), wasm_v128_load(f + ch), wasm_v128_load(g + ch)));
              for (; ch < c; ch++) d[ch] += f[ch] * g[ch];
            } else
              for (long ch = 0; ch < c; ch++) {
                f32 s = 0.0f;
                for (long q = 0; q < m; q++) s += f[ch * m + q] * g[ch * m + q];
                d[ch] += s;
              }
          }
        }
      }
}
