/*
 * The three convolution passes (forward, dx, dW) as implicit GEMMs over NHWC images in
 * place: the GEMM's packing routines read the image directly (no im2col buffer).
 *
 * Layouts are tfjs': images NHWC, filters [kh, kw, Cin, Cout].
 */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "kernels.h"

static int pointwise(const conv_dims *d) {
  return d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 && d->pl == 0 && d->ho == d->h &&
         d->wo == d->w;
}

/*
 * The input patches of a convolution as a GEMM operand: rows = output pixels, columns =
 * (tap, channel), read from x in place (im2col); `transposed` for dW, where they are the
 * columns. A 1x1 stride-1 convolution's patches are x itself.
 */
static void patches_operand(pack_ctx *a, const float *x, const conv_dims *d, int transposed) {
  a->data = x;
  if (pointwise(d)) {
    a->kind = PACK_DENSE;
    a->ld = d->cin;
    a->trans = transposed;
    return;
  }
  a->kind = transposed ? PACK_IM2COL_T : PACK_IM2COL;
  a->sh = d->h;
  a->sw = d->w;
  a->sc = d->cin;
  a->gh = d->ho;
  a->gw = d->wo;
  a->rsy = d->sh;
  a->rsx = d->sw;
  a->ntaps = d->kh * d->kw;
  for (long ky = 0; ky < d->kh; ky++)
    for (long kx = 0; kx < d->kw; kx++) {
      a->offy[ky * d->kw + kx] = ky * d->dh - d->pt;
      a->offx[ky * d->kw + kx] = kx * d->dw - d->pl;
    }
}

/* Whether an [a, b, c, e] tensor has no values. */
static int empty4(long a, long b, long c, long e) { return a == 0 || b == 0 || c == 0 || e == 0; }

/*
 * Few in-channels (a network's stem): the indirect GEMM would reload its row pointers every
 * Cin multiply-adds, so x is copied once with its zero padding, and each filter row's
 * kw x Cin values, contiguous in the copy, become one tap. Same products in the same order.
 */
static float *padded_rows(const float *x, const conv_dims *d, pack_ctx *a) {
  long hp = (d->ho - 1) * d->sh + (d->kh - 1) * d->dh + 1, wp = (d->wo - 1) * d->sw + d->kw;
  float *xp = calloc((size_t)(d->n * hp * wp * d->cin), sizeof(float));
  if (xp == NULL) return NULL;
  for (long b = 0; b < d->n; b++)
    for (long y = 0; y < d->h; y++) {
      long py = y + d->pt;
      if (py >= hp) break;
      long x0 = d->pl, cols = d->w < wp - x0 ? d->w : wp - x0;
      if (cols > 0)
        memcpy(xp + ((b * hp + py) * wp + x0) * d->cin, x + (b * d->h + y) * d->w * d->cin,
               sizeof(float) * cols * d->cin);
    }
  a->kind = PACK_IM2COL;
  a->data = xp;
  a->sh = hp;
  a->sw = wp;
  a->sc = d->cin;
  a->gh = d->ho;
  a->gw = d->wo;
  a->rsy = d->sh;
  a->rsx = d->sw;
  a->ntaps = d->kh;
  for (long ky = 0; ky < d->kh; ky++) {
    a->offy[ky] = ky * d->dh;
    a->offx[ky] = 0;
  }
  return xp;
}

/* Whether padded_rows' copy is no larger than twice x (large dilations or padding are not). */
static int copy_is_small(const conv_dims *d) {
  double hp = (double)(d->ho - 1) * d->sh + (double)(d->kh - 1) * d->dh + 1, wp = (double)(d->wo - 1) * d->sw + d->kw;
  return hp * wp <= 2.0 * d->h * d->w + 4096;
}

