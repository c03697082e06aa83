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

DW_TARGET static void DW_NAME(forward)(const float *x, const float *w, const float *bias, float *out,
                                       const dw_dims *d, float alpha) {
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
            const float *xp = x + ((b * d->h + iy) * d->w + ix) * c, *wp = w + (ky * d->kw + kx) * cm;
            if (m == 1)
              DW_NAME(fma_row)(o, xp, wp, c);
            else
              DW_NAME(fma_spread)(o, xp, wp, c, m);
          }
        }
        if (bias != NULL)
          for (long i = 0; i < cm; i++) o[i] += bias[i];
        switch (d->act) {
          case ACT_RELU:
            for (long i = 0; i < cm; i++) o[i] = o[i] > 0.0f ? o[i] : 0.0f;
            break;
          case ACT_RELU6:
            for (long i = 0; i < cm; i++) o[i] = o[i] > 0.0f ? (o[i] < 6.0f ? o[i] : 6.0f) : 0.0f;
            break;
          case ACT_LEAKY:
            for (long i = 0; i < cm; i++) o[i] = o[i] < 0.0f ? alpha * o[i] : o[i];
            break;
          default:
            break;
        }
      }
}

/* dx scattered from each output pixel in turn: the order of every dx element's sum is fixed. */
DW_TARGET static void DW_NAME(backprop_input)(const float *dy, const float *w, float *dx, const dw_dims *d) {
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
