/*
 * The addon's Node-API module: its entry points, and those of batch norm (batch-norm.c),
 * relu (elementwise.c), concat/split (concat.c) and the max-pooling gradient (pooling.c);
 * the convolutions' and matrix products' are in bindings-conv.c.
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <limits.h>
#include <node_api.h>
#include <stdio.h>

#include "depthwise.h"
#include "gemm.h"
#include "kernels.h"
#include "napi-args.h"

/* x [n, c] and the per-channel arrays of a batch-norm call: c >= 1 and n * c = x's length. */
static int bn_shape(const call_t *c, const f32_arg *x, const f32_arg *chan, long *n, long *ch) {
  *ch = (long)chan->len;
  if (*ch == 0) return arg_fail(c, 0, "%s: expected at least one channel, got an empty array", chan->name);
  if (x->len % (size_t)*ch != 0)
    return arg_fail(c, 0, "%s: has %zu values, not a whole number of rows of %ld channels", x->name, x->len, *ch);
  *n = (long)(x->len / (size_t)*ch);
  return 1;
}

/* Checks that the arrays a[0..k) have `want` values each ("[c]" or "[n, c]"). */
static int bn_lens(const call_t *c, f32_arg *const *a, int k, long want, const char *shape) {
  for (int i = 0; i < k; i++)
    if (a[i]->present && !arg_len(c, a[i], want, shape)) return 0;
  return 1;
}

/* Checks that each output outs[i] shares memory with no input and no other output. */
static int all_disjoint(const call_t *c, f32_arg *const *outs, int no, const f32_arg *const *ins, int ni) {
  for (int i = 0; i < no; i++) {
    if (!arg_disjoint(c, outs[i], ins, ni)) return 0;
    if (!arg_disjoint(c, outs[i], (const f32_arg *const *)outs, i)) return 0;
  }
  return 1;
}

/* A fused ReLU's cap, argument i: a positive number, or -1 for none (ReLU: +inf). */
static int arg_cap(call_t *c, size_t i, float *cap) {
  double v;
  if (!arg_number(c, i, "cap", &v)) return 0;
  if (!(v > 0) && v != -1) return arg_fail(c, 0, "cap: expected a positive number, or -1 for none (ReLU), got %g", v);
  *cap = v == -1 ? __builtin_inff() : (float)v;
  return 1;
}

/*
 * A fused ReLU's optional trailing arguments (cap, coef): act 0 when absent. coef holds 2c float64
 * (4c float32 slots): the forward's per-channel a and shift, written by bnTrain, read by bnTrainGrad.
 */
static int bn_act_args(call_t *c, size_t i, long ch, int *act, float *cap, f32_arg *coef) {
  *act = 0;
  *cap = 0.0f;
  coef->p = NULL;
  if (c->argc <= i) return 1;
  if (!arg_cap(c, i, cap)) return 0;
  if (c->argc <= i + 1) return arg_fail(c, 1, "coef: expected a Float32Array after cap");
  if (!arg_f32(c, i + 1, "coef", 0, coef) || !arg_len(c, coef, 4 * ch, "[4c]")) return 0;
  *act = 1;
  return 1;
}

/* bnTrain(x, scale, offset, y, mean, variance, invStd, eps, cap?, coef?): x [n, c], scale [c] */
static napi_value js_bn_train(napi_env env, napi_callback_info info) {
  static const char *const names[7] = {"x", "scale", "offset", "y", "mean", "variance", "invStd"};
  call_t c;
  f32_arg a[7];
  double eps;
  long n = 0, ch = 0;
  if (!call_init(&c, env, info, "bnTrain", 8)) return NULL;
  for (int i = 0; i < 7; i++)
    if (!arg_f32(&c, (size_t)i, names[i], 0, &a[i])) return NULL;
  if (!arg_number(&c, 7, "epsilon", &eps) || !bn_shape(&c, &a[0], &a[1], &n, &ch)) return NULL;
  f32_arg *chan[] = {&a[2], &a[4], &a[5], &a[6]}, *outs[] = {&a[3], &a[4], &a[5], &a[6]};
  const f32_arg *ins[] = {&a[0], &a[1], &a[2]};
  int act;
  float cap;
  f32_arg coef;
  if (!bn_lens(&c, chan, 4, ch, "[c]") || !arg_len(&c, &a[3], n * ch, "[n, c]") ||
      !all_disjoint(&c, outs, 4, ins, 3) || !bn_act_args(&c, 8, ch, &act, &cap, &coef))
    return NULL;
  if (act) {
    f32_arg *co[] = {&coef};
    const f32_arg *all[] = {&a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6]};
    if (!all_disjoint(&c, co, 1, all, 7)) return NULL;
  }
  kernel_status(&c, bn_train(a[0].p, a[1].p, a[2].p, a[3].p, a[4].p, a[5].p, a[6].p, n, ch, eps, act, cap, coef.p));
  return NULL;
}

