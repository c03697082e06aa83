/*
 * The depthwise kernels of each instruction set: depthwise-body.h compiled for AVX-512
 * (16 lanes), AVX2/FMA (8) and plain C (1) with its lane macros, chosen at run time by CPUID
 * (cpu_isa, microkernels.c, which MEDINETS_NATIVE_ISA caps). A lane rounds as the scalar
 * fmaf, and the masked tails compute only their own lanes: all three give the same bits.
 */
#include <immintrin.h>
#include <math.h>

#include "depthwise-kernels.h"
#include "gemm.h"

/* AVX-512: 4 vectors (64 channels) by 4 pixels of forward accumulators; dW 9 taps x 2. */
#define DW_TARGET __attribute__((target("avx512f,avx2,fma")))
#define DW_NAME(f) dw_##f##_avx512
#define V __m512
#define VL 16
#define NVF 4
#define NVW 2
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_LOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), p)
#define V_STOREN(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1u), v)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_MIN(a, b) _mm512_min_ps(a, b)
#define V_SET1(a) _mm512_set1_ps(a)
#define V_LEAKY(v, a) _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, V_ZERO(), _CMP_LT_OQ), v, a)
#include "depthwise-body.h"

/* The first n of 8 lanes, for AVX2's masked loads and stores. */
static const int LANES[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* AVX2: 2 vectors (16 channels) by 4 pixels; dW 9 taps x 1 (16 ymm registers). */
#define DW_TARGET __attribute__((target("avx2,fma")))
#define DW_NAME(f) dw_##f##_avx2
#define V __m256
#define VL 8
#define NVF 2
#define NVW 1
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_LOADN(p, n) _mm256_maskload_ps(p, _mm256_loadu_si256((const __m256i *)(LANES + 8 - (n))))
#define V_STOREN(p, v, n) _mm256_maskstore_ps(p, _mm256_loadu_si256((const __m256i *)(LANES + 8 - (n))), v)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_MIN(a, b) _mm256_min_ps(a, b)
#define V_SET1(a) _mm256_set1_ps(a)
#define V_LEAKY(v, a) _mm256_blendv_ps(v, _mm256_mul_ps(v, a), _mm256_cmp_ps(v, V_ZERO(), _CMP_LT_OQ))
#include "depthwise-body.h"

/* Plain C, one lane: the operators mirror maxps / minps (the second operand on NaN). */
#define DW_TARGET
#define DW_NAME(f) dw_##f##_scalar
#define V float
#define VL 1
#define NVF 1
#define NVW 1
#define V_ZERO() 0.0f
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_LOADN(p, n) ((void)(n), *(p))
#define V_STOREN(p, v, n) ((void)(n), *(p) = (v))
#define V_FMA(a, b, c) fmaf(a, b, c)
#define V_ADD(a, b) ((a) + (b))
#define V_MUL(a, b) ((a) * (b))
#define V_MAX(a, b) ((a) > (b) ? (a) : (b))
#define V_MIN(a, b) ((a) < (b) ? (a) : (b))
#define V_SET1(a) (a)
#define V_LEAKY(v, a) ((v) < 0.0f ? (v) * (a) : (v))
#include "depthwise-body.h"

const dw_isa *dw_kernels(void) {
  switch (cpu_isa()) {
    case ISA_AVX512: return &dw_isa_avx512;
    case ISA_AVX2: return &dw_isa_avx2;
    default: return &dw_isa_scalar;
  }
}

