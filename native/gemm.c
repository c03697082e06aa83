/*
 * medinets native kernels: a blocked, packed single-precision GEMM with an AVX2/FMA
 * 6x16 micro-kernel, and the three convolution passes (forward, dx, dW) expressed as
 * implicit GEMMs whose packing routines read the image directly (no im2col buffer).
 *
 * Every output element is computed by exactly one thread, with the same order of
 * summation whatever the number of threads, so results do not depend on the thread count.
 */
#include "gemm.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define MR 6
#define NR 16
#define KC 256
#define MC 144
#define NC 1024

/* ------------------------------------------------------------------ packers -- */

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

/* -------------------------------------------------------------- micro-kernel -- */

__attribute__((target("avx2,fma"))) static void ukernel_avx2(long kc, const float *a, const float *b, float *acc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (long k = 0; k < kc; k++) {
    __m256 b0 = _mm256_loadu_ps(b);
    __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a + 0);
    __m256 a1 = _mm256_broadcast_ss(a + 1);
    c00 = _mm256_fmadd_ps(a0, b0, c00);
    c01 = _mm256_fmadd_ps(a0, b1, c01);
    c10 = _mm256_fmadd_ps(a1, b0, c10);
    c11 = _mm256_fmadd_ps(a1, b1, c11);
    __m256 a2 = _mm256_broadcast_ss(a + 2);
    __m256 a3 = _mm256_broadcast_ss(a + 3);
    c20 = _mm256_fmadd_ps(a2, b0, c20);
    c21 = _mm256_fmadd_ps(a2, b1, c21);
    c30 = _mm256_fmadd_ps(a3, b0, c30);
    c31 = _mm256_fmadd_ps(a3, b1, c31);
    __m256 a4 = _mm256_broadcast_ss(a + 4);
    __m256 a5 = _mm256_broadcast_ss(a + 5);
    c40 = _mm256_fmadd_ps(a4, b0, c40);
    c41 = _mm256_fmadd_ps(a4, b1, c41);
    c50 = _mm256_fmadd_ps(a5, b0, c50);
    c51 = _mm256_fmadd_ps(a5, b1, c51);
    a += MR;
    b += NR;
  }
  _mm256_storeu_ps(acc + 0, c00);
  _mm256_storeu_ps(acc + 8, c01);
  _mm256_storeu_ps(acc + 16, c10);
  _mm256_storeu_ps(acc + 24, c11);
  _mm256_storeu_ps(acc + 32, c20);
  _mm256_storeu_ps(acc + 40, c21);
  _mm256_storeu_ps(acc + 48, c30);
  _mm256_storeu_ps(acc + 56, c31);
  _mm256_storeu_ps(acc + 64, c40);
  _mm256_storeu_ps(acc + 72, c41);
  _mm256_storeu_ps(acc + 80, c50);
  _mm256_storeu_ps(acc + 88, c51);
}

static void ukernel_scalar(long kc, const float *a, const float *b, float *acc) {
  for (int i = 0; i < MR * NR; i++) acc[i] = 0.f;
  for (long k = 0; k < kc; k++) {
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i * NR + j] += a[i] * b[j];
    a += MR;
    b += NR;
  }
}

static int g_avx2 = -1; /* atomic: callers on several threads may ask at once */

int cpu_has_avx2_fma(void) {
  int v = __atomic_load_n(&g_avx2, __ATOMIC_RELAXED);
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    __atomic_store_n(&g_avx2, v, __ATOMIC_RELAXED);
  }
  return v;
}

static inline float activate(float v, const gemm_epilogue *e) {
  switch (e->act) {
    case ACT_RELU: return v > 0.f ? v : 0.f;
    case ACT_RELU6: return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case ACT_LEAKY: return v < 0.f ? v * e->alpha : v;
    default: return v;
  }
}

/* ------------------------------------------------------------------- driver -- */

static void *aligned(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  return p;
}

/*
 * C[rows m0..m1, cols n0..n1] = A B (+ bias, activation), one thread's share.
 * C(m, n) lives at C + rowOff[m] + n when rowOff is given, else C + m * ldc + n.
 */
int gemm_range(const gemm_args *g, long m0, long m1, long n0, long n1) {
  if (m1 <= m0 || n1 <= n0) return 0;
  float *ap = aligned((size_t)MC * KC * sizeof(float));
  float *bp = aligned((size_t)NC * KC * sizeof(float));
  if (ap == NULL || bp == NULL) {
    free(ap);
    free(bp);
    return -1;
  }
  void (*uk)(long, const float *, const float *, float *) = cpu_has_avx2_fma() ? ukernel_avx2 : ukernel_scalar;
  float acc[MR * NR] __attribute__((aligned(32)));
  const long K = g->K;
  for (long jc = n0; jc < n1; jc += NC) {
    int nc = (int)(n1 - jc < NC ? n1 - jc : NC);
    /* one pass even when K == 0, so that C still gets the bias and activation */
    long pc = 0;
    do {
      int kc = (int)(K - pc < KC ? K - pc : KC);
      int first = pc == 0, last = pc + kc >= K;
      if (kc > 0) pack_b(&g->b, bp, pc, kc, jc, nc);
      for (long ic = m0; ic < m1; ic += MC) {
        int mc = (int)(m1 - ic < MC ? m1 - ic : MC);
        if (kc > 0) pack_a(&g->a, ap, ic, mc, pc, kc);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? mc - ir : MR;
            if (kc > 0)
              uk(kc, ap + (long)ir * kc, bp + (long)jr * kc, acc);
            else
              memset(acc, 0, sizeof acc);
            for (int i = 0; i < mr; i++) {
              long m = ic + ir + i;
              float *crow = g->c + (g->rowOff ? g->rowOff[m] : m * g->ldc) + jc + jr;
              const float *av = acc + i * NR;
              if (first && last) {
                if (g->ep.bias || g->ep.act != ACT_NONE) {
                  for (int j = 0; j < nr; j++) {
                    float v = av[j] + (g->ep.bias ? g->ep.bias[jc + jr + j] : 0.f);
                    crow[j] = activate(v, &g->ep);
                  }
                } else {
                  for (int j = 0; j < nr; j++) crow[j] = av[j];
                }
              } else if (first) {
                for (int j = 0; j < nr; j++) crow[j] = av[j];
              } else if (!last) {
                for (int j = 0; j < nr; j++) crow[j] += av[j];
              } else {
                for (int j = 0; j < nr; j++) {
                  float v = crow[j] + av[j] + (g->ep.bias ? g->ep.bias[jc + jr + j] : 0.f);
                  crow[j] = activate(v, &g->ep);
                }
              }
            }
          }
        }
      }
      pc += KC;
    } while (pc < K);
  }
  free(ap);
  free(bp);
  return 0;
}