/* bnTrainGrad(dy, x, scale, mean, invStd, dx, dScale, dOffset, cap?, coef?): x [n, c], scale [c] */
static napi_value js_bn_train_grad(napi_env env, napi_callback_info info) {
  static const char *const names[8] = {"dy", "x", "scale", "mean", "invStd", "dx", "dScale", "dOffset"};
  call_t c;
  f32_arg a[8];
  long n = 0, ch = 0;
  if (!call_init(&c, env, info, "bnTrainGrad", 8)) return NULL;
  for (int i = 0; i < 8; i++)
    if (!arg_f32(&c, (size_t)i, names[i], 0, &a[i])) return NULL;
  if (!bn_shape(&c, &a[1], &a[2], &n, &ch)) return NULL;
  f32_arg *chan[] = {&a[3], &a[4], &a[6], &a[7]}, *rows[] = {&a[0], &a[5]}, *outs[] = {&a[5], &a[6], &a[7]};
  const f32_arg *ins[] = {&a[0], &a[1], &a[2], &a[3], &a[4]};
  int act;
  float cap;
  f32_arg coef;
  if (!bn_lens(&c, chan, 4, ch, "[c]") || !bn_lens(&c, rows, 2, n * ch, "[n, c]") ||
      !all_disjoint(&c, outs, 3, ins, 5) || !bn_act_args(&c, 8, ch, &act, &cap, &coef))
    return NULL;
  if (act) {
    const f32_arg *co[] = {&coef};
    if (!all_disjoint(&c, outs, 3, co, 1)) return NULL;
  }
  kernel_status(&c, bn_train_grad(a[0].p, a[1].p, a[2].p, a[3].p, a[4].p, a[5].p, a[6].p, a[7].p, n, ch, act, cap,
                                  coef.p));
  return NULL;
}

/* bnInfer(x, mean, variance, scale|null, offset|null, y, eps, cap?): x [n, c], mean [c]; cap: a fused ReLU's (-1: none) */
static napi_value js_bn_infer(napi_env env, napi_callback_info info) {
  static const char *const names[6] = {"x", "mean", "variance", "scale", "offset", "y"};
  call_t c;
  f32_arg a[6];
  double eps;
  long n = 0, ch = 0;
  if (!call_init(&c, env, info, "bnInfer", 7)) return NULL;
  for (int i = 0; i < 6; i++)
    if (!arg_f32(&c, (size_t)i, names[i], i == 3 || i == 4, &a[i])) return NULL;
  if (!arg_number(&c, 6, "epsilon", &eps) || !bn_shape(&c, &a[0], &a[1], &n, &ch)) return NULL;
  f32_arg *chan[] = {&a[2], &a[3], &a[4]}, *outs[] = {&a[5]};
  const f32_arg *ins[] = {&a[0], &a[1], &a[2], &a[3], &a[4]};
  if (!bn_lens(&c, chan, 3, ch, "[c]") || !arg_len(&c, &a[5], n * ch, "[n, c]") ||
      !all_disjoint(&c, outs, 1, ins, 5))
    return NULL;
  float cap = 0.0f;
  if (c.argc >= 8 && !arg_cap(&c, 7, &cap)) return NULL;
  kernel_status(&c, bn_infer(a[0].p, a[1].p, a[2].p, a[3].present ? a[3].p : NULL, a[4].present ? a[4].p : NULL,
                             a[5].p, n, ch, (float)eps, c.argc >= 8, cap));
  return NULL;
}

