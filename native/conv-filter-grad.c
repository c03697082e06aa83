/*
 * dW of a convolution whose in-channels come in sixteens, without the packed im2col:
 * dW[(tap, ci), co] = sum over output pixels m of x[m + tap, ci] * dy[m, co]. The micro-tile
 * broadcasts 8 in-channels of one tap, read in place from x (contiguous in NHWC; zeros
 * outside the image), and multiplies them with 32 (AVX-512) or 16 (AVX2) out-channels of dy
 * read in place (masked at the edge): nothing is copied.
 *
 * The pixels are summed in chunks fixed by the shape: one FMA chain per output over each
 * chunk, from zero, then added to dW in chunk order. The chunks, not the thread count or the
 * ISA, fix the order of summation: AVX-512 and AVX2 give the same bits, whatever the split.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "kernels.h"

#define CHUNK_MAX 1024
#define RT 8 /* in-channels per tile row group: cin % 16 == 0 keeps one tap per tile */

/*
 * acc (8 x 32) = sum over p < np of x_p[i] * dy_p[0..31], x_p = ptr[p] + ci0 and
 * dy_p = dy + p * ldy; columns at and past nr are read as zeros (masked).
 */
__attribute__((target("avx512f"))) static void dwk_avx512(long np, const float *const *ptr, long ci0,
                                                          const float *dy, long ldy, int nr, float *acc) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps();
  __m512 c11 = _mm512_setzero_ps(), c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps(), c40 = _mm512_setzero_ps();
  __m512 c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps();
  __m512 c71 = _mm512_setzero_ps();
  const __mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
  for (long p = 0; p < np; p++, dy += ldy) {
    const float *a = ptr[p] + ci0;
    __m512 u = _mm512_maskz_loadu_ps(m0, dy), v = _mm512_maskz_loadu_ps(m1, dy + 16);
#define FMA(i)                                  \
  do {                                          \
    __m512 s = _mm512_set1_ps(a[i]);            \
    c##i##0 = _mm512_fmadd_ps(s, u, c##i##0);  \
    c##i##1 = _mm512_fmadd_ps(s, v, c##i##1);  \
  } while (0)
    FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5); FMA(6); FMA(7);
#undef FMA
  }
#define STORE(i)                                    \
  do {                                              \
    _mm512_storeu_ps(acc + (i) * 32, c##i##0);      \
    _mm512_storeu_ps(acc + (i) * 32 + 16, c##i##1); \
  } while (0)
  STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6); STORE(7);
#undef STORE
}

