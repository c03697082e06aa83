/*
 * The depthwise passes, compiled once per instruction set by depthwise.c (which defines
 * DW_TARGET, the function attribute, and DW_NAME(f), the suffixed name). Channels are the
 * innermost, contiguous axis of every operand, so each loop over them is a straight
 * vectorisable FMA. Every output element is one fmaf chain over the taps in row-major order
 * (and, for dx, the multiplier index inside each tap), starting from 0: the compiler's vector
 * FMA and the scalar fmaf of the tails round alike, so every instruction set gives the same
 * bits, and each element is computed by one thread whatever the thread count.
 */

/* The first tap index k with 0 <= o * s - p + k * dl (< extent checked by the caller). */
static inline long DW_NAME(first_tap)(long o, long s, long p, long dl) {
  long at = o * s - p;
  return at >= 0 ? 0 : (-at + dl - 1) / dl;
}

DW_TARGET static void DW_NAME(fma_row)(float *restrict acc, const float *restrict a, const float *restrict b, long n) {
  for (long i = 0; i < n; i++) acc[i] = fmaf(a[i], b[i], acc[i]);
}

/* acc[ch * m + q] += a[ch] * b[ch * m + q] */
DW_TARGET static void DW_NAME(fma_spread)(float *restrict acc, const float *restrict a, const float *restrict b,
                                          long c, long m) {
  for (long ch = 0; ch < c; ch++)
    for (long q = 0; q < m; q++) acc[ch * m + q] = fmaf(a[ch], b[ch * m + q], acc[ch * m + q]);
}

/* acc[ch] += sum over q of a[ch * m + q] * b[ch * m + q] */
DW_TARGET static void DW_NAME(fma_gather)(float *restrict acc, const float *restrict a, const float *restrict b,
                                          long c, long m) {
  for (long ch = 0; ch < c; ch++) {
    float s = acc[ch];
    for (long q = 0; q < m; q++) s = fmaf(a[ch * m + q], b[ch * m + q], s);
    acc[ch] = s;
  }
}

/* The output (or dx) values of `n` channels from accumulators: + bias, activation. */
static inline void DW_NAME(epilogue)(float *o, const float *acc, const float *bias, long n, int act, float alpha) {
  for (long i = 0; i < n; i++) {
    float v = acc[i] + (bias != NULL ? bias[i] : 0.0f);
    if (act == ACT_RELU) v = v > 0.0f ? v : 0.0f;
    else if (act == ACT_RELU6) v = v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
    else if (act == ACT_LEAKY) v = v < 0.0f ? alpha * v : v;
    o[i] = v;
  }
}

/*
 * One block of `nb` channels of one output pixel, multiplier 1: accumulators in registers
 * over the taps [ky0, ky1) x [kx0, kx1) (all inside the image), then the epilogue. Always
 * inlined, so that each constant nb below becomes a loop of fixed length the compiler keeps
 * in vector registers.
 */
__attribute__((always_inline)) static inline void DW_NAME(fwd_block)(const float *xs, const float *ws, float *o,
                                                                     const float *bias, const dw_dims *d,
                                                                     long ky0, long ky1, long kx0, long kx1,
                                                                     const long nb, float alpha) {
  float acc[DW_BLOCK] = {0};
  for (long ky = ky0; ky < ky1; ky++)
    for (long kx = kx0; kx < kx1; kx++) {
      const float *xp = xs + (ky * d->dh * d->w + kx * d->dw) * d->c, *wp = ws + (ky * d->kw + kx) * d->c;
      for (long i = 0; i < nb; i++) acc[i] = fmaf(xp[i], wp[i], acc[i]);
    }
  DW_NAME(epilogue)(o, acc, bias, nb, d->act, alpha);
}

/*
 * Multiplier 1 (MobileNet's case): per output pixel, channels in blocks of DW_BLOCK, then 16,
 * then the rest, each accumulated in registers over every tap inside the image.
 */
