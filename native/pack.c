/*
 * The GEMM's packing routines: each copies a block of an operand into the micro-kernel's
 * panel order (A: MR rows interleaved, B: NR columns interleaved), reading dense matrices,
 * NHWC images as an implicit im2col, or filters transposed per tap.
 */
#include <string.h>

#include "gemm.h"

/* A(m, k) = a[m * lda + k], or a[k * lda + m] when transposed. */
static void pack_a_dense(const pack_ctx *c, float *dst, long m0, int mc, long k0, int kc) {
  const float *a = c->data;
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int mr = mc - i0 < MR ? mc - i0 : MR;
    float *d = dst + (long)i0 * kc;
    if (!c->trans) {
      for (int i = 0; i < MR; i++) {
        if (i < mr) {
          const float *src = a + (m0 + i0 + i) * c->ld + k0;
          for (int k = 0; k < kc; k++) d[k * MR + i] = src[k];
        } else {
          for (int k = 0; k < kc; k++) d[k * MR + i] = 0.f;
        }
      }
    } else {
      for (int k = 0; k < kc; k++) {
        const float *src = a + (k0 + k) * c->ld + m0 + i0;
        int i = 0;
        for (; i < mr; i++) d[k * MR + i] = src[i];
        for (; i < MR; i++) d[k * MR + i] = 0.f;
      }
    }
  }
}

/* B(k, n) = b[k * ldb + n], or b[n * ldb + k] when transposed. */
static void pack_b_dense(const pack_ctx *c, float *dst, long k0, int kc, long n0, int nc) {
  const float *b = c->data;
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int nr = nc - j0 < NR ? nc - j0 : NR;
    float *d = dst + (long)j0 * kc;
    if (!c->trans) {
      for (int k = 0; k < kc; k++) {
        const float *src = b + (k0 + k) * c->ld + n0 + j0;
        int j = 0;
        if (nr == NR) {
          memcpy(d + k * NR, src, NR * sizeof(float));
          continue;
        }
        for (; j < nr; j++) d[k * NR + j] = src[j];
        for (; j < NR; j++) d[k * NR + j] = 0.f;
      }
    } else {
      for (int j = 0; j < NR; j++) {
        if (j < nr) {
          const float *src = b + (n0 + j0 + j) * c->ld + k0;
          for (int k = 0; k < kc; k++) d[k * NR + j] = src[k];
        } else {
          for (int k = 0; k < kc; k++) d[k * NR + j] = 0.f;
        }
      }
    }
  }
}

/* Row m of an implicit im2col: grid position (n, gy, gx) -> image row/col bases. */
static inline void grid_pos(const pack_ctx *c, long m, long *n, long *by, long *bx) {
  long gx = m % c->gw;
  long t = m / c->gw;
  long gy = t % c->gh;
  *n = t / c->gh;
  *by = gy * c->rsy;
  *bx = gx * c->rsx;
}

/*
 * Implicit im2col as A: A(m, k) with m = (n, gy, gx) over the grid and k = (tap, channel),
 * channel fastest; the value is img[n, gy*rsy + offy[tap], gx*rsx + offx[tap], channel] or 0
 * outside the image.
 */
static void pack_a_im2col(const pack_ctx *c, float *dst, long m0, int mc, long k0, int kc) {
  const float *img = c->data;
  const long C = c->sc;
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int mr = mc - i0 < MR ? mc - i0 : MR;
    float *d = dst + (long)i0 * kc;
    for (int i = 0; i < MR; i++) {
      if (i >= mr) {
        for (int k = 0; k < kc; k++) d[k * MR + i] = 0.f;
        continue;
      }
      long n, by, bx;
      grid_pos(c, m0 + i0 + i, &n, &by, &bx);
      const float *base = img + n * c->sh * c->sw * C;
      long k = k0;
      const long kend = k0 + kc;
      while (k < kend) {
        long tap = k / C;
        long ch = k - tap * C;
        long run = C - ch;
        if (run > kend - k) run = kend - k;
        long y = by + c->offy[tap];
        long x = bx + c->offx[tap];
        float *o = d + (k - k0) * MR + i;
        if (y < 0 || y >= c->sh || x < 0 || x >= c->sw) {
          for (long r = 0; r < run; r++) o[r * MR] = 0.f;
        } else {
          const float *s = base + (y * c->sw + x) * C + ch;
          for (long r = 0; r < run; r++) o[r * MR] = s[r];
        }
        k += run;
      }
    }
  }
}