int conv_forward(const float *x, const float *w, const float *bias, float *out, const conv_dims *d, float alpha,
                 const float *affine) {
  if (empty4(d->n, d->ho, d->wo, d->cout)) return 0;
  const gemm_epilogue ep = {bias, affine, affine ? affine + d->cout : NULL, d->act, alpha};
  const int wino = winograd_forward(x, w, &ep, out, d);
  if (wino != 0) return wino == 1 ? 0 : -1;
  gemm_args *g = calloc(1, sizeof(gemm_args));
  if (g == NULL) return -1;
  g->M = d->n * d->ho * d->wo;
  g->N = d->cout;
  g->K = d->kh * d->kw * d->cin;
  float *xp = NULL;
  if (d->cin < 16 && d->dw == 1 && d->kw > 1 && cpu_isa() >= ISA_AVX2 && !pointwise(d) && copy_is_small(d)) {
    xp = padded_rows(x, d, &g->a);
    if (xp == NULL) {
      free(g);
      return -1;
    }
  } else {
    patches_operand(&g->a, x, d, 0);
  }
  g->b.kind = PACK_DENSE;
  g->b.data = w;
  g->b.ld = d->cout;
  g->c = out;
  g->ldc = d->cout;
  g->ep = ep;
  int rc = conv_gemm(g);
  free(xp);
  free(g);
  return rc;
}

/*
 * The taps of dx's stride phase (py, px): those with ky*dh = py + pt (mod sh) and likewise
 * in x; each reads dy at (iy + offy, ix + offx) for the phase pixel (py + sh*iy, px + sw*ix).
 */
static long phase_taps(const conv_dims *d, long py, long px, long *offy, long *offx, int *tapIndex) {
  long nt = 0;
  for (long ky = 0; ky < d->kh; ky++) {
    long ry = py + d->pt - ky * d->dh;
    if (((ry % d->sh) + d->sh) % d->sh != 0) continue;
    for (long kx = 0; kx < d->kw; kx++) {
      long rx = px + d->pl - kx * d->dw;
      if (((rx % d->sw) + d->sw) % d->sw != 0) continue;
      if (offy) {
        offy[nt] = ry / d->sh;
        offx[nt] = rx / d->sw;
        tapIndex[nt] = (int)(ky * d->kw + kx);
      }
      nt++;
    }
  }
  return nt;
}

/*
 * dx for few input channels (a network's stem): the phase GEMMs would be at most Cin
 * columns wide, so instead col = dy W^T (K = kh*kw*Cin columns) in blocks of rows, each
 * block scattered into dx (col2im).
 */
static int backprop_input_col(const float *dy, const float *w, float *dx, const conv_dims *d, gemm_args *g) {
  const long K = d->kh * d->kw * d->cin;
  const long M = d->n * d->ho * d->wo;
  long rows = (1L << 18) / (K > 0 ? K : 1);
  if (rows < 48) rows = 48;
  if (rows > M) rows = M;
  float *col = malloc(sizeof(float) * rows * K);
  if (col == NULL) return -1;
  memset(dx, 0, sizeof(float) * d->n * d->h * d->w * d->cin);
  int rc = 0;
  for (long r0 = 0; r0 < M && rc == 0; r0 += rows) {
    long r1 = r0 + rows < M ? r0 + rows : M;
    memset(g, 0, sizeof *g);
    g->M = r1 - r0;
    g->N = K;
    g->K = d->cout;
    g->a.kind = PACK_DENSE;
    g->a.data = dy + r0 * d->cout;
    g->a.ld = d->cout;
    g->b.kind = PACK_DENSE;
    g->b.data = w;
    g->b.ld = d->cout;
    g->b.trans = 1;
    g->c = col;
    g->ldc = K;
    rc = conv_gemm(g);
    for (long m = r0; m < r1 && rc == 0; m++) {
      long ox = m % d->wo, t = m / d->wo;
      long oy = t % d->ho, b = t / d->ho;
      const float *src = col + (m - r0) * K;
      for (long ky = 0; ky < d->kh; ky++) {
        long iy = oy * d->sh - d->pt + ky * d->dh;
        if (iy < 0 || iy >= d->h) continue;
        for (long kx = 0; kx < d->kw; kx++) {
          long ix = ox * d->sw - d->pl + kx * d->dw;
          if (ix < 0 || ix >= d->w) continue;
          float *dst = dx + ((b * d->h + iy) * d->w + ix) * d->cin;
          const float *s = src + (ky * d->kw + kx) * d->cin;
          for (long ci = 0; ci < d->cin; ci++) dst[ci] += s[ci];
        }
      }
    }
  }
  free(col);
  return rc;
}