DW_TARGET static void DW_NAME(forward_m1)(const float *x, const float *w, const float *bias, float *out,
                                          const dw_dims *d, float alpha) {
  const long c = d->c;
  for (long b = 0; b < d->n; b++)
    for (long oy = 0; oy < d->ho; oy++) {
      long ky0 = DW_NAME(first_tap)(oy, d->sh, d->pt, d->dh), ky1 = ky0;
      while (ky1 < d->kh && oy * d->sh - d->pt + ky1 * d->dh < d->h) ky1++;
      for (long ox = 0; ox < d->wo; ox++) {
        long kx0 = DW_NAME(first_tap)(ox, d->sw, d->pl, d->dw), kx1 = kx0;
        while (kx1 < d->kw && ox * d->sw - d->pl + kx1 * d->dw < d->w) kx1++;
        float *o = out + ((b * d->ho + oy) * d->wo + ox) * c;
        /* x at tap (0, 0), which may lie outside the image: only in-image taps are read */
        const float *xs = x + ((b * d->h + oy * d->sh - d->pt) * d->w + ox * d->sw - d->pl) * c;
        long cb = 0;
        for (; cb + DW_BLOCK <= c; cb += DW_BLOCK)
          DW_NAME(fwd_block)(xs + cb, w + cb, o + cb, bias ? bias + cb : NULL, d, ky0, ky1, kx0, kx1, DW_BLOCK, alpha);
        for (; cb + 16 <= c; cb += 16)
          DW_NAME(fwd_block)(xs + cb, w + cb, o + cb, bias ? bias + cb : NULL, d, ky0, ky1, kx0, kx1, 16, alpha);
        if (cb < c)
          DW_NAME(fwd_block)(xs + cb, w + cb, o + cb, bias ? bias + cb : NULL, d, ky0, ky1, kx0, kx1, c - cb, alpha);
      }
    }
}

DW_TARGET static void DW_NAME(forward)(const float *x, const float *w, const float *bias, float *out,
                                       const dw_dims *d, float alpha) {
  if (d->m == 1) {
    DW_NAME(forward_m1)(x, w, bias, out, d, alpha);
    return;
  }
  const long c = d->c, m = d->m, cm = c * m;
  for (long b = 0; b < d->n; b++)
    for (long oy = 0; oy < d->ho; oy++)
      for (long ox = 0; ox < d->wo; ox++) {
        float *restrict o = out + ((b * d->ho + oy) * d->wo + ox) * cm;
        for (long i = 0; i < cm; i++) o[i] = 0.0f;
        for (long ky = DW_NAME(first_tap)(oy, d->sh, d->pt, d->dh); ky < d->kh; ky++) {
          long iy = oy * d->sh - d->pt + ky * d->dh;
          if (iy >= d->h) break;
          for (long kx = DW_NAME(first_tap)(ox, d->sw, d->pl, d->dw); kx < d->kw; kx++) {
            long ix = ox * d->sw - d->pl + kx * d->dw;
            if (ix >= d->w) break;
            DW_NAME(fma_spread)(o, x + ((b * d->h + iy) * d->w + ix) * c, w + (ky * d->kw + kx) * cm, c, m);
          }
        }
        DW_NAME(epilogue)(o, o, bias, cm, d->act, alpha);
      }
}

/* One block of `nb` channels of one input pixel's dx, multiplier 1 (see backprop_input_m1). */
__attribute__((always_inline)) static inline void DW_NAME(dx_block)(const float *dy, const float *w, float *o,
                                                                    const dw_dims *d, long b, long iy, long ix,
                                                                    long cb, const long nb) {
  float acc[DW_BLOCK] = {0};
  for (long ky = 0; ky < d->kh; ky++) {
    long ty = iy + d->pt - ky * d->dh; /* = oy * sh */
    if (ty < 0) break;
    if (ty % d->sh != 0 || ty / d->sh >= d->ho) continue;
    for (long kx = 0; kx < d->kw; kx++) {
      long tx = ix + d->pl - kx * d->dw;
      if (tx < 0) break;
      if (tx % d->sw != 0 || tx / d->sw >= d->wo) continue;
      const float *g = dy + ((b * d->ho + ty / d->sh) * d->wo + tx / d->sw) * d->c + cb;
      const float *wp = w + (ky * d->kw + kx) * d->c + cb;
      for (long i = 0; i < nb; i++) acc[i] = fmaf(g[i], wp[i], acc[i]);
    }
  }
  for (long i = 0; i < nb; i++) o[cb + i] = acc[i];
}

