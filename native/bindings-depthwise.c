/*
 * The Node-API entry points of the depthwise convolution (depthwise.c): every extent,
 * stride, dilation, padding and length is checked here, before a kernel touches memory.
 *
 * Parameters arrive as one Int32Array of 16 values (DW_PARAMS below).
 */
#include <limits.h>
#include <stdio.h>

#include "depthwise.h"
#include "gemm.h"
#include "napi-args.h"

static const char *const DW_PARAMS[16] = {
    "batch",        "inHeight",    "inWidth",     "channels",       "outHeight",     "outWidth",
    "multiplier",   "filterHeight", "filterWidth", "strideHeight",  "strideWidth",   "dilationHeight",
    "dilationWidth", "padTop",     "padLeft",     "activation"};

/* The lowest accepted value of each: extents may be 0 (an empty tensor), taps and steps not. */
static const long DW_MIN[16] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, ACT_NONE};

#define IMAGE_SHAPE "[batch, inHeight, inWidth, channels]"
#define OUT_SHAPE "[batch, outHeight, outWidth, channels * multiplier]"
#define FILTER_SHAPE "[filterHeight, filterWidth, channels, multiplier]"

/* The 16 parameters of argument i, checked, and the sizes of the image, output and filter. */
static int get_dw_dims(const call_t *c, size_t i, dw_dims *d, long sizes[3]) {
  const int *p;
  size_t len;
  if (!arg_i32(c, i, "params", 16, 16, &p, &len)) return 0;
  long v[16];
  char what[48];
  for (int k = 0; k < 16; k++) {
    v[k] = p[k];
    snprintf(what, sizeof what, "params[%d] (%s)", k, DW_PARAMS[k]);
    if (!arg_range(c, what, v[k], DW_MIN[k], k == 15 ? ACT_LEAKY : INT_MAX)) return 0;
  }
  *d = (dw_dims){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14],
                 (int)v[15]};
  long im[4] = {d->n, d->h, d->w, d->c}, o[5] = {d->n, d->ho, d->wo, d->c, d->m}, f[4] = {d->kh, d->kw, d->c, d->m};
  if ((sizes[0] = arg_product(c, "the input " IMAGE_SHAPE, 4, im)) < 0) return 0;
  if ((sizes[1] = arg_product(c, "the output " OUT_SHAPE, 5, o)) < 0) return 0;
  if ((sizes[2] = arg_product(c, "the filter " FILTER_SHAPE, 4, f)) < 0) return 0;
  /* Work is bounded by the arrays: the kernels return at once on an empty output or filter,
   * and visit only the taps that land inside the image. */
  return 1;
}

/* depthwiseConv2d(x, filter, bias|null, out, params, alpha) */
napi_value js_dw_conv2d(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg x, w, bias, out;
  dw_dims d;
  long s[3];
  double alpha;
  if (!call_init(&c, env, info, "depthwiseConv2d", 6) || !arg_f32(&c, 0, "x", 0, &x) ||
      !arg_f32(&c, 1, "filter", 0, &w) || !arg_f32(&c, 2, "bias", 1, &bias) || !arg_f32(&c, 3, "out", 0, &out) ||
      !get_dw_dims(&c, 4, &d, s) || !arg_number(&c, 5, "alpha", &alpha))
    return NULL;
  const f32_arg *ins[] = {&x, &w, &bias};
  if (!arg_len(&c, &x, s[0], IMAGE_SHAPE) || !arg_len(&c, &w, s[2], FILTER_SHAPE) ||
      !arg_len(&c, &out, s[1], OUT_SHAPE) ||
      (bias.present && !arg_len(&c, &bias, d.c * d.m, "[channels * multiplier]")) || !arg_disjoint(&c, &out, ins, 3))
    return NULL;
  kernel_status(&c, dw_forward(x.p, w.p, bias.p, out.p, &d, (float)alpha));
  return NULL;
}

/* A gradient pass (in0, in1, out, params): the arrays' names and which size each has. */
typedef struct {
  const char *fn, *names[3], *shapes[3];
  int size[3]; /* 0: image, 1: output, 2: filter */
  int (*run)(const float *, const float *, float *, const dw_dims *);
} dw_pass;

static const dw_pass DX_PASS = {"depthwiseConv2dBackpropInput",
                                {"dy", "filter", "dx"},
                                {OUT_SHAPE, FILTER_SHAPE, IMAGE_SHAPE},
                                {1, 2, 0},
                                dw_backprop_input};
static const dw_pass DW_PASS = {"depthwiseConv2dBackpropFilter",
                                {"x", "dy", "dw"},
                                {IMAGE_SHAPE, OUT_SHAPE, FILTER_SHAPE},
                                {0, 1, 2},
                                dw_backprop_filter};

static napi_value run_pass(napi_env env, napi_callback_info info, const dw_pass *pass) {
  call_t c;
  f32_arg a[3];
  dw_dims d;
  long s[3];
  if (!call_init(&c, env, info, pass->fn, 4)) return NULL;
  for (int i = 0; i < 3; i++)
    if (!arg_f32(&c, (size_t)i, pass->names[i], 0, &a[i])) return NULL;
  if (!get_dw_dims(&c, 3, &d, s)) return NULL;
  if (d.act != ACT_NONE) return arg_fail(&c, 0, "params[15] (activation): a gradient takes none"), NULL;
  for (int i = 0; i < 3; i++)
    if (!arg_len(&c, &a[i], s[pass->size[i]], pass->shapes[i])) return NULL;
  const f32_arg *ins[] = {&a[0], &a[1]};
  if (!arg_disjoint(&c, &a[2], ins, 2)) return NULL;
  kernel_status(&c, pass->run(a[0].p, a[1].p, a[2].p, &d));
  return NULL;
}

napi_value js_dw_conv2d_dx(napi_env env, napi_callback_info info) { return run_pass(env, info, &DX_PASS); }
napi_value js_dw_conv2d_dw(napi_env env, napi_callback_info info) { return run_pass(env, info, &DW_PASS); }
