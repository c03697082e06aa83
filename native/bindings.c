/*
 * The addon's Node-API module: its entry points, and those of batch norm (batch-norm.c),
 * relu (elementwise.c), concat/split (concat.c) and the max-pooling gradient (pooling.c);
 * the convolutions' and matrix products' are in bindings-conv.c.
 */
#include <node_api.h>

#include "gemm.h"
#include "kernels.h"
#include "napi-args.h"

/* bnTrain(x, scale, offset, y, mean, variance, invStd, eps): n = x.length / scale.length */
static napi_value js_bn_train(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value args[8];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *p[7];
  size_t l[7];
  double eps = 1e-3;
  if (!f32_args(env, args, 7, p, l, "bnTrain: expected Float32Arrays")) return NULL;
  napi_get_value_double(env, args[7], &eps);
  long c = (long)l[1];
  if (c == 0 || l[0] % c != 0 || l[3] < l[0] || l[2] < (size_t)c || l[4] < (size_t)c || l[5] < (size_t)c ||
      l[6] < (size_t)c) {
    napi_throw_range_error(env, NULL, "bnTrain: array lengths do not match x [n, c] and scale [c]");
    return NULL;
  }
  fail(env, bn_train(p[0], p[1], p[2], (float *)p[3], (float *)p[4], (float *)p[5], (float *)p[6],
                     (long)l[0] / c, c, eps));
  return NULL;
}

/* bnTrainGrad(dy, x, scale, mean, invStd, dx, dScale, dOffset) */
static napi_value js_bn_train_grad(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value args[8];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *p[8];
  size_t l[8];
  if (!f32_args(env, args, 8, p, l, "bnTrainGrad: expected Float32Arrays")) return NULL;
  long c = (long)l[2];
  if (c == 0 || l[1] % c != 0 || l[0] < l[1] || l[5] < l[1] || l[3] < (size_t)c || l[4] < (size_t)c ||
      l[6] < (size_t)c || l[7] < (size_t)c) {
    napi_throw_range_error(env, NULL, "bnTrainGrad: array lengths do not match x [n, c] and scale [c]");
    return NULL;
  }
  fail(env, bn_train_grad(p[0], p[1], p[2], p[3], p[4], (float *)p[5], (float *)p[6], (float *)p[7],
                          (long)l[1] / c, c));
  return NULL;
}

/* bnInfer(x, mean, variance, scale|null, offset|null, y, eps): params of length c = mean.length */
static napi_value js_bn_infer(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *p[6];
  size_t l[6];
  double eps = 1e-3;
  const char *what = "bnInfer: expected Float32Arrays";
  if (!get_f32(env, args[0], &p[0], &l[0], 0, what) || !get_f32(env, args[1], &p[1], &l[1], 0, what) ||
      !get_f32(env, args[2], &p[2], &l[2], 0, what) || !get_f32(env, args[3], &p[3], &l[3], 1, what) ||
      !get_f32(env, args[4], &p[4], &l[4], 1, what) || !get_f32(env, args[5], &p[5], &l[5], 0, what))
    return NULL;
  napi_get_value_double(env, args[6], &eps);
  size_t c = l[1];
  if (c == 0 || l[0] % c != 0 || l[5] < l[0] || l[2] < c || (p[3] && l[3] < c) || (p[4] && l[4] < c)) {
    napi_throw_range_error(env, NULL, "bnInfer: array lengths do not match x [n, c] and mean [c]");
    return NULL;
  }
  fail(env, bn_infer(p[0], p[1], p[2], p[3], p[4], (float *)p[5], (long)(l[0] / c), (long)c, (float)eps));
  return NULL;
}

/* relu(x, y) */
static napi_value js_relu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *p[2];
  size_t l[2];
  if (!f32_args(env, args, 2, p, l, "relu: expected Float32Arrays")) return NULL;
  if (l[1] < l[0]) {
    napi_throw_range_error(env, NULL, "relu: y is shorter than x");
    return NULL;
  }
  relu(p[0], (float *)p[1], (long)l[0]);
  return NULL;
}

#define MAX_PARTS 1024

/*
 * The Float32Arrays of a JS array (at most MAX_PARTS), each holding `outer` rows, and the
 * row length of each.
 */