/*
 * The transpose of the implicit im2col as A (for dW): A(r, m) with r = (tap, channel) and
 * m = grid position. Panels whose MR rows share one tap copy MR contiguous channels per m.
 */
static void pack_a_im2col_t(const pack_ctx *c, float *dst, long r0, int mc, long m0, int kc) {
  const float *img = c->data;
  const long C = c->sc;
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int mr = mc - i0 < MR ? mc - i0 : MR;
    float *d = dst + (long)i0 * kc;
    long rfirst = r0 + i0;
    long tap0 = rfirst / C, ch0 = rfirst - tap0 * C;
    int oneTap = ch0 + mr <= C;
    long ty[MR], tx[MR], tc[MR];
    for (int i = 0; i < mr; i++) {
      long r = rfirst + i;
      long tap = r / C;
      ty[i] = c->offy[tap];
      tx[i] = c->offx[tap];
      tc[i] = r - tap * C;
    }
    long gx = m0 % c->gw, t = m0 / c->gw;
    long gy = t % c->gh, n = t / c->gh;
    for (int k = 0; k < kc; k++) {
      float *o = d + k * MR;
      const float *base = img + n * c->sh * c->sw * C;
      long by = gy * c->rsy, bx = gx * c->rsx;
      if (oneTap) {
        long y = by + ty[0], x = bx + tx[0];
        if (y < 0 || y >= c->sh || x < 0 || x >= c->sw) {
          for (int i = 0; i < MR; i++) o[i] = 0.f;
        } else {
          const float *s = base + (y * c->sw + x) * C + ch0;
          int i = 0;
          for (; i < mr; i++) o[i] = s[i];
          for (; i < MR; i++) o[i] = 0.f;
        }
      } else {
        int i = 0;
        for (; i < mr; i++) {
          long y = by + ty[i], x = bx + tx[i];
          o[i] = (y < 0 || y >= c->sh || x < 0 || x >= c->sw) ? 0.f : base[(y * c->sw + x) * C + tc[i]];
        }
        for (; i < MR; i++) o[i] = 0.f;
      }
      if (++gx == c->gw) {
        gx = 0;
        if (++gy == c->gh) {
          gy = 0;
          n++;
        }
      }
    }
  }
}

/*
 * B of the dx GEMM: B(k, n) with k = (tap, out-channel), n = in-channel, the value
 * W[tapIndex[tap], n, co] of the [taps, Cin, Cout] filter (a transpose per tap).
 */
static void pack_b_filter_t(const pack_ctx *c, float *dst, long k0, int kc, long n0, int nc) {
  const float *w = c->data;
  const long cout = c->sc; /* out channels = the GEMM's k within a tap */
  const long cin = c->ld;  /* in channels = the GEMM's n */
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int nr = nc - j0 < NR ? nc - j0 : NR;
    float *d = dst + (long)j0 * kc;
    for (int k = 0; k < kc; k++) {
      long kk = k0 + k;
      long tap = kk / cout, co = kk - tap * cout;
      const float *src = w + (long)c->tapIndex[tap] * cin * cout + (n0 + j0) * cout + co;
      int j = 0;
      for (; j < nr; j++) d[k * NR + j] = src[j * cout];
      for (; j < NR; j++) d[k * NR + j] = 0.f;
    }
  }
}

void pack_a(const pack_ctx *c, float *dst, long m0, int mc, long k0, int kc) {
  switch (c->kind) {
    case PACK_DENSE: pack_a_dense(c, dst, m0, mc, k0, kc); break;
    case PACK_IM2COL: pack_a_im2col(c, dst, m0, mc, k0, kc); break;
    case PACK_IM2COL_T: pack_a_im2col_t(c, dst, m0, mc, k0, kc); break;
    default: break;
  }
}

void pack_b(const pack_ctx *c, float *dst, long k0, int kc, long n0, int nc) {
  switch (c->kind) {
    case PACK_DENSE: pack_b_dense(c, dst, k0, kc, n0, nc); break;
    case PACK_FILTER_T: pack_b_filter_t(c, dst, k0, kc, n0, nc); break;
    default: break;
  }
}
