/*
 * The indirect GEMM of the convolutions (forward and dx): A is never packed. Each micro-tile
 * reads its rows' input pixels in place through a table of pointers, one per (tap, row), to
 * the pixel's Cin channels (or to zeros outside the image) -- the scheme of XNNPACK's igemm.
 * The packing routines of gemm.c copied every im2col value with scalar strided stores, as
 * much work as the multiply-adds themselves when Cout is small. B (the filter) is packed
 * once per call, by all threads, in the 16-column panels of the micro-kernels, and the whole
 * K is summed in registers: no K blocks stored and re-added.
 *
 * Every output element is one chain of fused multiply-adds over k = (tap, channel) in order,
 * from zero, on the AVX-512 (12x32 tiles) and AVX2 (6x16) paths alike: the two give the same
 * bits, and the split between threads (whole tiles) never changes them.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

/* Tiles per block of rows: their pointer tables are built once and reused across all of N. */
#define MBLOCK 8

/* ------------------------------------------------------------- micro-kernels -- */

/*
 * A full tile's epilogue in registers, as store() computes it per element: + bias, the affine
 * (v * scale, then + shift), then ReLU (s > 0 ? s : 0), ReLU6 (s < 0 ? 0 : s > 6 ? 6 : s) or
 * leaky (s < 0 ? s alpha : s).
 */
__attribute__((target("avx512f"))) static inline __m512 epi512(__m512 v, const tile_out *o, __m512 bias,
                                                               __m512 scale, __m512 shift) {
  if (o->bias != NULL) v = _mm512_add_ps(v, bias);
  if (o->scale != NULL) v = _mm512_add_ps(_mm512_mul_ps(v, scale), shift);
  const __m512 zero = _mm512_setzero_ps();
  switch (o->act) {
    case ACT_RELU:
      return _mm512_max_ps(v, zero); /* NaN and -0 give +0, as s > 0 ? s : 0 */
    case ACT_RELU6: {
      const __m512 six = _mm512_set1_ps(6.0f);
      v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, zero);
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, six, _CMP_GT_OQ), v, six);
    }
    case ACT_LEAKY:
      return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, _mm512_set1_ps(o->alpha));
    default:
      return v;
  }
}

/*
 * acc (12 x 32: rows of 32) = sum over (tap, k) of ptr[tap][i][k] * (b0 | b1)[tap * cin + k];
 * with `out` given, the full tile goes straight to C through the epilogue instead (small K made
 * the round trip through acc and store() a third of the time).
 */
__attribute__((target("avx512f"))) void ik_avx512(long ntaps, long cin, const float *const *ptr,
                                                         const float *b0, const float *b1, float *acc,
                                                         const tile_out *out) {
#define ROW(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps()
  ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5); ROW(6); ROW(7); ROW(8); ROW(9); ROW(10); ROW(11);
