/*
 * Single-precision matrix products in WebAssembly SIMD on tfjs-backend-wasm's heap (see
 * kernels.c for the memory rules): C[m, n] = A[m, k] B[k, n] (+ C when beta is 1), for the
 * convolutions' products, whose operands are new tensors every training step. XNNPACK packs a
 * product's second operand at about 5-10 ns a value each time it sees a new tensor; here B is
 * packed at about 0.5 ns a value into panels of 8 columns, A into slivers of MR rows, and an
 * MR x 8 block of C is kept in registers while k runs.
 *
 * Built twice: as part of the kernels' module, multiply then add (two roundings, every
 * engine), and alone with MEDINETS_RELAXED as a module whose product-sums are relaxed SIMD's
 * f32x4.relaxed_madd (one rounding where the hardware has FMA), used where the engine
 * validates it. clang 14 spells that instruction f32x4.fma with a prototype opcode:
 * wasm/build.mjs rewrites each one, located by llvm-objdump, to relaxed_madd's (0xfd 0x105),
 * whose operands in stack order are a, b, c for a * b + c.
 *
 * Rows are independent: callers (and worker threads) may compute any split of [0, m) in
 * blocks of MR rows, each on its own scratch; each C value is the same sum in the same k
 * order whatever the split.
 */
#include "gemm.h"

/* Floats of packed B for k x n: one panel of k x 8 per 8 columns (zeros past n). */
__attribute__((export_name("gemm_packed_b_floats"))) long gemm_packed_b_floats(long k, long n) {
  return k * ((n + NR - 1) / NR) * NR;
}

/* Floats of one caller's scratch for gemm_rows: an A sliver and an edge tile. */
__attribute__((export_name("gemm_scratch_floats"))) long gemm_scratch_floats(void) { return MR * KC + MR * NR; }

/* Rows of A per register block (the split unit of gemm_rows). */
__attribute__((export_name("gemm_mr"))) long gemm_mr(void) { return MR; }

/*
 * Pack B (element (p, j) at b[p * bks + j * bjs]) into panels [n / 8][k][8]; panels j0..j1
 * only (in units of panels), so threads may share the work.
 */
__attribute__((export_name("gemm_pack_b"))) void gemm_pack_b(const f32 *b, long bks, long bjs, long k, long n,
                                                             f32 *out, long j0, long j1) {
  for (long jp = j0; jp < j1; jp++) {
    const long j = jp * NR;
    const long w = n - j < NR ? n - j : NR;
    f32 *d = out + jp * k * NR;
    if (w == NR && bjs == 1) {
      for (long p = 0; p < k; p++) {
        const f32 *s = b + p * bks + j;
        wasm_v128_store(d + p * NR, wasm_v128_load(s));
        wasm_v128_store(d + p * NR + 4, wasm_v128_load(s + 4));
      }
    } else {
      for (long p = 0; p < k; p++) {
        long q = 0;
        for (; q < w; q++) d[p * NR + q] = b[p * bks + (j + q) * bjs];
        for (; q < NR; q++) d[p * NR + q] = 0.0f;
      }
    }
  }
}

#define ROW(r)                                                                                                      \
  const v128_t a##r = wasm_v128_load32_splat(a + r);                                                               \
  c##r##0 = MADD(a##r, b0, c##r##0);                                                                                \
  c##r##1 = MADD(a##r, b1, c##r##1);
#define GET(r)                                                                                                      \
  v128_t c##r##0 = z, c##r##1 = z;                                                                                  \
  if (init == 1) {                                                                                                  \
    c##r##0 = wasm_v128_load(c + r * ldc);                                                                          \
    c##r##1 = wasm_v128_load(c + r * ldc + 4);                                                                      \
  } else if (init == 2) {                                                                                           \
    c##r##0 = bias0;                                                                                                \
    c##r##1 = bias1;                                                                                                \
  }
