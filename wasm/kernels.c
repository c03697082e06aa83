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

/* One channel in plain float64 arithmetic: the tail of a channel count not a multiple of 4. */
static void bn_train_channel(const f32 *x, const f32 *g, const f32 *b, f32 *y, f32 *mean, f32 *var,
                             f32 *inv, long n, long c, f64 eps) {
  f64 s1 = 0, s2 = 0;
  for (long i = 0; i < n; i++) {
    const f64 v = x[i * c];
    s1 += v;
    s2 += v * v;
  }
  const f64 nd = (f64)n, mu = s1 / nd, va = max0(s2 - nd * mu * mu) / nd;
  const f64 iv = 1.0 / __builtin_sqrt(va + eps), a = iv * (f64)g[0], sh = (f64)b[0] - mu * a;
  mean[0] = (f32)mu;
  var[0] = (f32)va;
  inv[0] = (f32)iv;
  for (long i = 0; i < n; i++) y[i * c] = (f32)((f64)x[i * c] * a + sh);
}

/*
 * W vectors of 4 channels side by side (W = 4: one 64-byte line of a row), over every row:
 * the sums, the per-channel factors, then y. Inlined with W constant, the loops over k unroll
 * and every array becomes locals.
 */
static inline __attribute__((always_inline)) void bn_train_block(const f32 *x, const f32 *g, const f32 *b,
                                                                 f32 *y, f32 *mean, f32 *var, f32 *inv,
                                                                 long n, long c, f64 eps, const int W) {
  v128_t s1[8], s2[8], a[8], sh[8];
  _Pragma("clang loop unroll(full)") for (int k = 0; k < 2 * W; k++) s1[k] = s2[k] = wasm_f64x2_splat(0);
  for (long i = 0; i < n; i++) {
    const f32 *p = x + i * c;
    _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
      const v128_t v = ld(p + 4 * k), l = lo64(v), h = hi64(v);
      s1[2 * k] = wasm_f64x2_add(s1[2 * k], l);
      s1[2 * k + 1] = wasm_f64x2_add(s1[2 * k + 1], h);
      s2[2 * k] = wasm_f64x2_add(s2[2 * k], wasm_f64x2_mul(l, l));
      s2[2 * k + 1] = wasm_f64x2_add(s2[2 * k + 1], wasm_f64x2_mul(h, h));
    }
  }
  const v128_t nd = wasm_f64x2_splat((f64)n), one = wasm_f64x2_splat(1.0), e = wasm_f64x2_splat(eps);
  const v128_t zero = wasm_f64x2_splat(0.0);
  _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
    v128_t mu[2], va[2], iv[2];
    const v128_t gv = ld(g + 4 * k), bv = ld(b + 4 * k);
    const v128_t gg[2] = {lo64(gv), hi64(gv)}, bb[2] = {lo64(bv), hi64(bv)};
    _Pragma("clang loop unroll(full)") for (int h = 0; h < 2; h++) {
      const int q = 2 * k + h;
      mu[h] = wasm_f64x2_div(s1[q], nd);
      const v128_t t = wasm_f64x2_sub(s2[q], wasm_f64x2_mul(wasm_f64x2_mul(nd, mu[h]), mu[h]));
      va[h] = wasm_f64x2_div(wasm_f64x2_max(zero, t), nd);
      iv[h] = wasm_f64x2_div(one, wasm_f64x2_sqrt(wasm_f64x2_add(va[h], e)));
      a[q] = wasm_f64x2_mul(iv[h], gg[h]);
      sh[q] = wasm_f64x2_sub(bb[h], wasm_f64x2_mul(mu[h], a[q]));
    }
    st(mean + 4 * k, to32(mu[0], mu[1]));
    st(var + 4 * k, to32(va[0], va[1]));
    st(inv + 4 * k, to32(iv[0], iv[1]));
  }
  for (long i = 0; i < n; i++) {
    const f32 *p = x + i * c;
    f32 *o = y + i * c;
    _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
      const v128_t v = ld(p + 4 * k);
      const v128_t l = wasm_f64x2_add(wasm_f64x2_mul(lo64(v), a[2 * k]), sh[2 * k]);
      const v128_t h = wasm_f64x2_add(wasm_f64x2_mul(hi64(v), a[2 * k + 1]), sh[2 * k + 1]);
      st(o + 4 * k, to32(l, h));
    }
  }
}

/* Training batch norm over n rows of c channels (see bnTrain in batch-norm.ts). */
__attribute__((export_name("bn_train"))) void bn_train(const f32 *x, const f32 *g, const f32 *b, f32 *y,
                                                        f32 *mean, f32 *var, f32 *inv, long n, long c,
                                                        f64 eps) {
  long j = 0;
  for (; j + 16 <= c; j += 16)
    bn_train_block(x + j, g + j, b + j, y + j, mean + j, var + j, inv + j, n, c, eps, 4);
  for (; j + 4 <= c; j += 4)
    bn_train_block(x + j, g + j, b + j, y + j, mean + j, var + j, inv + j, n, c, eps, 1);
  for (; j < c; j++) bn_train_channel(x + j, g + j, b + j, y + j, mean + j, var + j, inv + j, n, c, eps);
}