/* relu(x, y, cap?): y = min(max(x, 0), cap), of x's length; cap +inf when omitted (ReLU6: 6) */
static napi_value js_relu(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg x, y;
  double cap = __builtin_inf();
  if (!call_init(&c, env, info, "relu", 2) || !arg_f32(&c, 0, "x", 0, &x) || !arg_f32(&c, 1, "y", 0, &y))
    return NULL;
  if (c.argc >= 3) {
    if (!arg_number(&c, 2, "cap", &cap)) return NULL;
    if (!(cap > 0)) return arg_fail(&c, 0, "cap: expected a positive number, got %g", cap), NULL;
  }
  const f32_arg *ins[] = {&x};
  if (!arg_len(&c, &y, (long)x.len, "of x") || !arg_disjoint(&c, &y, ins, 1)) return NULL;
  relu_cap(x.p, y.p, (long)x.len, (float)cap);
  return NULL;
}

#define MAX_PARTS 1024

/*
 * concat(out, [inputs], outer) and split(x, [outputs], outer): `outer` rows, each the parts'
 * rows in turn. The JS array's elements are read before any typed array's memory, because
 * reading an element can run JavaScript (a getter) that could detach a buffer.
 */
static napi_value js_concat_split(napi_env env, napi_callback_info info, int isConcat) {
  call_t c;
  f32_arg whole;
  double outerD;
  const char *partName = isConcat ? "inputs" : "outputs";
  if (!call_init(&c, env, info, isConcat ? "concat" : "split", 3) ||
      !arg_f32(&c, 0, isConcat ? "out" : "x", 0, &whole) || !arg_number(&c, 2, "outer", &outerD))
    return NULL;
  if (outerD != (double)(long)outerD || outerD < 1 || outerD > (double)SIZE_LIMIT)
    return arg_fail(&c, 0, "outer: expected an integer from 1 to 2^40, got %g", outerD), NULL;
  long outer = (long)outerD;
  bool isArray = false;
  uint32_t count = 0;
  if (napi_is_array(env, c.argv[1], &isArray) != napi_ok || !isArray ||
      napi_get_array_length(env, c.argv[1], &count) != napi_ok)
    return arg_fail(&c, 1, "%s: expected an array of Float32Arrays", partName), NULL;
  if (count < 1 || count > MAX_PARTS)
    return arg_fail(&c, 0, "%s: expected 1 to %d arrays, got %u", partName, MAX_PARTS, count), NULL;
  napi_value vals[MAX_PARTS];
  for (uint32_t k = 0; k < count; k++)
    if (napi_get_element(env, c.argv[1], k, &vals[k]) != napi_ok) return NULL;
  f32_arg parts[MAX_PARTS];
  float *ptrs[MAX_PARTS];
  long inner[MAX_PARTS], total = 0;
  call_t one = c; /* argument 0 of `one` is the part being read */
  for (uint32_t k = 0; k < count; k++) {
    one.argv[0] = vals[k];
    if (!arg_f32(&one, 0, partName, 0, &parts[k])) return NULL;
    if (parts[k].len % (size_t)outer != 0)
      return arg_fail(&c, 0, "%s[%u]: has %zu values, not a whole number of %ld rows", partName, k, parts[k].len,
                      outer),
             NULL;
    ptrs[k] = parts[k].p;
    inner[k] = (long)(parts[k].len / (size_t)outer);
    total += inner[k];
  }
  long dims[2] = {outer, total};
  long want = arg_product(&c, "the parts' total", 2, dims);
  if (want < 0 || !arg_len(&c, &whole, want, "[outer, sum of the parts' row lengths]")) return NULL;
  const f32_arg *wholeIn[] = {&whole};
  for (uint32_t k = 0; k < count; k++) {
    if (isConcat) {
      const f32_arg *part[] = {&parts[k]};
      if (!arg_disjoint(&c, &whole, part, 1)) return NULL;
    } else {
      const f32_arg *before[MAX_PARTS];
      for (uint32_t j = 0; j < k; j++) before[j] = &parts[j];
      if (!arg_disjoint(&c, &parts[k], wholeIn, 1) || !arg_disjoint(&c, &parts[k], before, (int)k)) return NULL;
    }
  }
  if (isConcat)
    concat_rows(whole.p, (const float *const *)ptrs, inner, (int)count, outer);
  else
    split_rows(whole.p, ptrs, inner, (int)count, outer);
  return NULL;
}

