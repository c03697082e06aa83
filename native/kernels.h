#ifndef MEDINETS_KERNELS_H
#define MEDINETS_KERNELS_H

/* The kernels behind the Node-API entry points (bindings.c); callers have checked the shapes. */

#include "gemm.h" /* gemm_epilogue */

/* The geometry of a convolution: NHWC images, [kh, kw, Cin, Cout] filters. */
typedef struct {
  long n, h, w, cin, ho, wo, cout, kh, kw, sh, sw, dh, dw, pt, pl;
  int act;
} conv_dims;

/*
 * Convolution passes (conv.c); alpha is the leaky-ReLU slope of the fused activation. The
 * forward's affine, when not NULL, is [2, cout]: an inference batch norm's scale a and shift b,
 * applied after the bias and before the activation (gemm.h's gemm_epilogue).
 */
int conv_forward(const float *x, const float *w, const float *bias, float *out, const conv_dims *d, float alpha,
                 const float *affine);
int conv_backprop_input(const float *dy, const float *w, float *dx, const conv_dims *d);
int conv_backprop_filter(const float *x, const float *dy, float *dw, const conv_dims *d);
/*
 * 3x3 stride-1 forward (with the epilogue `ep`) and dx by Winograd F(4x4, 3x3) (winograd.c):
 * 1 done, 0 not its shape, -1 no memory.
 */
int winograd_forward(const float *x, const float *w, const gemm_epilogue *ep, float *y, const conv_dims *d);
int winograd_backprop_input(const float *dy, const float *w, float *dx, const conv_dims *d);
/* dW of a 3x3 stride-1 convolution by the transposed F(4x4, 3x3): 1 done, 0 not its shape, -1 no memory. */
int winograd_backprop_filter(const float *x, const float *dy, float *dw, const conv_dims *d);
/* Winograd on or off (on unless MEDINETS_NATIVE_WINOGRAD=0), for comparisons. */
void winograd_enable(int on);
/* dW without im2col when Cin is a multiple of 16 (conv-filter-grad.c): 0 when not its shape. */
int conv_filter_grad(const float *x, const float *dy, float *dw, const conv_dims *d, int *rc);

/*
 * The batch dimensions of a matrix product, broadcast numpy-style: output batch i, as a
 * row-major index over out[0..rank), reads A's matrix sum(idx[d] * strideA[d]) and B's
 * likewise (a stride of 0 where that operand's extent is 1).
 */
#define MM_MAX_RANK 8
typedef struct {
  int rank;
  long batch;
  long out[MM_MAX_RANK], strideA[MM_MAX_RANK], strideB[MM_MAX_RANK];
} mm_batch;

/* C[i] = op(A[ia]) op(B[ib]) (+ bias, activation) for every output batch i (matmul.c). */
int batch_matmul(const float *a, const float *b, const float *bias, float *c, const mm_batch *bt, long M, long N,
                 long K, int transA, int transB, int act, float alpha);

/* Batch norm, channels last (batch-norm.c). */
/* act 1: a ReLU capped at cap follows (fused), and coef receives the forward's float64 a and shift
 * (2c values, any alignment) that the fused gradient takes back to recompute the ReLU's input. */
int bn_train(const float *x, const float *scale, const float *offset, float *y, float *mean, float *var,
             float *inv, long n, long c, double eps, int act, float cap, void *coef);
int bn_train_grad(const float *dy, const float *x, const float *scale, const float *mean, const float *inv,
                  float *dx, float *dscale, float *doffset, long n, long c, int act, float cap, const void *coef);
int bn_infer(const float *x, const float *mean, const float *var, const float *scale, const float *offset, float *y,
             long n, long c, float eps, int act, float cap);

/* Elementwise (elementwise.c, on the pool) and concatenation (concat.c). */
enum bin_op { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_DIV = 3 };
#define BIN_OPS 4
void binary_op(int op, const float *a, const float *b, float *y, long n);
/* y[o, m, i] = big[o, m, i] op small[o, i] (smallFirst: small op big), big [outer, mid, inner] */
void binary_bcast(int op, const float *big, const float *small, float *y, long outer, long mid, long inner,
                  int smallFirst);
/* out[p, j] = scale * sum over i of x[p, i, j], x [pre, mid, inner], out [pre, inner] */
void reduce_mid(const float *x, float *out, long pre, long mid, long inner, double scale);
void relu(const float *x, float *y, long n);
void relu_cap(const float *x, float *y, long n, float cap);
void relu_grad(const float *dy, const float *x, float *dx, long n, float cap);
void clip_grad(const float *dy, const float *x, float *dx, long n, float lo, float hi);
void concat_rows(float *out, const float *const *ins, const long *inner, int count, long outer);
void split_rows(const float *x, float *const *outs, const long *inner, int count, long outer);
/* dst[d .. d + len) = src[s .. s + len) for each (s, d, len) of `count` runs (checked by the caller) */
void copy_runs(const float *src, float *dst, const int *runs, long count);

/* Max pooling and its gradient, channels last (pooling.c); p: 14 parameters. */
int max_pool(const float *x, float *y, const int *p);
int max_pool_grad(const float *dy, const float *x, float *dx, const int *p);

/*
 * Optimizer updates (optimizers.c): kind's inputs are {param, grad, state...}, its outputs
 * {param, state...} in the same order, each of n values; s holds its float32 scalars.
 */
enum optim_kind { OPTIM_ADAM = 0, OPTIM_MOMENTUM = 1, OPTIM_RMSPROP = 2, OPTIM_RMSPROP_CENTERED = 3, OPTIM_SGD = 4 };
#define OPTIM_KINDS 5
typedef struct {
  int ins, outs, scalars;
} optim_shape;
extern const optim_shape OPTIM_SHAPES[OPTIM_KINDS];
void optim_update(int kind, const float *const *in, float *const *out, const float *s, long n);

/* glibc's malloc keeps freed tensor memory (memory.c); whether it was tuned. */
void tune_malloc(void);
int malloc_tuned(void);

#endif
