/*
 * Max pooling's gradient in WebAssembly SIMD on tfjs-backend-wasm's heap (see kernels.c for
 * the memory rules): each dy value goes to the first maximum of its window (row-major window
 * order, as tfjs cpu picks it; NaN never a maximum, an all-NaN or empty window gets none),
 * whatever its sign. dx is zeroed here and the values are added in output order: the same
 * bits as pool-grad.ts' JS kernel.
 */
#include <wasm_simd128.h>

typedef float f32;

__attribute__((export_name("max_pool_grad"))) void max_pool_grad(const f32 *dy, const f32 *x, f32 *dx, long n, long h,
                                                                 long w, long c, long ho, long wo, long fh, long fw,
                                                                 long sh, long sw, long dh, long dwd, long pt,
                                                                 long pl) {
  __builtin_memset(dx, 0, sizeof(f32) * (unsigned long)(n * h * w * c));
  for (long b = 0; b < n; b++)
    for (long oy = 0; oy < ho; oy++)
      for (long ox = 0; ox < wo; ox++) {
        const f32 *g = dy + ((b * ho + oy) * wo + ox) * c;
        const long y0 = oy * sh - pt, x0 = ox * sw - pl;
        long ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          v128_t mx = wasm_f32x4_splat(-__builtin_inff());
          v128_t pos = wasm_i32x4_splat(-1);
          for (long ky = 0; ky < fh; ky += dh) {
            const long iy = y0 + ky;
            if (iy < 0 || iy >= h) continue;
            for (long kx = 0; kx < fw; kx += dwd) {
              const long ix = x0 + kx;
              if (ix < 0 || ix >= w) continue;
              const long base = ((b * h + iy) * w + ix) * c + ch;
              const v128_t v = wasm_v128_load(x + base);
              const v128_t gt = wasm_f32x4_gt(v, mx);
              mx = wasm_v128_bitselect(v, mx, gt);
              pos = wasm_v128_bitselect(wasm_i32x4_splat((int)base), pos, gt);
            }
          }
          // scatter in channel order (the JS kernel's order of additions)
          const int p0 = wasm_i32x4_extract_lane(pos, 0), p1 = wasm_i32x4_extract_lane(pos, 1);
          const int p2 = wasm_i32x4_extract_lane(pos, 2), p3 = wasm_i32x4_extract_lane(pos, 3);
          if (p0 >= 0) dx[p0] += g[ch];
          if (p1 >= 0) dx[p1 + 1] += g[ch + 1];
          if (p2 >= 0) dx[p2 + 2] += g[ch + 2];
          if (p3 >= 0) dx[p3 + 3] += g[ch + 3];
        }
        for (; ch < c; ch++) {
          f32 mx = -__builtin_inff();
          long pos = -1;
          for (long ky = 0; ky < fh; ky += dh) {
            const long iy = y0 + ky;
            if (iy < 0 || iy >= h) continue;
            for (long kx = 0; kx < fw; kx += dwd) {
              const long ix = x0 + kx;
              if (ix < 0 || ix >= w) continue;
              const long p = ((b * h + iy) * w + ix) * c + ch;
              if (x[p] > mx) {
                mx = x[p];
                pos = p;
              }
            }
          }
          if (pos >= 0) dx[pos] += g[ch];
        }
      }
}
