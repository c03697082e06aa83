/*
 * The Node-API entry points of the convolutions (conv.c) and matrix products (matmul.c):
 * every shape, stride and length is checked here (the convolutions with napi-args.c's helpers,
 * shared with bindings-depthwise.c), before a kernel touches memory.
 *
 * Convolution parameters arrive as one Int32Array of 16 values (CONV_PARAMS below).
 */
#include <limits.h>
#include <stdio.h>

#include "gemm.h"
#include "kernels.h"
#include "napi-args.h"

static const char *const CONV_PARAMS[16] = {
    "batch",       "inHeight",     "inWidth",      "inChannels",     "outHeight",     "outWidth",
    "outChannels", "filterHeight", "filterWidth",  "strideHeight",   "strideWidth",   "dilationHeight",
    "dilationWidth", "padTop",     "padLeft",      "activation"};

static const conv_shapes CONV_SHAPES = {"[batch, inHeight, inWidth, inChannels]",
                                        "[batch, outHeight, outWidth, outChannels]",
                                        "[filterHeight, filterWidth, inChannels, outChannels]", "[outChannels]",
                                        "[2, outChannels]"};

/* The 16 convolution parameters of argument i, checked, and the three sizes they imply. */
static int get_dims(const call_t *c, size_t i, conv_dims *d, long sizes[3]) {
  long v[16];
  if (!arg_conv_params(c, i, CONV_PARAMS, v)) return 0;
  *d = (conv_dims){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14],
                   (int)v[15]};
  if (d->kh * d->kw > MAX_TAPS)
    return arg_fail(c, 0, "params: a %ldx%ld filter has more than %d taps", d->kh, d->kw, MAX_TAPS);
  long im[4] = {d->n, d->h, d->w, d->cin}, o[4] = {d->n, d->ho, d->wo, d->cout},
       f[4] = {d->kh, d->kw, d->cin, d->cout};
  return (sizes[0] = arg_product(c, "the input [batch, inHeight, inWidth, inChannels]", 4, im)) >= 0 &&
         (sizes[1] = arg_product(c, "the output [batch, outHeight, outWidth, outChannels]", 4, o)) >= 0 &&
         (sizes[2] = arg_product(c, "the filter [filterHeight, filterWidth, inChannels, outChannels]", 4, f)) >= 0;
}

/* conv2d(x, filter, bias|null, out, params, alpha, affine?|null): affine [2, outChannels] (kernels.h) */
napi_value js_conv2d(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg a[5];
  conv_dims d;
  long s[3];
  double alpha;
  if (!arg_conv_forward(&c, env, info, "conv2d", a, &alpha) || !get_dims(&c, 4, &d, s) ||
      !arg_conv_forward_sizes(&c, &CONV_SHAPES, a, s, d.cout))
    return NULL;
  kernel_status(&c, conv_forward(a[0].p, a[1].p, a[2].p, a[3].p, &d, (float)alpha, a[4].p));
  return NULL;
}

/* A gradient pass (in0, in1, out, params) and the kernel that computes it. */
typedef struct {
  grad_pass io;
  int (*run)(const float *, const float *, float *, const conv_dims *);
} conv_pass;

static const conv_pass DX_PASS = {{"conv2dBackpropInput", {"dy", "filter", "dx"}, {1, 2, 0}}, conv_backprop_input};
static const conv_pass DW_PASS = {{"conv2dBackpropFilter", {"x", "dy", "dw"}, {0, 1, 2}}, conv_backprop_filter};

static napi_value run_grad_pass(napi_env env, napi_callback_info info, const conv_pass *pass) {
  call_t c;
  f32_arg a[3];
  conv_dims d;
  long s[3];
  if (!arg_grad_arrays(&c, env, info, &pass->io, a) || !get_dims(&c, 3, &d, s) ||
      !arg_grad_sizes(&c, &pass->io, &CONV_SHAPES, a, s))
    return NULL;
  kernel_status(&c, pass->run(a[0].p, a[1].p, a[2].p, &d));
  return NULL;
}

napi_value js_conv2d_dx(napi_env env, napi_callback_info info) { return run_grad_pass(env, info, &DX_PASS); }
napi_value js_conv2d_dw(napi_env env, napi_callback_info info) { return run_grad_pass(env, info, &DW_PASS); }

/*
 * The batch dimensions of matmul params p (len values): [batchA, batchB] alone (equal, or
 * one of them 1), or followed by rank and A's and B's batch extents (left-padded with 1s),
 * broadcast numpy-style.
 */
