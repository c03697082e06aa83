/*
 * The depthwise kernels, compiled once per instruction set by depthwise-kernels.c, which defines
 * DW_TARGET (the function attribute), DW_NAME(f) (the suffixed name) and the lane macros:
 * V (the vector type) of VL floats, V_ZERO, V_LOAD / V_STORE, V_LOADN / V_STOREN (the first
 * n lanes), V_FMA, V_ADD, V_MUL, V_MAX, V_MIN, V_SET1 and V_LEAKY; NVF / NVW vectors of channels per
 * register block (forward and dx / dW). Channels are the innermost, contiguous axis of every
 * operand, so every loop over them is straight vector FMAs.
 *
 * Every output element is one fused multiply-add chain in an order fixed by the shapes alone
 * (a vector lane rounds as the scalar fmaf): every instruction set gives the same bits, and
 * the split over threads (whole rows, or dW's fixed row chunks) never changes an order.
 */

/*
 * v + bias, the affine (channels from k, `n` lanes), then the activation, as gemm.h's act_kind
 * (NaN and -0 as the scalar forms).
 */
DW_TARGET __attribute__((always_inline)) static inline V DW_NAME(epilogue)(V v, V bias, const dw_epi *e, long k,
                                                                          long n) {
  v = V_ADD(v, bias);
  if (e->scale != NULL) {
    const V s = n == VL ? V_LOAD(e->scale + k) : V_LOADN(e->scale + k, n);
    const V t = n == VL ? V_LOAD(e->shift + k) : V_LOADN(e->shift + k, n);
    v = V_ADD(V_MUL(v, s), t);
  }
  if (e->act == ACT_RELU) return V_MAX(v, V_ZERO());
  if (e->act == ACT_RELU6) return V_MIN(V_MAX(v, V_ZERO()), V_SET1(6.0f));
  if (e->act == ACT_LEAKY) return V_LEAKY(v, V_SET1(e->alpha));
  return v;
}

/*
 * NP pixels of a run, NV vectors of channels from cb (`n` lanes in the last: VL unless it is
 * the channels' tail): accumulators in registers over the taps in row-major order, each
 * filter vector loaded once for the NP pixels. Always inlined with constant NP and NV.
 */
DW_TARGET __attribute__((always_inline)) static inline void DW_NAME(gather_block)(const dw_run *r, long p0, long cb,
                                                                        const int NP, const int NV, long n,
                                                                        const dw_epi *e) {
  V acc[4][NVF], wv[NVF]; /* NP <= 4, NV <= NVF: constants once inlined */
  for (int p = 0; p < NP; p++)
    for (int v = 0; v < NV; v++) acc[p][v] = V_ZERO();
  for (long i = 0; i < r->ny; i++)
    for (long j = 0; j < r->nx; j++) {
      const float *wp = r->w + i * r->wy + j * r->wx + cb;
      const float *sp = r->src + (p0 * r->ss + i * r->sy + j * r->sx + cb);
      for (int v = 0; v < NV; v++) wv[v] = n == VL ? V_LOAD(wp + v * VL) : V_LOADN(wp, n);
      for (int p = 0; p < NP; p++)
        for (int v = 0; v < NV; v++)
          acc[p][v] = V_FMA(n == VL ? V_LOAD(sp + p * r->ss + v * VL) : V_LOADN(sp + p * r->ss, n), wv[v], acc[p][v]);
    }
  for (int p = 0; p < NP; p++) {
    float *o = r->out + (p0 + p) * r->os + cb;
    for (int v = 0; v < NV; v++) {
      V y = acc[p][v];
      if (e != NULL) {
        const V b = e->bias == NULL ? V_ZERO() : n == VL ? V_LOAD(e->bias + cb + v * VL) : V_LOADN(e->bias + cb, n);
        y = DW_NAME(epilogue)(y, b, e, cb + v * VL, n);
      }
      if (n == VL)
        V_STORE(o + v * VL, y);
      else
        V_STOREN(o, y, n);
    }
  }
}

/* NP pixels from p0, every channel: blocks of NV vectors, single vectors, a masked tail. */
DW_TARGET __attribute__((always_inline)) static inline void DW_NAME(gather_pixels)(const dw_run *r, long p0, long c,
                                                                         const int NP, const dw_epi *e) {
  long cb = 0;
  for (; cb + NVF * VL <= c; cb += NVF * VL) DW_NAME(gather_block)(r, p0, cb, NP, NVF, VL, e);
  for (; cb + VL <= c; cb += VL) DW_NAME(gather_block)(r, p0, cb, NP, 1, VL, e);
  if (cb < c) DW_NAME(gather_block)(r, p0, cb, NP, 1, c - cb, e);
}