static napi_value js_concat(napi_env env, napi_callback_info info) { return js_concat_split(env, info, 1); }
static napi_value js_split(napi_env env, napi_callback_info info) { return js_concat_split(env, info, 0); }

static const char *const POOL_PARAMS[14] = {"batch",        "inHeight",     "inWidth",      "channels",
                                            "outHeight",    "outWidth",     "filterHeight", "filterWidth",
                                            "strideHeight", "strideWidth",  "dilationHeight", "dilationWidth",
                                            "padTop",       "padLeft"};
static const long POOL_MIN[14] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0};

/* The 14 pooling parameters, each in range (params[k] names POOL_PARAMS[k]). */
static int pool_params(call_t *c, size_t i, const int **q) {
  size_t lq;
  if (!arg_i32(c, i, "params", 14, 14, q, &lq)) return 0;
  char what[48];
  for (int k = 0; k < 14; k++) {
    snprintf(what, sizeof what, "params[%d] (%s)", k, POOL_PARAMS[k]);
    if (!arg_range(c, what, (*q)[k], POOL_MIN[k], INT_MAX)) return 0;
  }
  return 1;
}

/* maxPool(x, y, Int32Array params): params as POOL_PARAMS (effective filter size) */
static napi_value js_max_pool(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg x, y;
  const int *q;
  if (!call_init(&c, env, info, "maxPool", 3) || !arg_f32(&c, 0, "x", 0, &x) || !arg_f32(&c, 1, "y", 0, &y) ||
      !pool_params(&c, 2, &q))
    return NULL;
  long im[4] = {q[0], q[1], q[2], q[3]}, o[4] = {q[0], q[4], q[5], q[3]};
  long ni = arg_product(&c, "x [batch, inHeight, inWidth, channels]", 4, im);
  long no = arg_product(&c, "y [batch, outHeight, outWidth, channels]", 4, o);
  const f32_arg *ins[] = {&x};
  if (ni < 0 || no < 0 || !arg_len(&c, &x, ni, "[batch, inHeight, inWidth, channels]") ||
      !arg_len(&c, &y, no, "[batch, outHeight, outWidth, channels]") || !arg_disjoint(&c, &y, ins, 1))
    return NULL;
  kernel_status(&c, max_pool(x.p, y.p, q));
  return NULL;
}

/* maxPoolGrad(dy, x, dx, Int32Array params): params as POOL_PARAMS (effective filter size) */
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg dy, x, dx;
  const int *q;
  if (!call_init(&c, env, info, "maxPoolGrad", 4) || !arg_f32(&c, 0, "dy", 0, &dy) || !arg_f32(&c, 1, "x", 0, &x) ||
      !arg_f32(&c, 2, "dx", 0, &dx) || !pool_params(&c, 3, &q))
    return NULL;
  long im[4] = {q[0], q[1], q[2], q[3]}, o[4] = {q[0], q[4], q[5], q[3]};
  long ni = arg_product(&c, "x [batch, inHeight, inWidth, channels]", 4, im);
  long no = arg_product(&c, "dy [batch, outHeight, outWidth, channels]", 4, o);
  const f32_arg *ins[] = {&dy, &x};
  if (ni < 0 || no < 0 || !arg_len(&c, &dy, no, "[batch, outHeight, outWidth, channels]") ||
      !arg_len(&c, &x, ni, "[batch, inHeight, inWidth, channels]") ||
      !arg_len(&c, &dx, ni, "[batch, inHeight, inWidth, channels]") || !arg_disjoint(&c, &dx, ins, 2))
    return NULL;
  kernel_status(&c, max_pool_grad(dy.p, x.p, dx.p, q));
  return NULL;
}