static int row_parts(napi_env env, napi_value arr, float **ptrs, long *inner, uint32_t *count, long outer,
                     const char *what) {
  bool is = false;
  napi_is_array(env, arr, &is);
  if (!is || napi_get_array_length(env, arr, count) != napi_ok || *count == 0 || *count > MAX_PARTS) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  for (uint32_t k = 0; k < *count; k++) {
    napi_value v;
    size_t len;
    if (napi_get_element(env, arr, k, &v) != napi_ok) return 0;
    if (!get_f32(env, v, (const float **)&ptrs[k], &len, 0, what)) return 0;
    if (outer <= 0 || len % (size_t)outer != 0) {
      napi_throw_range_error(env, NULL, "concat/split: a part is not a whole number of rows");
      return 0;
    }
    inner[k] = (long)(len / (size_t)outer);
  }
  return 1;
}

/* concat(out, [inputs], outer) and split(x, [outputs], outer): rows of the given lengths. */
static napi_value js_concat_split(napi_env env, napi_callback_info info, int isConcat) {
  size_t argc = 3;
  napi_value args[3];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *whole;
  size_t lw;
  double outerD = 0;
  if (!get_f32(env, args[0], &whole, &lw, 0, "concat/split: expected a Float32Array")) return NULL;
  napi_get_value_double(env, args[2], &outerD);
  long outer = (long)outerD;
  float *ptrs[MAX_PARTS];
  long inner[MAX_PARTS];
  uint32_t count = 0;
  if (!row_parts(env, args[1], ptrs, inner, &count, outer, "concat/split: expected an array of Float32Arrays"))
    return NULL;
  long total = 0;
  for (uint32_t k = 0; k < count; k++) total += inner[k];
  if ((long)lw != total * outer) {
    napi_throw_range_error(env, NULL, "concat/split: the parts do not add up to the whole");
    return NULL;
  }
  if (isConcat)
    concat_rows((float *)whole, (const float *const *)ptrs, inner, (int)count, outer);
  else
    split_rows(whole, ptrs, inner, (int)count, outer);
  return NULL;
}

static napi_value js_concat(napi_env env, napi_callback_info info) { return js_concat_split(env, info, 1); }
static napi_value js_split(napi_env env, napi_callback_info info) { return js_concat_split(env, info, 0); }

/* maxPoolGrad(dy, x, dx, Int32Array params) */
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const float *p[3];
  size_t l[3], lp;
  int *q;
  if (!f32_args(env, args, 3, p, l, "maxPoolGrad: expected Float32Arrays")) return NULL;
  if (!typed_ptr(env, args[3], napi_int32_array, (void **)&q, &lp, 0, "params: expected an Int32Array")) return NULL;
  if (lp < 14 || (long)l[1] < (long)q[0] * q[1] * q[2] * q[3] || l[2] < l[1] ||
      (long)l[0] < (long)q[0] * q[4] * q[5] * q[3]) {
    napi_throw_range_error(env, NULL, "maxPoolGrad: array lengths do not match the parameters");
    return NULL;
  }
  fail(env, max_pool_grad(p[0], p[1], (float *)p[2], q));
  return NULL;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  int32_t n = 1;
  if (argc > 0) napi_get_value_int32(env, args[0], &n);
  pool_set_threads(n);
  napi_value r;
  CHECK(napi_create_int32(env, pool_threads(), &r));
  return r;
}

static napi_value js_simd(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  const char *s = cpu_has_avx2_fma() ? "avx2-fma" : "scalar";
  CHECK(napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r));
  return r;
}
static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv2d", NULL, js_conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropInput", NULL, js_conv2d_dx, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropFilter", NULL, js_conv2d_dw, NULL, NULL, NULL, napi_default, NULL},
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_default, NULL},
      {"bnTrain", NULL, js_bn_train, NULL, NULL, NULL, napi_default, NULL},
      {"bnTrainGrad", NULL, js_bn_train_grad, NULL, NULL, NULL, napi_default, NULL},
      {"bnInfer", NULL, js_bn_infer, NULL, NULL, NULL, napi_default, NULL},
      {"relu", NULL, js_relu, NULL, NULL, NULL, napi_default, NULL},
      {"concat", NULL, js_concat, NULL, NULL, NULL, napi_default, NULL},
      {"split", NULL, js_split, NULL, NULL, NULL, napi_default, NULL},
      {"maxPoolGrad", NULL, js_max_pool_grad, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"simd", NULL, js_simd, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