/*
 * Multiplier 1, forward and dx: out[ch] = (epilogue of) the sum over the taps of src[ch] w[ch].
 * Blocks of 4 pixels only where they are neighbours in src and out (stride 1): on strided
 * runs a block measured slower than single pixels (MobileNetV2's 64x64x96 stride 2: 6 against
 * 10 GFLOP/s).
 */
DW_TARGET static void DW_NAME(gather)(const dw_run *r, long c, const dw_epi *e) {
  long p = 0;
  if (r->ss == r->os && r->ss > 0)
    for (; p + 4 <= r->np; p += 4) DW_NAME(gather_pixels)(r, p, c, 4, e);
  for (; p < r->np; p++) DW_NAME(gather_pixels)(r, p, c, 1, e);
}

/* Forward, multiplier m > 1: out[ch * m + q] over the taps of src[ch] w[ch * m + q]. */
DW_TARGET static void DW_NAME(spread)(const dw_run *r, long c, long m, const dw_epi *e) {
  for (long p = 0; p < r->np; p++) {
    float *restrict o = r->out + p * r->os;
    for (long k = 0; k < c * m; k++) o[k] = 0.0f;
    for (long i = 0; i < r->ny; i++)
      for (long j = 0; j < r->nx; j++) {
        const float *restrict s = r->src + (p * r->ss + i * r->sy + j * r->sx);
        const float *restrict w = r->w + i * r->wy + j * r->wx;
        for (long ch = 0; ch < c; ch++)
          for (long q = 0; q < m; q++) o[ch * m + q] = fmaf(s[ch], w[ch * m + q], o[ch * m + q]);
      }
    for (long k = 0; k < c * m; k += VL) {
      const long n = c * m - k < VL ? c * m - k : VL;
      const V b = e->bias == NULL ? V_ZERO() : V_LOADN(e->bias + k, n);
      V_STOREN(o + k, DW_NAME(epilogue)(V_LOADN(o + k, n), b, e, k, n), n);
    }
  }
}

/* dx, multiplier m > 1: out[ch] over the taps, then q, of src[ch * m + q] w[ch * m + q]. */
DW_TARGET static void DW_NAME(reduce)(const dw_run *r, long c, long m) {
  for (long p = 0; p < r->np; p++) {
    float *restrict o = r->out + p * r->os;
    for (long ch = 0; ch < c; ch++) o[ch] = 0.0f;
    for (long i = 0; i < r->ny; i++)
      for (long j = 0; j < r->nx; j++) {
        const float *restrict s = r->src + (p * r->ss + i * r->sy + j * r->sx);
        const float *restrict w = r->w + i * r->wy + j * r->wx;
        for (long ch = 0; ch < c; ch++) {
          float a = o[ch];
          for (long q = 0; q < m; q++) a = fmaf(s[ch * m + q], w[ch * m + q], a);
          o[ch] = a;
        }
      }
  }
}

/*
 * dW, multiplier 1, the interior pixels of rows [r0, r1) for all 9 taps of a 3x3 (or 1x9,
 * 9x1) filter at once: 9 x NV accumulators in registers, one dy load per pixel and vector
 * for 9 FMAs. Each chain starts at 0 and runs over the pixels in row-major order.
 */
DW_TARGET __attribute__((always_inline)) static inline void DW_NAME(dw9_block)(const float *x, const float *dy, float *dst,
                                                                     const dw_dims *d, const dw_area *a, long r0,
                                                                     long r1, long cb, const int NV, long n) {
  const long c = d->c;
  long off[9];
  for (int t = 0; t < 9; t++) off[t] = ((t / d->kw) * d->dh * d->w + (t % d->kw) * d->dw) * c + cb;
  V acc[9][NVW];
  for (int t = 0; t < 9; t++)
    for (int v = 0; v < NV; v++) acc[t][v] = V_ZERO();
  for (long r = r0; r < r1; r++) {
    const long b = r / d->ho, oy = r % d->ho;
    if (oy < a->oy0 || oy >= a->oy1) continue;
    for (long ox = a->ox0; ox < a->ox1; ox++) {
      const float *g = dy + ((r * d->wo + ox) * c + cb);
      const float *xs = x + (((b * d->h + oy * d->sh - d->pt) * d->w + ox * d->sw - d->pl) * c);
      V gv[NVW];
      for (int v = 0; v < NV; v++) gv[v] = n == VL ? V_LOAD(g + v * VL) : V_LOADN(g, n);
      for (int t = 0; t < 9; t++)
        for (int v = 0; v < NV; v++)
          acc[t][v] = V_FMA(n == VL ? V_LOAD(xs + off[t] + v * VL) : V_LOADN(xs + off[t], n), gv[v], acc[t][v]);
    }
  }
  for (int t = 0; t < 9; t++)
    for (int v = 0; v < NV; v++) {
      if (n == VL)
        V_STORE(dst + t * c + cb + v * VL, acc[t][v]);
      else
        V_STOREN(dst + t * c + cb, acc[t][v], n);
    }
}