/*
 * dx for multiplier 1, gathered: each input pixel sums, in registers, dy times the filter over
 * the (output pixel, tap) pairs that read it, taps in row-major order.
 */
DW_TARGET static void DW_NAME(backprop_input_m1)(const float *dy, const float *w, float *dx, const dw_dims *d) {
  const long c = d->c;
  for (long b = 0; b < d->n; b++)
    for (long iy = 0; iy < d->h; iy++)
      for (long ix = 0; ix < d->w; ix++) {
        float *o = dx + ((b * d->h + iy) * d->w + ix) * c;
        long cb = 0;
        for (; cb + DW_BLOCK <= c; cb += DW_BLOCK) DW_NAME(dx_block)(dy, w, o, d, b, iy, ix, cb, DW_BLOCK);
        for (; cb + 16 <= c; cb += 16) DW_NAME(dx_block)(dy, w, o, d, b, iy, ix, cb, 16);
        if (cb < c) DW_NAME(dx_block)(dy, w, o, d, b, iy, ix, cb, c - cb);
      }
}

/* dx scattered from each output pixel in turn: the order of every dx element's sum is fixed. */
DW_TARGET static void DW_NAME(backprop_input)(const float *dy, const float *w, float *dx, const dw_dims *d) {
  if (d->m == 1) {
    DW_NAME(backprop_input_m1)(dy, w, dx, d);
    return;
  }
  const long c = d->c, m = d->m, cm = c * m;
  for (long b = 0; b < d->n; b++)
    for (long oy = 0; oy < d->ho; oy++)
      for (long ox = 0; ox < d->wo; ox++) {
        const float *g = dy + ((b * d->ho + oy) * d->wo + ox) * cm;
        for (long ky = DW_NAME(first_tap)(oy, d->sh, d->pt, d->dh); ky < d->kh; ky++) {
          long iy = oy * d->sh - d->pt + ky * d->dh;
          if (iy >= d->h) break;
          for (long kx = DW_NAME(first_tap)(ox, d->sw, d->pl, d->dw); kx < d->kw; kx++) {
            long ix = ox * d->sw - d->pl + kx * d->dw;
            if (ix >= d->w) break;
            float *dxp = dx + ((b * d->h + iy) * d->w + ix) * c;
            const float *wp = w + (ky * d->kw + kx) * cm;
            if (m == 1)
              DW_NAME(fma_row)(dxp, g, wp, c);
            else
              DW_NAME(fma_gather)(dxp, g, wp, c, m);
          }
        }
      }
}

DW_TARGET static void DW_NAME(backprop_filter)(const float *x, const float *dy, float *dwt, const dw_dims *d) {
  const long c = d->c, m = d->m, cm = c * m;
  for (long b = 0; b < d->n; b++)
    for (long oy = 0; oy < d->ho; oy++)
      for (long ox = 0; ox < d->wo; ox++) {
        const float *g = dy + ((b * d->ho + oy) * d->wo + ox) * cm;
        for (long ky = DW_NAME(first_tap)(oy, d->sh, d->pt, d->dh); ky < d->kh; ky++) {
          long iy = oy * d->sh - d->pt + ky * d->dh;
          if (iy >= d->h) break;
          for (long kx = DW_NAME(first_tap)(ox, d->sw, d->pl, d->dw); kx < d->kw; kx++) {
            long ix = ox * d->sw - d->pl + kx * d->dw;
            if (ix >= d->w) break;
            const float *xp = x + ((b * d->h + iy) * d->w + ix) * c;
            float *wp = dwt + (ky * d->kw + kx) * cm;
            if (m == 1)
              DW_NAME(fma_row)(wp, xp, g, c);
            else
              DW_NAME(fma_spread)(wp, xp, g, c, m);
          }
        }
      }
}