static int get_batch(const call_t *c, const int *p, size_t len, mm_batch *bt) {
  long bA = p[0], bB = p[1];
  if (!arg_range(c, "params[0] (batchA)", bA, 0, INT_MAX) || !arg_range(c, "params[1] (batchB)", bB, 0, INT_MAX))
    return 0;
  long ea[MM_MAX_RANK], eb[MM_MAX_RANK];
  if (len == 8) {
    bt->rank = 1;
    ea[0] = bA;
    eb[0] = bB;
  } else {
    if (!arg_range(c, "params[8] (rank)", p[8], 1, MM_MAX_RANK)) return 0;
    bt->rank = p[8];
    if (len != 9 + 2 * (size_t)bt->rank)
      return arg_fail(c, 0, "params: rank %d needs %d values, got %zu", bt->rank, 9 + 2 * bt->rank, len);
    for (int d = 0; d < bt->rank; d++) {
      ea[d] = p[9 + d];
      eb[d] = p[9 + bt->rank + d];
      if (!arg_range(c, "params: a batch extent of a", ea[d], 0, INT_MAX) ||
          !arg_range(c, "params: a batch extent of b", eb[d], 0, INT_MAX))
        return 0;
    }
    long pa = arg_product(c, "a's batch", bt->rank, ea), pb = arg_product(c, "b's batch", bt->rank, eb);
    if (pa < 0 || pb < 0) return 0;
    if (pa != bA || pb != bB)
      return arg_fail(c, 0, "params: the batch extents multiply to %ld and %ld, not batchA %ld and batchB %ld", pa,
                      pb, bA, bB);
  }
  long sa = 1, sb = 1;
  for (int d = bt->rank - 1; d >= 0; d--) {
    if (ea[d] != eb[d] && ea[d] != 1 && eb[d] != 1)
      return arg_fail(c, 0, "params: batch dimension %d of a (%ld) and b (%ld) do not broadcast", d, ea[d], eb[d]);
    bt->out[d] = ea[d] == 1 ? eb[d] : ea[d];
    bt->strideA[d] = ea[d] == 1 ? 0 : sa;
    bt->strideB[d] = eb[d] == 1 ? 0 : sb;
    sa *= ea[d];
    sb *= eb[d];
  }
  bt->batch = arg_product(c, "the output's batch", bt->rank, bt->out);
  return bt->batch >= 0;
}

/*
 * matmul(a, b, bias|null, c, params, alpha); params: batchA, batchB, M, N, K, transA, transB,
 * activation[, rank, A's batch extents, B's batch extents].
 */
napi_value js_matmul(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg a, b, bias, out;
  const int *p;
  size_t lp;
  double alpha;
  mm_batch bt;
  if (!call_init(&c, env, info, "matmul", 6) || !arg_f32(&c, 0, "a", 0, &a) || !arg_f32(&c, 1, "b", 0, &b) ||
      !arg_f32(&c, 2, "bias", 1, &bias) || !arg_f32(&c, 3, "c", 0, &out) ||
      !arg_i32(&c, 4, "params", 8, 9 + 2 * MM_MAX_RANK, &p, &lp) || !arg_number(&c, 5, "alpha", &alpha))
    return NULL;
  if (lp != 8 && lp < 11) return arg_fail(&c, 0, "params: expected 8 values, or 9 + 2 * rank, got %zu", lp), NULL;
  long M = p[2], N = p[3], K = p[4];
  if (!arg_range(&c, "params[2] (M)", M, 0, INT_MAX) || !arg_range(&c, "params[3] (N)", N, 0, INT_MAX) ||
      !arg_range(&c, "params[4] (K)", K, 0, INT_MAX) || !arg_range(&c, "params[5] (transA)", p[5], 0, 1) ||
      !arg_range(&c, "params[6] (transB)", p[6], 0, 1) ||
      !arg_range(&c, "params[7] (activation)", p[7], ACT_NONE, ACT_LEAKY) || !get_batch(&c, p, lp, &bt))
    return NULL;
  long da[3] = {p[0], M, K}, db[3] = {p[1], K, N}, dc[3] = {bt.batch, M, N};
  long na = arg_product(&c, "a [batchA, M, K]", 3, da), nb = arg_product(&c, "b [batchB, K, N]", 3, db),
       nc = arg_product(&c, "c [batch, M, N]", 3, dc);
  if (na < 0 || nb < 0 || nc < 0) return NULL;
  const f32_arg *ins[] = {&a, &b, &bias};
  if (!arg_len(&c, &a, na, "[batchA, M, K]") || !arg_len(&c, &b, nb, "[batchB, K, N]") ||
      !arg_len(&c, &out, nc, "[batch, M, N]") || (bias.present && !arg_len(&c, &bias, N, "[N]")) ||
      !arg_disjoint(&c, &out, ins, 3))
    return NULL;
  kernel_status(&c, batch_matmul(a.p, b.p, bias.p, out.p, &bt, M, N, K, p[5], p[6], p[7], (float)alpha));
  return NULL;
}