/* setThreads(n): the pool's threads, 1 to 16; returns the number in use. */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  call_t c;
  double n;
  if (!call_init(&c, env, info, "setThreads", 1) || !arg_number(&c, 0, "threads", &n)) return NULL;
  if (n != (double)(long)n || !arg_range(&c, "threads", (long)n, 1, 16))
    return n != (double)(long)n ? (arg_fail(&c, 0, "threads: expected an integer, got %g", n), NULL) : NULL;
  pool_set_threads((int)n);
  napi_value r;
  CHECK(napi_create_int32(env, pool_threads(), &r));
  return r;
}

/* setWinograd(on): 3x3 stride-1 forward and dx by Winograd (1, the default) or directly (0). */
static napi_value js_set_winograd(napi_env env, napi_callback_info info) {
  call_t c;
  double on;
  if (!call_init(&c, env, info, "setWinograd", 1) || !arg_number(&c, 0, "on", &on)) return NULL;
  if (on != 0 && on != 1) return (arg_fail(&c, 0, "on: expected 0 or 1, got %g", on), NULL);
  winograd_enable(on == 1);
  return NULL;
}

/* mallocTuned(): whether glibc's malloc keeps freed tensor memory (native/memory.c). */
static napi_value js_malloc_tuned(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_get_boolean(env, malloc_tuned(), &r));
  return r;
}

static napi_value js_simd(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  const char *s = cpu_isa() == ISA_AVX512 ? "avx512" : cpu_isa() == ISA_AVX2 ? "avx2-fma" : "scalar";
  CHECK(napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r));
  return r;
}

/*
 * Node closes (dlclose) an addon when the last environment that loaded it ends, such as the
 * only worker_thread that used medinets; the pool's threads live on inside this library's
 * code, and crashed the process once it was unmapped. Keep it mapped for the process' life.
 */
static void pin_library(void) {
  Dl_info info;
  if (dladdr((void *)&pin_library, &info) != 0 && info.dli_fname != NULL)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE);
}

static napi_value init(napi_env env, napi_value exports) {
  pin_library();
  tune_malloc();
  napi_property_descriptor props[] = {
      {"conv2d", NULL, js_conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropInput", NULL, js_conv2d_dx, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropFilter", NULL, js_conv2d_dw, NULL, NULL, NULL, napi_default, NULL},
      {"depthwiseConv2d", NULL, js_dw_conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"depthwiseConv2dBackpropInput", NULL, js_dw_conv2d_dx, NULL, NULL, NULL, napi_default, NULL},
      {"depthwiseConv2dBackpropFilter", NULL, js_dw_conv2d_dw, NULL, NULL, NULL, napi_default, NULL},
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_default, NULL},
      {"bnTrain", NULL, js_bn_train, NULL, NULL, NULL, napi_default, NULL},
      {"bnTrainGrad", NULL, js_bn_train_grad, NULL, NULL, NULL, napi_default, NULL},
      {"bnInfer", NULL, js_bn_infer, NULL, NULL, NULL, napi_default, NULL},
      {"relu", NULL, js_relu, NULL, NULL, NULL, napi_default, NULL},
      {"concat", NULL, js_concat, NULL, NULL, NULL, napi_default, NULL},
      {"split", NULL, js_split, NULL, NULL, NULL, napi_default, NULL},
      {"maxPool", NULL, js_max_pool, NULL, NULL, NULL, napi_default, NULL},
      {"maxPoolGrad", NULL, js_max_pool_grad, NULL, NULL, NULL, napi_default, NULL},
      {"optimizerUpdate", NULL, js_optimizer_update, NULL, NULL, NULL, napi_default, NULL},
      {"fmaPeak", NULL, js_fma_peak, NULL, NULL, NULL, napi_default, NULL},
      {"reluGrad", NULL, js_relu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"clipGrad", NULL, js_clip_grad, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_default, NULL},
      {"copyRuns", NULL, js_copy_runs, NULL, NULL, NULL, napi_default, NULL},
      {"binaryBroadcast", NULL, js_binary_broadcast, NULL, NULL, NULL, napi_default, NULL},
      {"reduceMid", NULL, js_reduce_mid, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"setWinograd", NULL, js_set_winograd, NULL, NULL, NULL, napi_default, NULL},
      {"mallocTuned", NULL, js_malloc_tuned, NULL, NULL, NULL, napi_default, NULL},
      {"simd", NULL, js_simd, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