/* One channel of the gradient in plain float64 arithmetic (the channel tail). */
static void bn_grad_channel(const f32 *dy, const f32 *x, const f32 *g, const f32 *m, const f32 *inv, f32 *dx,
                            f32 *dscale, f32 *doffset, long n, long c) {
  f64 sdy = 0, sdyx = 0;
  const f64 mj = m[0];
  for (long i = 0; i < n; i++) {
    const f64 d = dy[i * c];
    sdy += d;
    sdyx += d * ((f64)x[i * c] - mj);
  }
  const f64 nd = (f64)n, iv = inv[0], gi = (f64)g[0] * iv;
  doffset[0] = (f32)sdy;
  dscale[0] = (f32)(sdyx * iv);
  const f64 k1 = gi, k2 = (-gi * iv * iv * sdyx) / nd, k3 = (-gi * sdy) / nd - k2 * mj;
  for (long i = 0; i < n; i++) dx[i * c] = (f32)(k1 * (f64)dy[i * c] + k2 * (f64)x[i * c] + k3);
}

static inline __attribute__((always_inline)) void bn_grad_block(const f32 *dy, const f32 *x, const f32 *g,
                                                                const f32 *m, const f32 *inv, f32 *dx,
                                                                f32 *dscale, f32 *doffset, long n, long c,
                                                                const int W) {
  v128_t sdy[8], sdyx[8], mm[8], k1[8], k2[8], k3[8];
  _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
    const v128_t mv = ld(m + 4 * k);
    mm[2 * k] = lo64(mv);
    mm[2 * k + 1] = hi64(mv);
  }
  _Pragma("clang loop unroll(full)") for (int k = 0; k < 2 * W; k++) sdy[k] = sdyx[k] = wasm_f64x2_splat(0);
  for (long i = 0; i < n; i++) {
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
  const v128_t nd = wasm_f64x2_splat((f64)n);
  _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
    const v128_t ivv = ld(inv + 4 * k), gv = ld(g + 4 * k);
    const v128_t ivs[2] = {lo64(ivv), hi64(ivv)}, gs[2] = {lo64(gv), hi64(gv)};
    v128_t ds[2];
    _Pragma("clang loop unroll(full)") for (int h = 0; h < 2; h++) {
      const int q = 2 * k + h;
      const v128_t iv = ivs[h], gi = wasm_f64x2_mul(gs[h], iv);
      ds[h] = wasm_f64x2_mul(sdyx[q], iv);
      k1[q] = gi;
      k2[q] = wasm_f64x2_div(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_mul(wasm_f64x2_neg(gi), iv), iv), sdyx[q]),
                             nd);
      k3[q] = wasm_f64x2_sub(wasm_f64x2_div(wasm_f64x2_mul(wasm_f64x2_neg(gi), sdy[q]), nd),
                             wasm_f64x2_mul(k2[q], mm[q]));
    }
    st(doffset + 4 * k, to32(sdy[2 * k], sdy[2 * k + 1]));
    st(dscale + 4 * k, to32(ds[0], ds[1]));
  }
  for (long i = 0; i < n; i++) {
    const long r = i * c;
    _Pragma("clang loop unroll(full)") for (int k = 0; k < W; k++) {
      const v128_t d = ld(dy + r + 4 * k), v = ld(x + r + 4 * k);
      v128_t o[2];
      _Pragma("clang loop unroll(full)") for (int h = 0; h < 2; h++) {
        const int q = 2 * k + h;
        const v128_t dd = h == 0 ? lo64(d) : hi64(d), vv = h == 0 ? lo64(v) : hi64(v);
        o[h] = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_mul(k1[q], dd), wasm_f64x2_mul(k2[q], vv)), k3[q]);
      }
      st(dx + r + 4 * k, to32(o[0], o[1]));
    }
  }
}

/* The training batch norm's gradient (see bnTrainGrad in batch-norm.ts). */
__attribute__((export_name("bn_train_grad"))) void bn_train_grad(const f32 *dy, const f32 *x, const f32 *g,
                                                                  const f32 *m, const f32 *inv, f32 *dx,
                                                                  f32 *dscale, f32 *doffset, long n, long c) {
  long j = 0;
  for (; j + 16 <= c; j += 16)
    bn_grad_block(dy + j, x + j, g + j, m + j, inv + j, dx + j, dscale + j, doffset + j, n, c, 4);
  for (; j + 4 <= c; j += 4)
    bn_grad_block(dy + j, x + j, g + j, m + j, inv + j, dx + j, dscale + j, doffset + j, n, c, 1);
  for (; j < c; j++) bn_grad_channel(dy + j, x + j, g + j, m + j, inv + j, dx + j, dscale + j, doffset + j, n, c);
}
