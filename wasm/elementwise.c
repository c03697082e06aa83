/*
 * Elementwise training kernels in WebAssembly SIMD on tfjs-backend-wasm's heap (see
 * kernels.c for the memory rules): the ReLU / ReLU6 gradient and the optimizers' updates.
 * Every operation is a float32 IEEE operation, rounded once, in the order of the JS kernel
 * (relu-grad.ts) and of tfjs-core's optimizers (native/optimizers.c lists the same order):
 * so the same bits. Outputs are fresh tensors, never an input's storage.
 */
#include <wasm_simd128.h>

typedef float f32;

/* dx = dy * s, s = 1 where 0 < x <= cap, NaN where x is NaN, else 0 (relu-grad.ts). */
__attribute__((export_name("relu_grad"))) void relu_grad(const f32 *dy, const f32 *x, f32 *dx, long n, f32 cap) {
  const v128_t one = wasm_f32x4_splat(1.0f), capv = wasm_f32x4_splat(cap), zero = wasm_f32x4_splat(0.0f);
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i), d = wasm_v128_load(dy + i);
    const v128_t on = wasm_v128_and(wasm_f32x4_gt(v, zero), wasm_f32x4_le(v, capv));
    // NaN lanes take x itself (a NaN), the others 1 or 0
    const v128_t s = wasm_v128_bitselect(v, wasm_v128_and(on, one), wasm_f32x4_ne(v, v));
    wasm_v128_store(dx + i, wasm_f32x4_mul(d, s));
  }
  for (; i < n; i++) {
    const f32 v = x[i];
    const f32 s = v != v ? v : (v > 0 && v <= cap ? 1.0f : 0.0f);
    dx[i] = dy[i] * s;
  }
}

#define L(p) wasm_v128_load((p) + i)
#define S(p, v) wasm_v128_store((p) + i, (v))
#define SPL(s) const v128_t s##v = wasm_f32x4_splat(s)
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define DIV wasm_f32x4_div

/* Adam: m1 = m b1 + g (1-b1); v1 = v b2 + g^2 (1-b2); p1 = ((m1/c1) / (sqrt(v1/c2) + eps)) (-lr) + p. */
__attribute__((export_name("adam"))) void adam(const f32 *p, const f32 *g, const f32 *m, const f32 *v, f32 *po,
                                               f32 *mo, f32 *vo, long n, f32 b1, f32 omb1, f32 b2, f32 omb2,
                                               f32 c1, f32 c2, f32 eps, f32 nlr) {
  SPL(b1);
  SPL(omb1);
  SPL(b2);
  SPL(omb2);
  SPL(c1);
  SPL(c2);
  SPL(eps);
  SPL(nlr);
  long i = 0;
  for (; i + 4 <= n; i += 4) {
        const v128_t gi = L(g);
        const v128_t m1 = ADD(MUL(L(m), b1v), MUL(gi, omb1v));
        const v128_t v1 = ADD(MUL(L(v), b2v), MUL(MUL(gi, gi), omb2v));
        const v128_t den = ADD(wasm_f32x4_sqrt(DIV(v1, c2v)), epsv);
        S(mo, m1);
        S(vo, v1);
        S(po, ADD(MUL(DIV(DIV(m1, c1v), den), nlrv), L(p)));
      }
  for (; i < n; i++) {
        const f32 gi = g[i];
        const f32 a1 = m[i] * b1, a2 = gi * omb1, m1 = a1 + a2;
        const f32 gg = gi * gi, q1 = v[i] * b2, q2 = gg * omb2, v1 = q1 + q2;
        const f32 mh = m1 / c1, vh = v1 / c2, den = __builtin_sqrtf(vh) + eps;
        const f32 step = (mh / den) * nlr;
        mo[i] = m1;
        vo[i] = v1;
        po[i] = step + p[i];
      }

}