#undef ROW
  for (long t = 0; t < ntaps; t++, ptr += 12) {
    const float *a0 = ptr[0], *a1 = ptr[1], *a2 = ptr[2], *a3 = ptr[3], *a4 = ptr[4], *a5 = ptr[5];
    const float *a6 = ptr[6], *a7 = ptr[7], *a8 = ptr[8], *a9 = ptr[9], *a10 = ptr[10], *a11 = ptr[11];
    for (long k = 0; k < cin; k++) {
      __m512 p = _mm512_loadu_ps(b0), q = _mm512_loadu_ps(b1);
#define FMA(i)                                  \
  do {                                          \
    __m512 s = _mm512_set1_ps(a##i[k]);         \
    c##i##0 = _mm512_fmadd_ps(s, p, c##i##0);  \
    c##i##1 = _mm512_fmadd_ps(s, q, c##i##1);  \
  } while (0)
      FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5); FMA(6); FMA(7); FMA(8); FMA(9); FMA(10); FMA(11);
#undef FMA
      b0 += NR;
      b1 += NR;
    }
  }
  if (out != NULL) {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 bl = out->bias ? _mm512_loadu_ps(out->bias) : zero;
    const __m512 bh = out->bias ? _mm512_loadu_ps(out->bias + 16) : zero;
    const __m512 sl = out->scale ? _mm512_loadu_ps(out->scale) : zero;
    const __m512 sh = out->scale ? _mm512_loadu_ps(out->scale + 16) : zero;
    const __m512 tl = out->scale ? _mm512_loadu_ps(out->shift) : zero;
    const __m512 th = out->scale ? _mm512_loadu_ps(out->shift + 16) : zero;
    float *c = out->c;
    const long ld = out->ldc;
#define DIRECT(i)                                                          \
  do {                                                                     \
    _mm512_storeu_ps(c + (i) * ld, epi512(c##i##0, out, bl, sl, tl));      \
    _mm512_storeu_ps(c + (i) * ld + 16, epi512(c##i##1, out, bh, sh, th)); \
  } while (0)
    DIRECT(0); DIRECT(1); DIRECT(2); DIRECT(3); DIRECT(4); DIRECT(5);
    DIRECT(6); DIRECT(7); DIRECT(8); DIRECT(9); DIRECT(10); DIRECT(11);
#undef DIRECT
    return;
  }
#define STORE(i)                                  \
  do {                                            \
    _mm512_storeu_ps(acc + (i) * 32, c##i##0);    \
    _mm512_storeu_ps(acc + (i) * 32 + 16, c##i##1); \
  } while (0)
  STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5);
  STORE(6); STORE(7); STORE(8); STORE(9); STORE(10); STORE(11);
#undef STORE
}

/* acc (6 x 16) likewise, for one B panel. */
__attribute__((target("avx2,fma"))) void ik_avx2(long ntaps, long cin, const float *const *ptr,
                                                        const float *b, float *acc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
  __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
  __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (long t = 0; t < ntaps; t++, ptr += 6) {
    const float *a0 = ptr[0], *a1 = ptr[1], *a2 = ptr[2], *a3 = ptr[3], *a4 = ptr[4], *a5 = ptr[5];
    for (long k = 0; k < cin; k++) {
      __m256 p = _mm256_loadu_ps(b), q = _mm256_loadu_ps(b + 8);
#define FMA(i)                                  \
  do {                                          \
    __m256 s = _mm256_broadcast_ss(a##i + k);   \
    c##i##0 = _mm256_fmadd_ps(s, p, c##i##0);  \
    c##i##1 = _mm256_fmadd_ps(s, q, c##i##1);  \
  } while (0)
      FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5);
#undef FMA
      b += NR;
    }
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

/* ------------------------------------------------------------------- driver -- */

typedef struct {
  const gemm_args *g;
  long ntaps, cin, K;
  float *bp;         /* B packed: panel p (columns 16p..16p+15) at bp + p * K * NR */
  const float *zero; /* cin zeros: the taps outside the image */
  int mt, nt;        /* tile: 12x32 (AVX-512) or 6x16 (AVX2) */
  int avx512;
  long mtiles, ntiles;
  int splitRows;
} ig_job;

/* The pointers of rows m0 .. m0 + mt - 1 (zeros past M), tap-major: ptr[tap * mt + i]. */
static void row_pointers(const ig_job *j, long m0, const float **ptr) {
  const gemm_args *g = j->g;
  const pack_ctx *a = &g->a;
  for (int i = 0; i < j->mt; i++) {
    long m = m0 + i;
    if (m >= g->M) {
      for (long t = 0; t < j->ntaps; t++) ptr[t * j->mt + i] = j->zero;
      continue;
    }
    if (a->kind == PACK_DENSE) {
      ptr[i] = a->data + m * a->ld;
      continue;
    }
    long gx = m % a->gw, q = m / a->gw;
    long gy = q % a->gh, n = q / a->gh;
    const float *base = a->data + n * a->sh * a->sw * a->sc;
    for (long t = 0; t < j->ntaps; t++) {
      long y = gy * a->rsy + a->offy[t], x = gx * a->rsx + a->offx[t];
      ptr[t * j->mt + i] = (y < 0 || y >= a->sh || x < 0 || x >= a->sw) ? j->zero : base + (y * a->sw + x) * a->sc;
    }
  }
}

/*
 * acc's rows (row stride ld) into C rows m.., columns n.., with bias, affine and activation: one
 * branch-free loop per activation, so that it vectorises (a per-element switch mispredicts
 * on random signs, as gemm.c's store_tile found).
 */
static void store(const gemm_args *g, const float *acc, long ld, long m, long n, int mr, int nr) {
  const float *bias = g->ep.bias ? g->ep.bias + n : NULL;
  const float *scale = g->ep.scale ? g->ep.scale + n : NULL, *shift = g->ep.scale ? g->ep.shift + n : NULL;
  const float alpha = g->ep.alpha;
  float t[32];
  for (int i = 0; i < mr; i++) {
    float *restrict c = g->c + (g->rowOff ? g->rowOff[m + i] : (m + i) * g->ldc) + n;
    const float *s = acc + i * ld;
    if (bias != NULL) {
      for (int q = 0; q < nr; q++) t[q] = s[q] + bias[q];
      s = t;
    }
    if (scale != NULL) {
      for (int q = 0; q < nr; q++) t[q] = s[q] * scale[q] + shift[q];
      s = t;
    }
    switch (g->ep.act) {
      case ACT_RELU:
        for (int q = 0; q < nr; q++) c[q] = s[q] > 0.f ? s[q] : 0.f;
        break;
      case ACT_RELU6:
        for (int q = 0; q < nr; q++) c[q] = s[q] < 0.f ? 0.f : (s[q] > 6.f ? 6.f : s[q]);
        break;
      case ACT_LEAKY:
        for (int q = 0; q < nr; q++) c[q] = s[q] < 0.f ? s[q] * alpha : s[q];
        break;
      default:
        memcpy(c, s, sizeof(float) * nr);
    }
  }
}

/* Rows tiles [t0, t1) by column tiles [u0, u1). */
static void run_tiles(const ig_job *j, long t0, long t1, long u0, long u1, const float **ptr) {
  const gemm_args *g = j->g;
  float acc[12 * 32] __attribute__((aligned(64)));
  const long panels = (g->N + NR - 1) / NR;
  for (long b0 = t0; b0 < t1; b0 += MBLOCK) {
    long b1 = b0 + MBLOCK < t1 ? b0 + MBLOCK : t1;
    for (long t = b0; t < b1; t++) row_pointers(j, t * j->mt, ptr + (t - b0) * j->ntaps * j->mt);
    for (long u = u0; u < u1; u++) {
      long p = u * (j->nt / NR); /* first panel of the column tile */
      const float *bp0 = j->bp + p * j->K * NR;
      const float *bp1 = p + 1 < panels ? bp0 + j->K * NR : bp0;
      long n = u * j->nt;
      int nr = g->N - n < j->nt ? (int)(g->N - n) : j->nt;
      for (long t = b0; t < b1; t++) {
        const float **tp = ptr + (t - b0) * j->ntaps * j->mt;
        long m = t * j->mt;
        int mr = g->M - m < j->mt ? (int)(g->M - m) : j->mt;
        if (j->avx512 && mr == 12 && nr == 32 && g->rowOff == NULL) {
          const tile_out o = {g->c + m * g->ldc + n,
                              g->ldc,
                              g->ep.bias ? g->ep.bias + n : NULL,
                              g->ep.scale ? g->ep.scale + n : NULL,
                              g->ep.scale ? g->ep.shift + n : NULL,
                              g->ep.act,
                              g->ep.alpha};
          ik_avx512(j->ntaps, j->cin, tp, bp0, bp1, acc, &o);
        } else if (j->avx512) {
          ik_avx512(j->ntaps, j->cin, tp, bp0, bp1, acc, NULL);
          store(g, acc, 32, m, n, mr, nr);
        } else {
          ik_avx2(j->ntaps, j->cin, tp, bp0, acc);
          store(g, acc, 16, m, n, mr, nr);
        }
      }
    }
  }
}

static int share(void *ctx, int part, int parts) {
  const ig_job *j = ctx;
  const float **ptr = malloc(sizeof(float *) * MBLOCK * j->mt * j->ntaps);
  if (ptr == NULL) return -1;
  if (j->splitRows)
    run_tiles(j, j->mtiles * part / parts, j->mtiles * (part + 1) / parts, 0, j->ntiles, ptr);
  else
    run_tiles(j, 0, j->mtiles, j->ntiles * part / parts, j->ntiles * (part + 1) / parts, ptr);
  free(ptr);
  return 0;
}

/* Each thread packs a share of B's panels. */
static int pack_share(void *ctx, int part, int parts) {
  const ig_job *j = ctx;
  const long panels = (j->g->N + NR - 1) / NR;
  long p0 = panels * part / parts, p1 = panels * (part + 1) / parts;
  if (p1 > p0) {
    long n1 = p1 * NR < j->g->N ? p1 * NR : j->g->N;
    pack_b(&j->g->b, j->bp + p0 * j->K * NR, 0, (int)j->K, p0 * NR, (int)(n1 - p0 * NR));
  }
  return 0;
}

/*
 * C = A B (+ bias, activation) for a convolution's GEMM: A an implicit im2col (PACK_IM2COL)
 * or a dense row-major matrix (PACK_DENSE, not transposed), B dense or a transposed filter.
 * Other operands, an empty K and CPUs without AVX2 take gemm_parallel.
 */
int conv_gemm(const gemm_args *g) {
  const int isa = cpu_isa();
  const int aOk = g->a.kind == PACK_IM2COL || (g->a.kind == PACK_DENSE && !g->a.trans);
  const int bOk = g->b.kind == PACK_DENSE || g->b.kind == PACK_FILTER_T;
  if (isa < ISA_AVX2 || !aOk || !bOk || g->K == 0 || g->K > (long)1 << 30 || g->M == 0 || g->N == 0)
    return gemm_parallel(g);
  ig_job j;
  memset(&j, 0, sizeof j);
  j.g = g;
  j.K = g->K;
  j.ntaps = g->a.kind == PACK_DENSE ? 1 : g->a.ntaps;
  j.cin = g->K / j.ntaps;
  j.avx512 = isa == ISA_AVX512;
  j.mt = j.avx512 ? 2 * MR : MR;
  j.nt = j.avx512 ? 2 * NR : NR;
  j.mtiles = (g->M + j.mt - 1) / j.mt;
  j.ntiles = (g->N + j.nt - 1) / j.nt;
  const long panels = (g->N + NR - 1) / NR;
  j.bp = aligned_alloc(64, (size_t)panels * g->K * NR * sizeof(float));
  float *zero = calloc((size_t)j.cin, sizeof(float));
  j.zero = zero;
  int rc = -1;
  if (j.bp != NULL && zero != NULL) {
    rc = pool_run(pack_share, &j, (int)(panels < 16 ? panels : 16));
    if (rc == 0) {
      int threads = pool_threads();
      j.splitRows = j.mtiles >= 2L * threads || j.ntiles < threads;
      long units = j.splitRows ? j.mtiles : j.ntiles;
      int parts = (double)g->M * g->N * g->K < 2e5 ? 1 : (int)(units < 16 ? units : 16);
      rc = pool_run(share, &j, parts);
    }
  }
  free(j.bp);
  free(zero);
  return rc;
}
