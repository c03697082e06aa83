/*
 * medinets' training kernels in WebAssembly SIMD, run in place on tfjs-backend-wasm's heap:
 * the module imports the backend's WebAssembly.Memory and every pointer is a tensor's offset
 * in it. It owns no memory: no data segment, no static variable and no shadow stack (every
 * array below is a handful of v128 locals the compiler keeps in wasm locals); wasm/build.mjs
 * checks the linked module for each of these before it is shipped, as anything written
 * below a pointer would land in emscripten's own data.
 *
 * The arithmetic is the JS kernels' (src/backend/kernels/batch-norm.ts, relu-grad.ts) and
 * the optimizers' of tfjs-core, operation for operation: batch norm in float64 (the JS
 * kernels' Float64Array sums and per-channel factors), ReLU gradient and optimizers in
 * float32, each IEEE operation rounded once. wasm has no fused multiply-add outside relaxed
 * SIMD (not enabled), so nothing can be contracted: the results are the same bits.
 */
#include <wasm_simd128.h>

typedef float f32;
typedef double f64;

static inline v128_t lo64(v128_t v) { return wasm_f64x2_promote_low_f32x4(v); }
static inline v128_t hi64(v128_t v) { return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)); }
static inline v128_t to32(v128_t lo, v128_t hi) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
}
static inline v128_t ld(const f32 *p) { return wasm_v128_load(p); }
static inline void st(f32 *p, v128_t v) { wasm_v128_store(p, v); }

/* Math.max(0, t): NaN stays NaN, -0 becomes +0 (wasm's f64 max has these semantics). */
static inline f64 max0(f64 t) { return t != t ? t : (t > 0 ? t : 0.0); }

/*
 * Both batch-norm kernels take the rows in chunks of about 64 KB of x and, within a chunk,
 * every block of channels down its rows: memory is read in order (walking one block down all
 * the rows of a large tensor strides through memory: 2-4x slower). The sums live in `tmp`
 * (float64, on the backend's heap, passed by the caller) between chunks; each channel's rows
 * are still added in order, one value at a time, so the bits are the JS kernels'.
 */
static long chunk_rows(long c) { return 16384 / c > 16 ? 16384 / c : 16; }

/* s1 += x, s2 += x * x down `rows` rows, for W vectors of 4 channels (sums in tmp). */
static inline __attribute__((always_inline)) void train_sums_block(const f32 *x, f64 *s1p, f64 *s2p, long rows,
                                                                   long c, const int W) {
  v128_t s1[8], s2[8];
  _Pragma("clang loop unroll(full)") for (int k = 0; k < 2 * W; k++) {
    s1[k] = wasm_v128_load(s1p + 2 * k);
    s2[k] = wasm_v128_load(s2p + 2 * k);
  }
  for (long i = 0; i < rows; i++) {
    const f32 *p = x + i * c;
    _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
      const v128_t v = ld(p + 4 * k), l = lo64(v), h = hi64(v);
      s1[2 * k] = wasm_f64x2_add(s1[2 * k], l);
      s1[2 * k + 1] = wasm_f64x2_add(s1[2 * k + 1], h);
      s2[2 * k] = wasm_f64x2_add(s2[2 * k], wasm_f64x2_mul(l, l));
      s2[2 * k + 1] = wasm_f64x2_add(s2[2 * k + 1], wasm_f64x2_mul(h, h));
    }
  }
  _Pragma("clang loop unroll(full)") for (int k = 0; k < 2 * W; k++) {
    wasm_v128_store(s1p + 2 * k, s1[k]);
    wasm_v128_store(s2p + 2 * k, s2[k]);
  }
}

/*
 * Training batch norm over n rows of c channels (see bnTrain in batch-norm.ts); tmp holds 2c
 * float64 values: the sums, then each channel's a and shift.
 */
__attribute__((export_name("bn_train"))) void bn_train(const f32 *x, const f32 *g, const f32 *b, f32 *y,
                                                        f32 *mean, f32 *var, f32 *inv, long n, long c,
                                                        f64 eps, f64 *tmp) {
  f64 *s1 = tmp, *s2 = tmp + c;
  for (long j = 0; j < 2 * c; j++) tmp[j] = 0;
  const long r = chunk_rows(c);
  for (long i0 = 0; i0 < n; i0 += r) {
    const long rows = n - i0 < r ? n - i0 : r;
    const f32 *xc = x + i0 * c;
    long j = 0;
    for (; j + 16 <= c; j += 16) train_sums_block(xc + j, s1 + j, s2 + j, rows, c, 4);
    for (; j + 4 <= c; j += 4) train_sums_block(xc + j, s1 + j, s2 + j, rows, c, 1);
    for (; j < c; j++)
      for (long i = 0; i < rows; i++) {
        const f64 v = xc[i * c + j];
        s1[j] += v;
        s2[j] += v * v;
      }
  }
  const f64 nd = (f64)n;
  for (long j = 0; j < c; j++) {
    const f64 mu = s1[j] / nd, va = max0(s2[j] - nd * mu * mu) / nd;
    const f64 iv = 1.0 / __builtin_sqrt(va + eps), a = iv * (f64)g[j];
    mean[j] = (f32)mu;
    var[j] = (f32)va;
    inv[j] = (f32)iv;
    s1[j] = a;
    s2[j] = (f64)b[j] - mu * a;
  }
  for (long i = 0; i < n; i++) {
    const f32 *p = x + i * c;
    f32 *o = y + i * c;
    long j = 0;
    for (; j + 4 <= c; j += 4) {
      const v128_t v = ld(p + j);
      const v128_t l = wasm_f64x2_add(wasm_f64x2_mul(lo64(v), wasm_v128_load(s1 + j)), wasm_v128_load(s2 + j));
      const v128_t h =
          wasm_f64x2_add(wasm_f64x2_mul(hi64(v), wasm_v128_load(s1 + j + 2)), wasm_v128_load(s2 + j + 2));
      st(o + j, to32(l, h));
    }
    for (; j < c; j++) o[j] = (f32)((f64)p[j] * s1[j] + s2[j]);
  }
}