#define PUT(r)                                                                                                      \
  wasm_v128_store(c + r * ldc, c##r##0);                                                                            \
  wasm_v128_store(c + r * ldc + 4, c##r##1);

/*
 * gemm.h's register block. Kept out of line: inlined into gemm_rows, V8 spills its
 * accumulators.
 */
__attribute__((noinline)) void gemm_tile(long kc, const f32 *restrict a, const f32 *restrict b, f32 *restrict c, long ldc,
                                          long init, const f32 *bias) {
  const v128_t z = wasm_f32x4_splat(0.0f);
  const v128_t bias0 = init == 2 ? wasm_v128_load(bias) : z, bias1 = init == 2 ? wasm_v128_load(bias + 4) : z;
  GET(0) GET(1) GET(2) GET(3)
  for (long p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    ROW(0) ROW(1) ROW(2) ROW(3)
    a += MR;
    b += NR;
  }
  PUT(0) PUT(1) PUT(2) PUT(3)
}

/* Rows r0..r3 (4 values of 4 rows of A) stored as 4 sliver rows of 4: d[j * MR + r] = r_r[j]. */
static inline void put4x4(v128_t r0, v128_t r1, v128_t r2, v128_t r3, f32 *d) {
  const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  wasm_v128_store(d, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
  wasm_v128_store(d + MR, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
  wasm_v128_store(d + 2 * MR, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
  wasm_v128_store(d + 3 * MR, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
}

/*
 * The sliver ap[p][r] = A(r, p) for r < h rows (zeros for r >= h) and kc columns of A at `a`
 * (element (r, p) at a[r * ars + p * aks]). A full sliver of 4 rows moves 4 values at a time:
 * as they lie where A's rows are adjacent (ars 1: P^T read as P), by 4 x 4 transposes where
 * its columns are (aks 1).
 */
static void pack_a(const f32 *a, long ars, long aks, long h, long kc, f32 *restrict ap) {
  if (h == MR && ars == 1) {
    for (long p = 0; p < kc; p++) wasm_v128_store(ap + p * MR, wasm_v128_load(a + p * aks));
    return;
  }
  if (h == MR && aks == 1) {
    long p = 0;
    for (; p + 4 <= kc; p += 4) {
      put4x4(wasm_v128_load(a + p), wasm_v128_load(a + ars + p), wasm_v128_load(a + 2 * ars + p),
             wasm_v128_load(a + 3 * ars + p), ap + p * MR);
    }
    for (; p < kc; p++)
      for (long r = 0; r < MR; r++) ap[p * MR + r] = a[r * ars + p];
    return;
  }
  for (long r = 0; r < MR; r++) {
    if (r < h) {
      for (long p = 0; p < kc; p++) ap[p * MR + r] = a[r * ars + p * aks];
    } else {
      for (long p = 0; p < kc; p++) ap[p * MR + r] = 0.0f;
    }
  }
}

/*
 * Convolution geometry for an A read from the input x (NHWC) instead of a patch matrix:
 * cv = [mode, n, h, w, cin, kh, kw, sh, sw, pt, pl, ho, wo]. Mode 1 (forward): A(i, p) is
 * the input value output pixel i = (b, oy, ox) reads through tap p = (ky, kx, ci), 0 in the
 * padding: A = P. Mode 2 (filter gradient): A(i, p) = P(p, i), rows the taps, columns the
 * pixels: A = P^T.
 */
enum { CV_MODE, CV_N, CV_H, CV_W, CV_CIN, CV_KH, CV_KW, CV_SH, CV_SW, CV_PT, CV_PL, CV_HO, CV_WO };

/* The output pixel after (b, oy, ox) in row-major order. */
static inline void next_pixel(long *ox, long *oy, long *b, long wo, long ho) {
  if (++*ox == wo) {
    *ox = 0;
    if (++*oy == ho) *oy = 0, ++*b;
  }
}

/* Mode 1: rows i..i+h-1 (pixels), columns k0..k0+kc-1 (taps) into the sliver. */
static void pack_a_fwd(const long *cv, const f32 *x, long i, long h, long k0, long kc, f32 *restrict ap) {
  const long H = cv[CV_H], W = cv[CV_W], cin = cv[CV_CIN], kw = cv[CV_KW], sh = cv[CV_SH], sw = cv[CV_SW];
  const long pt = cv[CV_PT], pl = cv[CV_PL], ho = cv[CV_HO], wo = cv[CV_WO];
  /* four pixels at once, rows past h read as padding: each tap's channel runs moved by 4 x 4
     transposes */
  long ox[4], oy[4], b[4];
  ox[0] = i % wo, oy[0] = (i / wo) % ho, b[0] = i / (wo * ho);
  for (long r = 1; r < 4; r++) {
    ox[r] = ox[r - 1], oy[r] = oy[r - 1], b[r] = b[r - 1];
    next_pixel(&ox[r], &oy[r], &b[r], wo, ho);
  }
  long tap = k0 / cin, ci = k0 % cin;
  for (long p = 0; p < kc; tap++, ci = 0) {
    const long run = cin - ci < kc - p ? cin - ci : kc - p;
    const long ky = tap / kw, kx = tap % kw;
    const f32 *s[4];
    for (long r = 0; r < 4; r++) {
      const long iy = oy[r] * sh - pt + ky, ix = ox[r] * sw - pl + kx;
      s[r] = r >= h || iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : x + ((b[r] * H + iy) * W + ix) * cin + ci;
    }
    f32 *d = ap + p * MR;
    const v128_t z = wasm_f32x4_splat(0.0f);
    long t = 0;
    for (; t + 4 <= run; t += 4) {
      put4x4(s[0] ? wasm_v128_load(s[0] + t) : z, s[1] ? wasm_v128_load(s[1] + t) : z,
             s[2] ? wasm_v128_load(s[2] + t) : z, s[3] ? wasm_v128_load(s[3] + t) : z, d + t * MR);
    }
    for (; t < run; t++)
      for (long r = 0; r < 4; r++) d[t * MR + r] = s[r] ? s[r][t] : 0.0f;
    p += run;
  }
}

/* Mode 2: rows i..i+h-1 (taps), columns k0..k0+kc-1 (pixels) into the sliver. */
static void pack_a_dw(const long *cv, const f32 *x, long i, long h, long k0, long kc, f32 *restrict ap) {
  const long H = cv[CV_H], W = cv[CV_W], cin = cv[CV_CIN], kw = cv[CV_KW], sh = cv[CV_SH], sw = cv[CV_SW];
  const long pt = cv[CV_PT], pl = cv[CV_PL], ho = cv[CV_HO], wo = cv[CV_WO];
  const long ci0 = i % cin, tap0 = i / cin;
  if (h == MR && ci0 + MR <= cin) {
    /* four channels of one tap: one 4-value load a pixel */
    const long ky = tap0 / kw, kx = tap0 % kw;
    long ox = k0 % wo, oy = (k0 / wo) % ho, b = k0 / (wo * ho);
    const v128_t z = wasm_f32x4_splat(0.0f);
    for (long p = 0; p < kc; p++) {
      const long iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
      v128_t v = z;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = wasm_v128_load(x + ((b * H + iy) * W + ix) * cin + ci0);
      wasm_v128_store(ap + p * MR, v);
      next_pixel(&ox, &oy, &b, wo, ho);
    }
    return;
  }
  for (long r = 0; r < MR; r++) {
    if (r >= h) {
      for (long p = 0; p < kc; p++) ap[p * MR + r] = 0.0f;
      continue;
    }
    const long tap = (i + r) / cin, ci = (i + r) % cin, ky = tap / kw, kx = tap % kw;
    long ox = k0 % wo, oy = (k0 / wo) % ho, b = k0 / (wo * ho);
    for (long p = 0; p < kc; p++) {
      const long iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
      ap[p * MR + r] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[((b * H + iy) * W + ix) * cin + ci] : 0.0f;
      next_pixel(&ox, &oy, &b, wo, ho);
    }
  }
}

/* Floats of gemm_peak's scratch: an A sliver, a B sliver of one k block and a block of C. */
__attribute__((export_name("gemm_peak_floats"))) long gemm_peak_floats(void) { return MR * KC + KC * NR + MR * NR; }

/*
 * The register block alone, `reps` times over one k block held in L1 (scratch: gemm_peak_floats()
 * floats, zeros): the module's multiply-add peak on one thread, for the bench. Returns the
 * floating-point operations done.
 */
__attribute__((export_name("gemm_peak"))) double gemm_peak(long reps, f32 *scratch) {
  const f32 *a = scratch, *b = scratch + MR * KC;
  f32 *c = scratch + MR * KC + KC * NR;
  for (long r = 0; r < reps; r++) gemm_tile(KC, a, b, c, NR, 1, 0);
  return 2.0 * MR * NR * KC * (double)reps;
}

/*
 * Rows m0..m1 of C[m, n] (ldc) = A B, plus C when beta is 1, else plus the row `bias` (n
 * values) when it is not null; A's element (i, p) at a[i * ars + p * aks] (A or A^T as it
 * lies), or, when cv is not null, A from the input x = a of a convolution (see CV_MODE); B
 * packed by gemm_pack_b. m0 is a multiple of MR; `scratch` holds gemm_scratch_floats()
 * floats, one per concurrent caller. Each C value is its start (C, the
 * bias or 0) plus the products in k order, one rounding each (two without FMA).
 */
__attribute__((export_name("gemm_rows"))) void gemm_rows(long m0, long m1, long n, long k, const f32 *a, long ars,
                                                         long aks, const f32 *bp, f32 *c, long ldc, long beta,
                                                         const f32 *bias, f32 *scratch, const long *cv) {
  f32 *ap = scratch, *edge = scratch + MR * KC;
  const long panels = (n + NR - 1) / NR;
  for (long k0 = 0; k0 < k || (k0 == 0 && k == 0); k0 += KC) {
    const long kc = k - k0 < KC ? k - k0 : KC;
    const long init = beta || k0 > 0 ? 1 : bias != 0 ? 2 : 0;
    for (long i = m0; i < m1; i += MR) {
      const long h = m1 - i < MR ? m1 - i : MR;
      if (cv == 0)
        pack_a(a + i * ars + k0 * aks, ars, aks, h, kc, ap);
      else if (cv[CV_MODE] == 1)
        pack_a_fwd(cv, a, i, h, k0, kc, ap);
      else
        pack_a_dw(cv, a, i, h, k0, kc, ap);
      for (long jp = 0; jp < panels; jp++) {
        const long j = jp * NR;
        const f32 *b = bp + jp * k * NR + k0 * NR;
        const long w = n - j < NR ? n - j : NR;
        if (h == MR && w == NR) {
          gemm_tile(kc, ap, b, c + i * ldc + j, ldc, init, bias + j);
        } else {
          /* an edge block through the scratch tile, its start copied in and its result out */
          for (long r = 0; r < MR; r++)
            for (long q = 0; q < NR; q++)
              edge[r * NR + q] = r >= h || q >= w ? 0.0f : init == 1 ? c[(i + r) * ldc + j + q] : init == 2 ? bias[j + q] : 0.0f;
          gemm_tile(kc, ap, b, edge, NR, 1, 0);
          for (long r = 0; r < h; r++)
            for (long q = 0; q < w; q++) c[(i + r) * ldc + j + q] = edge[r * NR + q];
        }
      }
    }
    if (k == 0) break;
  }
}