/* acc (8 x 16) likewise, 16 columns. */
__attribute__((target("avx2,fma"))) static void dwk_avx2(long np, const float *const *ptr, long ci0,
                                                         const float *dy, long ldy, int nr, float *acc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
  __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
  __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  __m256 c60 = _mm256_setzero_ps(), c61 = _mm256_setzero_ps(), c70 = _mm256_setzero_ps();
  __m256 c71 = _mm256_setzero_ps();
  int lanes0[8], lanes1[8];
  for (int q = 0; q < 8; q++) {
    lanes0[q] = q < nr ? -1 : 0;
    lanes1[q] = q + 8 < nr ? -1 : 0;
  }
  const __m256i k0 = _mm256_loadu_si256((const __m256i *)lanes0), k1 = _mm256_loadu_si256((const __m256i *)lanes1);
  for (long p = 0; p < np; p++, dy += ldy) {
    const float *a = ptr[p] + ci0;
    __m256 u = _mm256_maskload_ps(dy, k0), v = _mm256_maskload_ps(dy + 8, k1);
#define FMA(i)                                  \
  do {                                          \
    __m256 s = _mm256_broadcast_ss(a + i);      \
    c##i##0 = _mm256_fmadd_ps(s, u, c##i##0);  \
    c##i##1 = _mm256_fmadd_ps(s, v, c##i##1);  \
  } while (0)
    FMA(0); FMA(1); FMA(2); FMA(3); FMA(4); FMA(5); FMA(6); FMA(7);
#undef FMA
  }
#define STORE(i)                                   \
  do {                                             \
    _mm256_storeu_ps(acc + (i) * 16, c##i##0);     \
    _mm256_storeu_ps(acc + (i) * 16 + 8, c##i##1); \
  } while (0)
  STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6); STORE(7);
#undef STORE
}

void dw_tile(int avx512, long np, const float *const *ptr, long ci0, const float *dy, long ldy, int nr, float *out,
             long ldo, int first) {
  const long ct = avx512 ? 32 : 16;
  float acc[RT * 32] __attribute__((aligned(64)));
  if (avx512)
    dwk_avx512(np, ptr, ci0, dy, ldy, nr, acc);
  else
    dwk_avx2(np, ptr, ci0, dy, ldy, nr, acc);
  for (long i = 0; i < RT; i++) {
    const float *a = acc + i * ct;
    float *o = out + i * ldo;
    if (first)
      for (int q = 0; q < nr; q++) o[q] = a[q];
    else
      for (int q = 0; q < nr; q++) o[q] += a[q];
  }
}

typedef struct {
  const float *x, *dy, *zero;
  float *dw;
  const conv_dims *d;
  long M, ntaps, chunk, ct;  /* ct: out-channels per tile, 32 (AVX-512) or 16 (AVX2) */
  long rtiles, ctiles, tiles; /* rtiles: groups of RT rows (tap, in-channel) */
  int avx512;
  int pack; /* copy each chunk's RT in-channels together (wide pixels read by several column tiles) */
} fg_job;

/* The x pixel of output pixel m under tap t, or zeros outside the image. */
static void tap_pointers(const fg_job *j, long m0, long np, const float **ptr) {
  const conv_dims *d = j->d;
  for (long t = 0; t < j->ntaps; t++) {
    long oy = t / d->kw * d->dh - d->pt, ox = t % d->kw * d->dw - d->pl;
    long m = m0;
    long wx = m % d->wo, q = m / d->wo, wy = q % d->ho, n = q / d->ho;
    for (long p = 0; p < np; p++) {
      long y = wy * d->sh + oy, x = wx * d->sw + ox;
      ptr[t * j->chunk + p] =
          (y < 0 || y >= d->h || x < 0 || x >= d->w) ? j->zero : j->x + ((n * d->h + y) * d->w + x) * d->cin;
      if (++wx == d->wo) {
        wx = 0;
        if (++wy == d->ho) {
          wy = 0;
          n++;
        }
      }
    }
  }
}

static int share(void *ctx, int part, int parts) {
  const fg_job *j = ctx;
  const conv_dims *d = j->d;
  long t0 = j->tiles * part / parts, t1 = j->tiles * (part + 1) / parts;
  if (t1 <= t0) return 0;
  const float **ptr = malloc(sizeof(float *) * j->chunk * (j->ntaps + 1));
  float *xp = malloc(sizeof(float) * j->chunk * RT);
  if (ptr == NULL || xp == NULL) {
    free(ptr);
    free(xp);
    return -1;
  }
  /* the chunk's RT in-channels of one tap, packed pixel by pixel: read by every column tile */
  const float **pp = ptr + j->chunk * j->ntaps;
  for (long p = 0; p < j->chunk; p++) pp[p] = xp + p * RT;
  for (long m0 = 0; m0 < j->M; m0 += j->chunk) {
    long np = j->M - m0 < j->chunk ? j->M - m0 : j->chunk;
    int first = m0 == 0;
    tap_pointers(j, m0, np, ptr);
    long packed = -1;
    for (long tile = t0; tile < t1; tile++) {
      long r = tile / j->ctiles, cg = tile % j->ctiles;
      long row0 = r * RT, tap = row0 / d->cin, ci0 = row0 % d->cin;
      long co0 = cg * j->ct;
      int nr = d->cout - co0 < j->ct ? (int)(d->cout - co0) : (int)j->ct;
      const float *dy = j->dy + m0 * d->cout + co0;
      const float *const *tp = ptr + tap * j->chunk;
      long c0 = ci0;
      if (j->pack && r != packed) {
        for (long p = 0; p < np; p++) memcpy(xp + p * RT, tp[p] + ci0, sizeof(float) * RT);
        packed = r;
      }
      if (j->pack) tp = pp, c0 = 0;
      dw_tile(j->avx512, np, tp, c0, dy, d->cout, nr, j->dw + row0 * d->cout + co0, d->cout, first);
    }
  }
  free(ptr);
  free(xp);
  return 0;
}

/*
 * dW for in-channels a multiple of 16 on an AVX2 or AVX-512 CPU; returns 1 when it ran
 * (status in *rc), 0 when the shape or CPU is not its (the packed GEMM does it then).
 */
int conv_filter_grad(const float *x, const float *dy, float *dw, const conv_dims *d, int *rc) {
  const int isa = cpu_isa();
  if (isa < ISA_AVX2 || d->cin % 16 != 0 || d->cin == 0) return 0;
  fg_job j;
  memset(&j, 0, sizeof j);
  j.x = x;
  j.dy = dy;
  j.dw = dw;
  j.d = d;
  j.M = d->n * d->ho * d->wo;
  j.ntaps = d->kh * d->kw;
  j.avx512 = isa == ISA_AVX512;
  j.ct = j.avx512 ? 32 : 16;
  /* pixels per chunk: dy's rows of a chunk stay in L2; fixed by the shape alone */
  j.chunk = d->cout <= 128 ? CHUNK_MAX : d->cout <= 256 ? 512 : 256;
  j.rtiles = j.ntaps * d->cin / RT;
  j.ctiles = (d->cout + j.ct - 1) / j.ct;
  j.tiles = j.rtiles * j.ctiles;
  /* measured: pixels of 256+ in-channels (1 KB apart) read by 2+ column tiles gain 15-35 %;
   * narrower pixels or a single column tile lose to the copy */
  j.pack = d->cin >= 256 && j.ctiles >= 2;
  if (j.M == 0) {
    memset(dw, 0, sizeof(float) * j.ntaps * d->cin * d->cout);
    *rc = 0;
    return 1;
  }
  float *zero = calloc((size_t)d->cin, sizeof(float));
  if (zero == NULL) {
    *rc = -1;
    return 1;
  }
  j.zero = zero;
  double work = (double)j.M * j.ntaps * d->cin * d->cout;
  *rc = pool_run(share, &j, work < 2e5 ? 1 : (int)(j.tiles < 16 ? j.tiles : 16));
  free(zero);
  return 1;
}
