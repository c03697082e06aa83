#ifndef MEDINETS_GEMM_H
#define MEDINETS_GEMM_H

/* How a packing routine reads its operand. */
enum pack_kind { PACK_DENSE = 0, PACK_IM2COL = 1, PACK_IM2COL_T = 2, PACK_FILTER_T = 3 };

#define MAX_TAPS 256

/* The micro-tile of the packed panels: MR rows of A by NR columns of B. */
#define MR 6
#define NR 16

/* An operand of the GEMM: a dense matrix, an implicit im2col of an NHWC image, or a filter. */
typedef struct {
  int kind;
  const float *data;
  long ld;   /* dense: leading dimension; FILTER_T: in-channels */
  int trans; /* dense: stored transposed */
  /* image (IM2COL, IM2COL_T): [n, sh, sw, sc]; FILTER_T: sc = out-channels */
  long sh, sw, sc;
  /* grid of GEMM rows (IM2COL) or columns (IM2COL_T): (n, gh, gw), strides rsy, rsx */
  long gh, gw, rsy, rsx;
  /* taps: offsets added to the grid position (IM2COL*), filter tap index (FILTER_T) */
  long ntaps;
  long offy[MAX_TAPS], offx[MAX_TAPS];
  int tapIndex[MAX_TAPS];
} pack_ctx;

enum act_kind { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKY = 3 };

/*
 * The epilogue of every output value v: + bias[col]; then, with an affine (an inference batch
 * norm folded into the epilogue), v * scale[col] + shift[col], each operation rounded on its own
 * as a separate batch-norm pass computes it; then the activation.
 */
typedef struct {
  const float *bias;  /* per output column, or NULL */
  const float *scale; /* per output column, or NULL (then no affine) */
  const float *shift; /* per output column, with scale */
  int act;
  float alpha;
} gemm_epilogue;

/* C (M x N) = A (M x K) B (K x N), then bias and activation. */
typedef struct {
  long M, N, K;
  pack_ctx a, b;
  float *c;
  long ldc;
  const long *rowOff; /* optional: C row m starts at c + rowOff[m] */
  gemm_epilogue ep;
} gemm_args;

/* The convolutions' GEMM (igemm.c): A read in place through row pointers where it can be. */
int conv_gemm(const gemm_args *g);

/* A full 12 x 32 tile's destination and epilogue (+ bias, affine, activation as igemm.c's store()). */
typedef struct {
  float *c; /* row 0, column 0 of the tile in C */
  long ldc;
  const float *bias;  /* the tile's 32 columns' bias, or NULL */
  const float *scale; /* the tile's 32 columns' affine, or NULL (gemm_epilogue) */
  const float *shift;
  int act;
  float alpha;
} tile_out;
/*
 * igemm.c's micro-kernels: acc (12 x 32, rows of 32; AVX2: 6 x 16) = the sum over taps t and
 * channels k of ptr[t * rows + i][k] times the packed B panels' row t * cin + k, each output one
 * FMA chain in that order from zero (the same bits on both); with `out`, the AVX-512 tile goes
 * straight to C through the epilogue instead of acc.
 */
void ik_avx512(long ntaps, long cin, const float *const *ptr, const float *b0, const float *b1, float *acc,
               const tile_out *out);
void ik_avx2(long ntaps, long cin, const float *const *ptr, const float *b, float *acc);
/*
 * One tile of a filter gradient on conv-filter-grad.c's micro-kernels: for i < 8 and j < nr
 * (at most 32 on AVX-512, 16 on AVX2), the sum over p < np of ptr[p][ci0 + i] times
 * dy[p * ldy + j], one FMA chain over p in order from zero (the same bits on both), written to
 * out[i * ldo + j] when `first`, else added to it.
 */
void dw_tile(int avx512, long np, const float *const *ptr, long ci0, const float *dy, long ldy, int nr, float *out,
             long ldo, int first);

/* The micro-kernels (microkernels.c) and the instruction set chosen for this CPU. */
enum isa_kind { ISA_SCALAR = 0, ISA_AVX2 = 1, ISA_AVX512 = 2 };
int cpu_isa(void);
int cpu_has_avx2_fma(void);
void ukernel_scalar(long kc, const float *a, const float *b, float *acc);
void ukernel_avx2(long kc, const float *a, const float *b, float *acc);
void ukernel_avx512(long kc, const float *a0, const float *a1, const float *b0, const float *b1, float *acc);
void pack_a(const pack_ctx *c, float *dst, long m0, int mc, long k0, int kc);
void pack_b(const pack_ctx *c, float *dst, long k0, int kc, long n0, int nc);
int gemm_range(const gemm_args *g, long m0, long m1, long n0, long n1);

/* Run the GEMM on the thread pool (thread-pool.c), splitting rows, or columns when rows are few. */
int gemm_parallel(const gemm_args *g);
void pool_set_threads(int n);
int pool_threads(void);
/*
 * Runs run(ctx, part, parts) for part = 0 .. parts - 1 on the pool, parts = min(maxParts, the
 * thread count), the caller taking part 0; returns the first non-zero status. A kernel whose
 * results must not depend on the thread count computes each output in one part, or sums
 * per-chunk partials over a split of its own that does not depend on `parts`.
 */
int pool_run(int (*run)(void *ctx, int part, int parts), void *ctx, int maxParts);

#endif
