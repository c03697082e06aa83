/*
 * The register block of wasm/gemm.c's matrix product, shared with wasm/winograd.c (both built
 * into the kernels' module and into the relaxed-SIMD product's).
 */
#ifndef MEDINETS_GEMM_H
#define MEDINETS_GEMM_H
#include <wasm_simd128.h>

typedef float f32;

/* rows of A per register block: 4 x 8 of C in 8 registers, 2 of B and 1 of A */
#define MR 4
#ifdef MEDINETS_RELAXED
#define MADD(a, b, c) __builtin_wasm_fma_f32x4((a), (b), (c))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif
#define NR 8
/* k block: an A sliver (MR x KC) and a B sliver (KC x 8) stay in L1 */
#define KC 256

/*
 * c[MR x 8] (ldc) = init + a[kc][MR] b[kc][8], products added one k at a time to
 * accumulators that start from init: 0 zeros, 1 c itself, 2 the 8 values at `bias` on every
 * row. A sum over several k blocks is then the same sequence of roundings as one pass.
 */
/* Floats of B [k, n] packed in panels of 8 columns (zeros past n): gemm_pack_b's layout. */
long gemm_packed_b_floats(long k, long n);

void gemm_tile(long kc, const f32 *restrict a, const f32 *restrict b, f32 *restrict c, long ldc, long init,
               const f32 *bias);

#endif
