/*
 * The Node-API entry points of the convolutions (conv.c) and matrix products (matmul.c).
 *
 * Convolution parameters arrive as one Int32Array: N, H, W, Cin, Ho, Wo, Cout, kh, kw,
 * strideH, strideW, dilH, dilW, padTop, padLeft, activation.
 */
#include <stdio.h>

#include "gemm.h"
#include "kernels.h"
#include "napi-args.h"

static void read_dims(const int *p, conv_dims *d) {
  d->n = p[0];
  d->h = p[1];
  d->w = p[2];
  d->cin = p[3];
  d->ho = p[4];
  d->wo = p[5];
  d->cout = p[6];
  d->kh = p[7];
  d->kw = p[8];
  d->sh = p[9];
  d->sw = p[10];
  d->dh = p[11];
  d->dw = p[12];
  d->pt = p[13];
  d->pl = p[14];
  d->act = p[15];
}
static int get_dims(napi_env env, napi_value v, conv_dims *d) {
  int *p;
  size_t len;
  if (!typed_ptr(env, v, napi_int32_array, (void **)&p, &len, 0, "params: expected an Int32Array")) return 0;
  if (len < 16) {
    napi_throw_range_error(env, NULL, "params: expected 16 conv parameters");
    return 0;
  }
  read_dims(p, d);
  if (d->kh * d->kw > MAX_TAPS) {
    napi_throw_range_error(env, NULL, "filter: at most 256 taps");
    return 0;
  }
  return 1;
}
napi_value js_conv2d(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *x, *w, *bias;
  float *out;
  size_t lx, lw, lb, lo;
  conv_dims d;
  double alpha = 0;
  if (!get_f32(env, args[0], &x, &lx, 0, "x: expected a Float32Array")) return NULL;
  if (!get_f32(env, args[1], &w, &lw, 0, "filter: expected a Float32Array")) return NULL;
  if (!get_f32(env, args[2], &bias, &lb, 1, "bias: expected a Float32Array or null")) return NULL;
  if (!get_f32(env, args[3], (const float **)&out, &lo, 0, "out: expected a Float32Array")) return NULL;
  if (!get_dims(env, args[4], &d)) return NULL;
  if (argc > 5) napi_get_value_double(env, args[5], &alpha);
  if ((long)lx < d.n * d.h * d.w * d.cin || (long)lw < d.kh * d.kw * d.cin * d.cout ||
      (long)lo < d.n * d.ho * d.wo * d.cout || (bias != NULL && (long)lb < d.cout)) {
    napi_throw_range_error(env, NULL, "conv2d: an array is shorter than its shape");
    return NULL;
  }
  fail(env, conv_forward(x, w, bias, out, &d, (float)alpha));
  return NULL;
}

/* The sizes of an image, an output image and a filter of a convolution. */
static long image_size(const conv_dims *d) { return d->n * d->h * d->w * d->cin; }
static long out_size(const conv_dims *d) { return d->n * d->ho * d->wo * d->cout; }
static long filter_size(const conv_dims *d) { return d->kh * d->kw * d->cin * d->cout; }

/*
 * A gradient pass (in0, in1, out, params): the names and the sizes each array must have
 * come from the pass, then `run` computes it.
 */
typedef struct {
  const char *fn, *names[3];
  long (*size[3])(const conv_dims *);
  int (*run)(const float *, const float *, float *, const conv_dims *);
} grad_pass;

static const grad_pass DX_PASS = {"conv2dBackpropInput",
                                  {"dy: expected a Float32Array", "filter: expected a Float32Array",
                                   "dx: expected a Float32Array"},
                                  {out_size, filter_size, image_size},
                                  conv_backprop_input};
static const grad_pass DW_PASS = {"conv2dBackpropFilter",
                                  {"x: expected a Float32Array", "dy: expected a Float32Array",
                                   "dw: expected a Float32Array"},
                                  {image_size, out_size, filter_size},
                                  conv_backprop_filter};

static napi_value run_grad_pass(napi_env env, napi_callback_info info, const grad_pass *pass) {
  size_t argc = 4;
  napi_value args[4];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *p[3];
  size_t l[3];
  conv_dims d;
  for (int i = 0; i < 3; i++)
    if (!get_f32(env, args[i], &p[i], &l[i], 0, pass->names[i])) return NULL;
  if (!get_dims(env, args[3], &d)) return NULL;
  for (int i = 0; i < 3; i++) {
    if ((long)l[i] < pass->size[i](&d)) {
      char msg[96];
      snprintf(msg, sizeof msg, "%s: an array is shorter than its shape", pass->fn);
      napi_throw_range_error(env, NULL, msg);
      return NULL;
    }
  }
  fail(env, pass->run(p[0], p[1], (float *)p[2], &d));
  return NULL;
}

napi_value js_conv2d_dx(napi_env env, napi_callback_info info) { return run_grad_pass(env, info, &DX_PASS); }
napi_value js_conv2d_dw(napi_env env, napi_callback_info info) { return run_grad_pass(env, info, &DW_PASS); }

/* matmul(a, b, bias|null, c, Int32Array [batchA, batchB, M, N, K, transA, transB, act], alpha) */
napi_value js_matmul(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *a, *b, *bias;
  float *c;
  int *p;
  size_t la, lb, lbias, lc, lp;
  double alpha = 0;
  if (!get_f32(env, args[0], &a, &la, 0, "a: expected a Float32Array")) return NULL;
  if (!get_f32(env, args[1], &b, &lb, 0, "b: expected a Float32Array")) return NULL;
  if (!get_f32(env, args[2], &bias, &lbias, 1, "bias: expected a Float32Array or null")) return NULL;
  if (!get_f32(env, args[3], (const float **)&c, &lc, 0, "c: expected a Float32Array")) return NULL;
  if (!typed_ptr(env, args[4], napi_int32_array, (void **)&p, &lp, 0, "params: expected an Int32Array")) return NULL;
  if (lp < 8) {
    napi_throw_range_error(env, NULL, "params: expected 8 matmul parameters");
    return NULL;
  }
  if (argc > 5) napi_get_value_double(env, args[5], &alpha);
  long bA = p[0], bB = p[1], M = p[2], N = p[3], K = p[4];
  long batch = bA > bB ? bA : bB;
  if ((long)la < bA * M * K || (long)lb < bB * K * N || (long)lc < batch * M * N || (bias != NULL && (long)lbias < N)) {
    napi_throw_range_error(env, NULL, "matmul: an array is shorter than its shape");
    return NULL;
  }
  fail(env, batch_matmul(a, b, bias, c, bA, bB, M, N, K, p[5], p[6], p[7], (float)alpha));
  return NULL;
}
