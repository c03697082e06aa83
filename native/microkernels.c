/*
 * The GEMM's micro-kernels. Each accumulates a tile of C over k in order, one fused
 * multiply-add per (element, k): the AVX-512 and AVX2 kernels give the same bits, and the
 * tile split (thread count, ISA) never changes an element's order of summation.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

__attribute__((target("avx2,fma"))) void ukernel_avx2(long kc, const float *a, const float *b, float *acc) {
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

void ukernel_scalar(long kc, const float *a, const float *b, float *acc) {
  for (int i = 0; i < MR * NR; i++) acc[i] = 0.f;
  for (long k = 0; k < kc; k++) {
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i * NR + j] += a[i] * b[j];
    a += MR;
    b += NR;
  }
}

/*
 * A 12x32 tile as four 6x16 sub-tiles: A panels a0 (rows 0-5) and a1 (rows 6-11), B panels
 * b0 (columns 0-15) and b1 (16-31), in the packed layouts of the 6x16 kernels (so the
 * packers serve both ISAs); acc receives the sub-tiles (a0 b0, a0 b1, a1 b0, a1 b1), 96
 * values each. 24 accumulators in zmm registers: 2 loads and 12 broadcasts per 24 FMAs.
 */
__attribute__((target("avx512f"))) void ukernel_avx512(long kc, const float *a0, const float *a1, const float *b0,
                                                       const float *b1, float *acc) {
#define ROW(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps()
  ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5); ROW(6); ROW(7); ROW(8); ROW(9); ROW(10); ROW(11);
#undef ROW
  for (long k = 0; k < kc; k++) {
    __m512 p = _mm512_loadu_ps(b0), q = _mm512_loadu_ps(b1);
#define FMA(i, src, j)                          \
  do {                                          \
    __m512 s = _mm512_set1_ps((src)[j]);        \
    c##i##0 = _mm512_fmadd_ps(s, p, c##i##0);  \
    c##i##1 = _mm512_fmadd_ps(s, q, c##i##1);  \
  } while (0)
    FMA(0, a0, 0); FMA(1, a0, 1); FMA(2, a0, 2); FMA(3, a0, 3); FMA(4, a0, 4); FMA(5, a0, 5);
    FMA(6, a1, 0); FMA(7, a1, 1); FMA(8, a1, 2); FMA(9, a1, 3); FMA(10, a1, 4); FMA(11, a1, 5);
#undef FMA
    a0 += MR;
    a1 += MR;
    b0 += NR;
    b1 += NR;
  }
#define STORE(i, blk, r)                                    \
  do {                                                      \
    _mm512_storeu_ps(acc + (blk) * 96 + (r) * 16, c##i##0); \
    _mm512_storeu_ps(acc + (blk + 1) * 96 + (r) * 16, c##i##1); \
  } while (0)
  STORE(0, 0, 0); STORE(1, 0, 1); STORE(2, 0, 2); STORE(3, 0, 3); STORE(4, 0, 4); STORE(5, 0, 5);
  STORE(6, 2, 0); STORE(7, 2, 1); STORE(8, 2, 2); STORE(9, 2, 3); STORE(10, 2, 4); STORE(11, 2, 5);
#undef STORE
}

/*
 * The micro-kernel this CPU runs: 2 = AVX-512, 1 = AVX2/FMA, 0 = scalar. The environment
 * variable MEDINETS_NATIVE_ISA=avx2 (or scalar) caps it, so that tests can run each path.
 */
static int g_isa = -1; /* atomic: callers on several threads may ask at once */

int cpu_isa(void) {
  int v = __atomic_load_n(&g_isa, __ATOMIC_RELAXED);
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? ISA_AVX2 : ISA_SCALAR;
    if (v == ISA_AVX2 && __builtin_cpu_supports("avx512f")) v = ISA_AVX512;
    const char *cap = getenv("MEDINETS_NATIVE_ISA");
    if (cap != NULL && strcmp(cap, "avx2") == 0 && v > ISA_AVX2) v = ISA_AVX2;
    if (cap != NULL && strcmp(cap, "scalar") == 0) v = ISA_SCALAR;
    __atomic_store_n(&g_isa, v, __ATOMIC_RELAXED);
  }
  return v;
}

int cpu_has_avx2_fma(void) { return cpu_isa() >= ISA_AVX2; }
