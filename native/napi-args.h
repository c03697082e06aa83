#ifndef MEDINETS_NAPI_ARGS_H
#define MEDINETS_NAPI_ARGS_H

/*
 * Reading and checking the arguments of the Node-API entry points (napi-args.c). Every
 * check throws a JavaScript error "medinets native <kernel>: <argument> ..." and returns 0,
 * so that a bad call never reaches a kernel: the kernels trust their shapes.
 */
#include <node_api.h>
#include <stddef.h>

#define CHECK(call)                                                         \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error(env, NULL, "medinets native: Node-API call failed"); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

/* The largest size or extent the addon accepts: far beyond any tensor, and small enough
 * that sums and products of two such values cannot overflow a long. */
#define SIZE_LIMIT (1L << 40)

/* One call of an entry point: its name (for the errors) and its arguments. */
typedef struct {
  napi_env env;
  const char *fn;
  size_t argc;
  napi_value argv[10];
} call_t;

/* A Float32Array argument: its data and length. */
typedef struct {
  float *p;
  size_t len;
  const char *name;
  int present; /* 0 for a null / undefined nullable argument */
} f32_arg;

/* Reads the arguments of a call; throws unless there are at least `need`. */
int call_init(call_t *c, napi_env env, napi_callback_info info, const char *fn, size_t need);
/* Throws a RangeError (or a TypeError when type != 0) "medinets native <fn>: <message>". */
int arg_fail(const call_t *c, int type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Argument i as a Float32Array (nullable: null/undefined give p = NULL). */
int arg_f32(const call_t *c, size_t i, const char *name, int nullable, f32_arg *out);
/* Argument i as an Int32Array of `min` to `max` values; its length in *len. */
int arg_i32(const call_t *c, size_t i, const char *name, size_t min, size_t max, const int **out, size_t *len);
/* Argument i as a finite number. */
int arg_number(const call_t *c, size_t i, const char *name, double *out);
/* Throws unless lo <= v <= hi; `what` names the value. */
int arg_range(const call_t *c, const char *what, long v, long lo, long hi);
/* The product of n values, each >= 0, or -1 after throwing when it exceeds SIZE_LIMIT. */
long arg_product(const call_t *c, const char *what, int n, const long *v);
/* Throws unless a's length is exactly `want` (described by `shape`, e.g. "x [n, h, w, c]"). */
int arg_len(const call_t *c, const f32_arg *a, long want, const char *shape);
/* Throws when output `out` shares memory with any of the `n` arrays in `others`. */
int arg_disjoint(const call_t *c, const f32_arg *out, const f32_arg *const *others, int n);
/* Throws "out of memory" when a kernel returned non-zero. */
void kernel_status(const call_t *c, int rc);

/*
 * The convolutions' calls (bindings-conv.c, bindings-depthwise.c). Their 16 parameters, an
 * Int32Array (argument i), each at least its minimum (extents 0, taps, strides and dilations
 * 1, paddings 0) and the activation (v[15]) an act_kind; names[k] names v[k] in errors.
 */
int arg_conv_params(const call_t *c, size_t i, const char *const names[16], long v[16]);

/* The shapes of a convolution's arrays, for errors: image, output, filter, bias. */
typedef struct {
  const char *image, *out, *filter, *bias, *affine;
} conv_shapes;

/*
 * The forward call (x, filter, bias|null, out, params, alpha, affine?|null) but for params:
 * a[] = x, filter, bias, out, affine (not present when absent or null).
 */
int arg_conv_forward(call_t *c, napi_env env, napi_callback_info info, const char *fn, f32_arg a[5], double *alpha);
/* Its arrays' lengths against sizes[] (image, output, filter), bias and affine, out apart from the rest. */
int arg_conv_forward_sizes(const call_t *c, const conv_shapes *sh, const f32_arg a[5], const long sizes[3],
                           long biasLen);

/* A gradient call (in0, in1, out, params): the arrays' names, and which size each has. */
typedef struct {
  const char *fn, *names[3];
  int size[3]; /* 0: image, 1: output, 2: filter */
} grad_pass;
/* Its three arrays (params are the caller's: argument 3). */
int arg_grad_arrays(call_t *c, napi_env env, napi_callback_info info, const grad_pass *p, f32_arg a[3]);
/* Their lengths against sizes[] (image, output, filter), out apart from both inputs. */
int arg_grad_sizes(const call_t *c, const grad_pass *p, const conv_shapes *sh, const f32_arg a[3],
                   const long sizes[3]);

/* The convolution and matrix-product entry points (bindings-conv.c). */
napi_value js_conv2d(napi_env env, napi_callback_info info);
napi_value js_conv2d_dx(napi_env env, napi_callback_info info);
napi_value js_conv2d_dw(napi_env env, napi_callback_info info);
napi_value js_matmul(napi_env env, napi_callback_info info);
/* The optimizers' update, the ReLU and clip gradients, binary and reduceMid (bindings-train.c). */
napi_value js_optimizer_update(napi_env env, napi_callback_info info);
napi_value js_relu_grad(napi_env env, napi_callback_info info);
napi_value js_clip_grad(napi_env env, napi_callback_info info);
napi_value js_binary(napi_env env, napi_callback_info info);
napi_value js_copy_runs(napi_env env, napi_callback_info info);
napi_value js_binary_broadcast(napi_env env, napi_callback_info info);
napi_value js_reduce_mid(napi_env env, napi_callback_info info);
/* The measured FMA limit of one thread, GFLOP/s, for bench/ (peak.c). */
napi_value js_fma_peak(napi_env env, napi_callback_info info);

#endif
