/*
 * The Node-API entry points of the depthwise convolution (depthwise.c): every extent,
 * stride, dilation, padding and length is checked here (with napi-args.c's convolution
 * helpers, shared with bindings-conv.c), before a kernel touches memory.
 *
 * Parameters arrive as one Int32Array of 16 values (DW_PARAMS below).
 */
#include "depthwise.h"
#include "gemm.h"
#include "napi-args.h"

static const char *const DW_PARAMS[16] = {
    "batch",        "inHeight",    "inWidth",     "channels",       "outHeight",     "outWidth",
    "multiplier",   "filterHeight", "filterWidth", "strideHeight",  "strideWidth",   "dilationHeight",
    "dilationWidth", "padTop",     "padLeft",     "activation"};

static const conv_shapes DW_SHAPES = {"[batch, inHeight, inWidth, channels]",
                                      "[batch, outHeight, outWidth, channels * multiplier]",
                                      "[filterHeight, filterWidth, channels, multiplier]", "[channels * multiplier]",
                                      "[2, channels * multiplier]"};

/* The 16 parameters of argument i, checked, and the sizes of the image, output and filter. */
static int get_dw_dims(const call_t *c, size_t i, dw_dims *d, long sizes[3]) {
  long v[16];
  if (!arg_conv_params(c, i, DW_PARAMS, v)) return 0;
  *d = (dw_dims){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14],
                 (int)v[15]};
  long im[4] = {d->n, d->h, d->w, d->c}, o[5] = {d->n, d->ho, d->wo, d->c, d->m}, f[4] = {d->kh, d->kw, d->c, d->m};
  /* Work is bounded by the arrays: the kernels return at once on an empty output or filter,
   * and visit only the taps that land inside the image. */
  return (sizes[0] = arg_product(c, "the input [batch, inHeight, inWidth, channels]", 4, im)) >= 0 &&
         (sizes[1] = arg_product(c, "the output [batch, outHeight, outWidth, channels * multiplier]", 5, o)) >= 0 &&
         (sizes[2] = arg_product(c, "the filter [filterHeight, filterWidth, channels, multiplier]", 4, f)) >= 0;
}

/* depthwiseConv2d(x, filter, bias|null, out, params, alpha, affine?|null): affine [2, channels * multiplier] */
napi_value js_dw_conv2d(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg a[5];
  dw_dims d;
  long s[3];
  double alpha;
  if (!arg_conv_forward(&c, env, info, "depthwiseConv2d", a, &alpha) || !get_dw_dims(&c, 4, &d, s) ||
      !arg_conv_forward_sizes(&c, &DW_SHAPES, a, s, d.c * d.m))
    return NULL;
  kernel_status(&c, dw_forward(a[0].p, a[1].p, a[2].p, a[3].p, &d, (float)alpha, a[4].p));
  return NULL;
}

/* A gradient pass (in0, in1, out, params) and the kernel that computes it. */
typedef struct {
  grad_pass io;
  int (*run)(const float *, const float *, float *, const dw_dims *);
} dw_pass;

static const dw_pass DX_PASS = {{"depthwiseConv2dBackpropInput", {"dy", "filter", "dx"}, {1, 2, 0}},
                                dw_backprop_input};
static const dw_pass DW_PASS = {{"depthwiseConv2dBackpropFilter", {"x", "dy", "dw"}, {0, 1, 2}},
                                dw_backprop_filter};

static napi_value run_pass(napi_env env, napi_callback_info info, const dw_pass *pass) {
  call_t c;
  f32_arg a[3];
  dw_dims d;
  long s[3];
  if (!arg_grad_arrays(&c, env, info, &pass->io, a) || !get_dw_dims(&c, 3, &d, s)) return NULL;
  if (d.act != ACT_NONE) return arg_fail(&c, 0, "params[15] (activation): a gradient takes none"), NULL;
  if (!arg_grad_sizes(&c, &pass->io, &DW_SHAPES, a, s)) return NULL;
  kernel_status(&c, pass->run(a[0].p, a[1].p, a[2].p, &d));
  return NULL;
}

napi_value js_dw_conv2d_dx(napi_env env, napi_callback_info info) { return run_pass(env, info, &DX_PASS); }
napi_value js_dw_conv2d_dw(napi_env env, napi_callback_info info) { return run_pass(env, info, &DW_PASS); }