/* sdy += dy, sdyx += dy (x - mean) down `rows` rows, for W vectors of 4 channels. */
static inline __attribute__((always_inline)) void grad_sums_block(const f32 *dy, const f32 *x, const f32 *m,
                                                                  f64 *sdyp, f64 *sdyxp, long rows, long c,
                                                                  const int W) {
  v128_t sdy[8], sdyx[8], mm[8];
  _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
    const v128_t mv = ld(m + 4 * k);
    mm[2 * k] = lo64(mv);
    mm[2 * k + 1] = hi64(mv);
  }
  _Pragma("clang loop unroll(full)") for (int k = 0; k < 2 * W; k++) {
    sdy[k] = wasm_v128_load(sdyp + 2 * k);
    sdyx[k] = wasm_v128_load(sdyxp + 2 * k);
  }
  for (long i = 0; i < rows; i++) {
    const long r = i * c;
    _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
      const v128_t d = ld(dy + r + 4 * k), v = ld(x + r + 4 * k);
      const v128_t dl = lo64(d), dh = hi64(d);
      sdy[2 * k] = wasm_f64x2_add(sdy[2 * k], dl);
      sdy[2 * k + 1] = wasm_f64x2_add(sdy[2 * k + 1], dh);
      sdyx[2 * k] = wasm_f64x2_add(sdyx[2 * k], wasm_f64x2_mul(dl, wasm_f64x2_sub(lo64(v), mm[2 * k])));
      sdyx[2 * k + 1] =
          wasm_f64x2_add(sdyx[2 * k + 1], wasm_f64x2_mul(dh, wasm_f64x2_sub(hi64(v), mm[2 * k + 1])));
    }
  }
  _Pragma("clang loop unroll(full)") for (int k = 0; k < 2 * W; k++) {
    wasm_v128_store(sdyp + 2 * k, sdy[k]);
    wasm_v128_store(sdyxp + 2 * k, sdyx[k]);
  }
}

/*
 * The training batch norm's gradient (see bnTrainGrad in batch-norm.ts); tmp holds 3c float64
 * values: the sums, then dx's coefficients k1, k2, k3 per channel.
 */
__attribute__((export_name("bn_train_grad"))) void bn_train_grad(const f32 *dy, const f32 *x, const f32 *g,
                                                                  const f32 *m, const f32 *inv, f32 *dx,
                                                                  f32 *dscale, f32 *doffset, long n, long c,
                                                                  f64 *tmp) {
  f64 *sdy = tmp, *sdyx = tmp + c, *k3 = tmp + 2 * c;
  for (long j = 0; j < 2 * c; j++) tmp[j] = 0;
  const long r = chunk_rows(c);
  for (long i0 = 0; i0 < n; i0 += r) {
    const long rows = n - i0 < r ? n - i0 : r;
    const f32 *dc = dy + i0 * c, *xc = x + i0 * c;
    long j = 0;
    for (; j + 16 <= c; j += 16) grad_sums_block(dc + j, xc + j, m + j, sdy + j, sdyx + j, rows, c, 4);
    for (; j + 4 <= c; j += 4) grad_sums_block(dc + j, xc + j, m + j, sdy + j, sdyx + j, rows, c, 1);
    for (; j < c; j++) {
      const f64 mj = m[j];
      for (long i = 0; i < rows; i++) {
        const f64 d = dc[i * c + j];
        sdy[j] += d;
        sdyx[j] += d * ((f64)xc[i * c + j] - mj);
      }
    }
  }
  const f64 nd = (f64)n;
  for (long j = 0; j < c; j++) {
    const f64 iv = inv[j], gi = (f64)g[j] * iv, s = sdy[j], sx = sdyx[j], mj = m[j];
    doffset[j] = (f32)s;
    dscale[j] = (f32)(sx * iv);
    const f64 k2 = (-gi * iv * iv * sx) / nd;
    k3[j] = (-gi * s) / nd - k2 * mj;
    sdy[j] = gi; /* k1 */
    sdyx[j] = k2;
  }
  const f64 *k1 = sdy, *k2 = sdyx;
  for (long i = 0; i < n; i++) {
    const long r0 = i * c;
    long j = 0;
    for (; j + 4 <= c; j += 4) {
      const v128_t d = ld(dy + r0 + j), v = ld(x + r0 + j);
      v128_t o[2];
      _Pragma("clang loop unroll(full)") for (int h = 0; h < 2; h++) {
        const v128_t dd = h == 0 ? lo64(d) : hi64(d), vv = h == 0 ? lo64(v) : hi64(v);
        o[h] = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_mul(wasm_v128_load(k1 + j + 2 * h), dd),
                                             wasm_f64x2_mul(wasm_v128_load(k2 + j + 2 * h), vv)),
                              wasm_v128_load(k3 + j + 2 * h));
      }
      st(dx + r0 + j, to32(o[0], o[1]));
    }
    for (; j < c; j++) dx[r0 + j] = (f32)(k1[j] * (f64)dy[r0 + j] + k2[j] * (f64)x[r0 + j] + k3[j]);
  }
}