/* Momentum: a1 = mom a + g; p1 = c a1 + p, Nesterov: p1 = c (g + a1 mom) + p. */
__attribute__((export_name("momentum"))) void momentum(const f32 *p, const f32 *g, const f32 *a, f32 *po, f32 *ao,
                                                       long n, f32 mom, f32 c, int nesterov) {
  SPL(mom);
  SPL(c);
  long i = 0;
  for (; i + 4 <= n; i += 4) {
        const v128_t gi = L(g);
        const v128_t a1 = ADD(MUL(momv, L(a)), gi);
        const v128_t d = nesterov ? MUL(cv, ADD(gi, MUL(a1, momv))) : MUL(cv, a1);
        S(ao, a1);
        S(po, ADD(d, L(p)));
      }
  for (; i < n; i++) {
        const f32 t = mom * a[i], a1 = t + g[i];
        f32 d;
        if (nesterov) {
          const f32 u = a1 * mom, w = g[i] + u;
          d = c * w;
        } else {
          d = c * a1;
        }
        ao[i] = a1;
        po[i] = d + p[i];
      }

}

/*
 * RMSprop: ms1 = ms decay + g^2 (1-decay); mom1 = mom mu + g lr / sqrt(ms1 + eps); p1 = p - mom1;
 * centered (mg != 0): mg1 = mg decay + g (1-decay), the root of ms1 - (mg1^2 + eps).
 */
__attribute__((export_name("rmsprop"))) void rmsprop(const f32 *p, const f32 *g, const f32 *ms, const f32 *mom,
                                                     const f32 *mg, f32 *po, f32 *mso, f32 *momo, f32 *mgo,
                                                     long n, f32 decay, f32 omd, f32 lr, f32 eps, f32 mu) {
  SPL(decay);
  SPL(omd);
  SPL(lr);
  SPL(eps);
  SPL(mu);
  const int centered = mg != 0;
  long i = 0;
  for (; i + 4 <= n; i += 4) {
        const v128_t gi = L(g);
        const v128_t ms1 = ADD(MUL(L(ms), decayv), MUL(MUL(gi, gi), omdv));
        v128_t den;
        if (centered) {
          const v128_t mg1 = ADD(MUL(L(mg), decayv), MUL(gi, omdv));
          den = wasm_f32x4_sqrt(SUB(ms1, ADD(MUL(mg1, mg1), epsv)));
          S(mgo, mg1);
        } else {
          den = wasm_f32x4_sqrt(ADD(ms1, epsv));
        }
        const v128_t mom1 = ADD(MUL(L(mom), muv), DIV(MUL(gi, lrv), den));
        S(mso, ms1);
        S(momo, mom1);
        S(po, SUB(L(p), mom1));
      }
  for (; i < n; i++) {
        const f32 gi = g[i], gg = gi * gi;
        const f32 a1 = ms[i] * decay, a2 = gg * omd, ms1 = a1 + a2;
        f32 den;
        if (centered) {
          const f32 b1 = mg[i] * decay, b2 = gi * omd, mg1 = b1 + b2;
          const f32 sq = mg1 * mg1, e = sq + eps;
          den = __builtin_sqrtf(ms1 - e);
          mgo[i] = mg1;
        } else {
          den = __builtin_sqrtf(ms1 + eps);
        }
        const f32 num = gi * lr, q = num / den, t = mom[i] * mu, mom1 = t + q;
        mso[i] = ms1;
        momo[i] = mom1;
        po[i] = p[i] - mom1;
      }

}

/* SGD: p1 = c g + p (c = -lr). */
__attribute__((export_name("sgd"))) void sgd(const f32 *p, const f32 *g, f32 *po, long n, f32 c) {
  SPL(c);
  long i = 0;
  for (; i + 4 <= n; i += 4) { S(po, ADD(MUL(cv, L(g)), L(p))); }
  for (; i < n; i++) { po[i] = c * g[i] + p[i]; }

}
