/*
 * medinets' GEMM driver: blocked and packed (pack.c), with the micro-kernels of
 * microkernels.c (AVX-512 12x32 tiles where the CPU has it, else AVX2/FMA 6x16), then the
 * bias and activation epilogue. The convolutions (conv.c) are implicit GEMMs on it.
 *
 * Every output element is computed by exactly one thread, with the same order of
 * summation whatever the number of threads, so results do not depend on the thread count.
 */
#include "gemm.h"

#include <stdlib.h>
#include <string.h>

#define KC 256
#define MC 144
#define NC 1024

/*
 * crow[j] = activation(v[j]) for one row of nr values (columns n..), after the epilogue's affine
 * (v[j] scale[n + j] + shift[n + j], in place) when it has one: a loop per activation with no branch
 * inside, so it vectorises. With a switch and a branch per element (random signs mispredict
 * half the time) a ReLU or ReLU6 epilogue cost 5-10x the GEMM of a 1x1 convolution
 * (MobileNetV2's folded expansions: 8x64x64x16 -> 96 with ReLU6 20-40 ms against 3-5 ms).
 */
static void store_act(float *restrict crow, float *restrict v, int nr, long n, const gemm_epilogue *e) {
  if (e->scale != NULL)
    for (int j = 0; j < nr; j++) v[j] = v[j] * e->scale[n + j] + e->shift[n + j];
  switch (e->act) {
    case ACT_RELU:
      for (int j = 0; j < nr; j++) crow[j] = v[j] > 0.f ? v[j] : 0.f;
      break;
    case ACT_RELU6:
      for (int j = 0; j < nr; j++) crow[j] = v[j] < 0.f ? 0.f : (v[j] > 6.f ? 6.f : v[j]);
      break;
    case ACT_LEAKY:
      for (int j = 0; j < nr; j++) crow[j] = v[j] < 0.f ? v[j] * e->alpha : v[j];
      break;
    default:
      for (int j = 0; j < nr; j++) crow[j] = v[j];
  }
}

/* ------------------------------------------------------------------- driver -- */

static void *aligned(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  return p;
}

/*
 * One mr x nr sub-tile of accumulated products (acc, NR per row) into C at (m, n): stored on
 * the first K block, added on the others, with bias and activation on the last.
 */
static void store_tile(const gemm_args *g, const float *acc, long m, long n, int mr, int nr, int first, int last) {
  for (int i = 0; i < mr; i++) {
    float *crow = g->c + (g->rowOff ? g->rowOff[m + i] : (m + i) * g->ldc) + n;
    const float *av = acc + i * NR;
    float t[NR];
    if (first && last) {
      if (g->ep.bias || g->ep.scale || g->ep.act != ACT_NONE) {
        for (int j = 0; j < nr; j++) t[j] = av[j] + (g->ep.bias ? g->ep.bias[n + j] : 0.f);
        store_act(crow, t, nr, n, &g->ep);
      } else {
        for (int j = 0; j < nr; j++) crow[j] = av[j];
      }
    } else if (first) {
      for (int j = 0; j < nr; j++) crow[j] = av[j];
    } else if (!last) {
      for (int j = 0; j < nr; j++) crow[j] += av[j];
    } else {
      for (int j = 0; j < nr; j++) t[j] = crow[j] + av[j] + (g->ep.bias ? g->ep.bias[n + j] : 0.f);
      store_act(crow, t, nr, n, &g->ep);
    }
  }
}

/* The tiles of one packed block (mc x nc, K block kc) on the 6x16 kernels. */
static void block_narrow(const gemm_args *g, const float *ap, const float *bp, long ic, int mc, long jc, int nc, int kc,
                         int first, int last, int isa) {
  float acc[MR * NR] __attribute__((aligned(64)));
  for (int jr = 0; jr < nc; jr += NR) {
    int nr = nc - jr < NR ? nc - jr : NR;
    for (int ir = 0; ir < mc; ir += MR) {
      int mr = mc - ir < MR ? mc - ir : MR;
      if (kc == 0)
        memset(acc, 0, sizeof acc);
      else if (isa >= ISA_AVX2)
        ukernel_avx2(kc, ap + (long)ir * kc, bp + (long)jr * kc, acc);
      else
        ukernel_scalar(kc, ap + (long)ir * kc, bp + (long)jr * kc, acc);
      store_tile(g, acc, ic + ir, jc + jr, mr, nr, first, last);
    }
  }
}

/*
 * The same block in 12x32 tiles on the AVX-512 kernel; at an edge with a single panel left
 * the kernel reads that panel twice and the duplicate sub-tiles are dropped.
 */
static void block_wide(const gemm_args *g, const float *ap, const float *bp, long ic, int mc, long jc, int nc, int kc,
                       int first, int last) {
  float acc[4 * MR * NR] __attribute__((aligned(64)));
  for (int jr = 0; jr < nc; jr += 2 * NR) {
    int two_n = jr + NR < nc;
    for (int ir = 0; ir < mc; ir += 2 * MR) {
      int two_m = ir + MR < mc;
      const float *a0 = ap + (long)ir * kc, *b0 = bp + (long)jr * kc;
      if (kc == 0)
        memset(acc, 0, sizeof acc);
      else
        ukernel_avx512(kc, a0, two_m ? a0 + (long)MR * kc : a0, b0, two_n ? b0 + (long)NR * kc : b0, acc);
      for (int mi = 0; mi <= two_m; mi++)
        for (int ni = 0; ni <= two_n; ni++) {
          int r = ir + mi * MR, c = jr + ni * NR;
          int mr = mc - r < MR ? mc - r : MR, nr = nc - c < NR ? nc - c : NR;
          store_tile(g, acc + (mi * 2 + ni) * MR * NR, ic + r, jc + c, mr, nr, first, last);
        }
    }
  }
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
  const int isa = cpu_isa();
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
        if (isa == ISA_AVX512)
          block_wide(g, ap, bp, ic, mc, jc, nc, kc, first, last);
        else
          block_narrow(g, ap, bp, ic, mc, jc, nc, kc, first, last, isa);
      }
      pc += KC;
    } while (pc < K);
  }
  free(ap);
  free(bp);
  return 0;
}