int conv_backprop_input(const float *dy, const float *w, float *dx, const conv_dims *d) {
  if (empty4(d->n, d->h, d->w, d->cin)) return 0;
  if (empty4(d->n, d->ho, d->wo, d->cout)) { /* no dy: no gradient */
    memset(dx, 0, sizeof(float) * d->n * d->h * d->w * d->cin);
    return 0;
  }
  const int wino = winograd_backprop_input(dy, w, dx, d);
  if (wino != 0) return wino == 1 ? 0 : -1;
  gemm_args *g = calloc(1, sizeof(gemm_args));
  if (g == NULL) return -1;
  int rc = 0;
  if (pointwise(d)) {
    g->M = d->n * d->h * d->w;
    g->N = d->cin;
    g->K = d->cout;
    g->a.kind = PACK_DENSE;
    g->a.data = dy;
    g->a.ld = d->cout;
    g->b.kind = PACK_DENSE;
    g->b.data = w;
    g->b.ld = d->cout;
    g->b.trans = 1;
    g->c = dx;
    g->ldc = d->cin;
    rc = conv_gemm(g);
    free(g);
    return rc;
  }
  if (d->cin < 16) {
    rc = backprop_input_col(dy, w, dx, d, g);
    free(g);
    return rc;
  }
  long *rowOff = NULL;
  /* A phase that no tap reaches gets no gradient: zero dx first when there is one. */
  for (long qy = 0; qy < d->sh && qy < d->h; qy++)
    for (long qx = 0; qx < d->sw && qx < d->w; qx++)
      if (phase_taps(d, qy, qx, NULL, NULL, NULL) == 0) {
        memset(dx, 0, sizeof(float) * d->n * d->h * d->w * d->cin);
        qy = d->sh;
        break;
      }
  for (long py = 0; py < d->sh && py < d->h && rc == 0; py++) {
    for (long px = 0; px < d->sw && px < d->w && rc == 0; px++) {
      long gh = (d->h - py + d->sh - 1) / d->sh;
      long gw = (d->w - px + d->sw - 1) / d->sw;
      memset(&g->a, 0, sizeof g->a);
      memset(&g->b, 0, sizeof g->b);
      long nt = phase_taps(d, py, px, g->a.offy, g->a.offx, g->b.tapIndex);
      if (nt == 0) continue;
      int single = d->sh == 1 && d->sw == 1;
      g->M = d->n * gh * gw;
      g->N = d->cin;
      g->K = nt * d->cout;
      g->a.kind = PACK_IM2COL;
      g->a.data = dy;
      g->a.sh = d->ho;
      g->a.sw = d->wo;
      g->a.sc = d->cout;
      g->a.gh = gh;
      g->a.gw = gw;
      g->a.rsy = 1;
      g->a.rsx = 1;
      g->a.ntaps = nt;
      g->b.kind = PACK_FILTER_T;
      g->b.data = w;
      g->b.ld = d->cin;
      g->b.sc = d->cout;
      g->b.ntaps = nt;
      g->c = dx;
      g->ldc = d->cin;
      if (single) {
        g->rowOff = NULL;
      } else {
        if (rowOff == NULL) rowOff = malloc(sizeof(long) * d->n * ((d->h + d->sh - 1) / d->sh) * ((d->w + d->sw - 1) / d->sw));
        if (rowOff == NULL) {
          rc = -1;
          break;
        }
        long m = 0;
        for (long b = 0; b < d->n; b++)
          for (long iy = 0; iy < gh; iy++)
            for (long ix = 0; ix < gw; ix++)
              rowOff[m++] = ((b * d->h + py + d->sh * iy) * d->w + px + d->sw * ix) * d->cin;
        g->rowOff = rowOff;
      }
      rc = conv_gemm(g);
    }
  }
  free(rowOff);
  free(g);
  return rc;
}

int conv_backprop_filter(const float *x, const float *dy, float *dw, const conv_dims *d) {
  if (empty4(d->kh, d->kw, d->cin, d->cout)) return 0;
  const int wino = winograd_backprop_filter(x, dy, dw, d);
  if (wino != 0) return wino < 0 ? -1 : 0;
  int status;
  if (conv_filter_grad(x, dy, dw, d, &status)) return status;
  gemm_args *g = calloc(1, sizeof(gemm_args));
  if (g == NULL) return -1;
  g->M = d->kh * d->kw * d->cin;
  g->N = d->cout;
  g->K = d->n * d->ho * d->wo;
  patches_operand(&g->a, x, d, 1);
  g->b.kind = PACK_DENSE;
  g->b.data = dy;
  g->b.ld = d->cout;
  g->c = dw;
  g->ldc = d->cout;
  int rc = gemm_parallel(g);
  free(g);
  return rc;
}