/*
 * dW of one tap (ky, kx), channels [cb, cb + n) (n <= VL), over the pixels of rows [r0, r1)
 * that `a` selects (the interior, or the tap's border beyond it), continuing the chains in
 * dst. Multiplier 1.
 */
DW_TARGET __attribute__((always_inline)) static inline void DW_NAME(dw_tap_vec)(const float *x, const float *dy, float *dst,
                                                                      const dw_dims *d, const dw_seg *s, long cb,
                                                                      long n) {
  const long c = d->c;
  V acc = n == VL ? V_LOAD(dst + cb) : V_LOADN(dst + cb, n);
  for (long k = 0; k < s->count; k++) {
    const float *g = dy + (s->dy[k] + cb);
    const float *xs = x + (s->x[k] + cb);
    for (long i = 0; i < s->len[k]; i++)
      acc = V_FMA(n == VL ? V_LOAD(xs + i * s->xstep) : V_LOADN(xs + i * s->xstep, n),
                  n == VL ? V_LOAD(g + i * c) : V_LOADN(g + i * c, n), acc);
  }
  if (n == VL)
    V_STORE(dst + cb, acc);
  else
    V_STOREN(dst + cb, acc, n);
}

/* dW of one tap over the segments s, every channel, continuing the chains in dst (all m). */
DW_TARGET static void DW_NAME(dw_tap)(const float *x, const float *dy, float *dst, const dw_dims *d,
                                      const dw_seg *s) {
  const long c = d->c, m = d->m;
  if (m == 1) {
    long cb = 0;
    for (; cb + VL <= c; cb += VL) DW_NAME(dw_tap_vec)(x, dy, dst, d, s, cb, VL);
    if (cb < c) DW_NAME(dw_tap_vec)(x, dy, dst, d, s, cb, c - cb);
    return;
  }
  for (long k = 0; k < s->count; k++)
    for (long i = 0; i < s->len[k]; i++) {
      const float *g = dy + (s->dy[k] + i * c * m), *xs = x + (s->x[k] + i * s->xstep);
      for (long ch = 0; ch < c; ch++)
        for (long q = 0; q < m; q++) dst[ch * m + q] = fmaf(xs[ch], g[ch * m + q], dst[ch * m + q]);
    }
}

/* dW's interior for all 9 taps (multiplier 1, kh * kw == 9), every channel. */
DW_TARGET static void DW_NAME(dw9)(const float *x, const float *dy, float *dst, const dw_dims *d, const dw_area *a,
                                   long r0, long r1) {
  const long c = d->c;
  long cb = 0;
  for (; cb + NVW * VL <= c; cb += NVW * VL) DW_NAME(dw9_block)(x, dy, dst, d, a, r0, r1, cb, NVW, VL);
  for (; cb + VL <= c; cb += VL) DW_NAME(dw9_block)(x, dy, dst, d, a, r0, r1, cb, 1, VL);
  if (cb < c) DW_NAME(dw9_block)(x, dy, dst, d, a, r0, r1, cb, 1, c - cb);
}

static const dw_isa DW_NAME(isa) = {DW_NAME(gather), DW_NAME(spread), DW_NAME(reduce), DW_NAME(dw_tap), DW_NAME(dw9)};

#undef V
#undef VL
#undef NVF
#undef NVW
#undef V_ZERO
#undef V_LOAD
#undef V_STORE
#undef V_LOADN
#undef V_STOREN
#undef V_FMA
#undef V_ADD
#undef V_MUL
#undef V_MAX
#undef V_MIN
#undef V_SET1
#undef V_LEAKY
#undef DW_TARGET
#undef DW_NAME
