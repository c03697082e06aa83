/* Reading and checking the arguments of the Node-API entry points. */
#include "napi-args.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "gemm.h"

int arg_fail(const call_t *c, int type, const char *fmt, ...) {
  char msg[320];
  int n = snprintf(msg, sizeof msg, "medinets native %s: ", c->fn);
  if (n < 0 || (size_t)n >= sizeof msg) n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  if (type)
    napi_throw_type_error(c->env, NULL, msg);
  else
    napi_throw_range_error(c->env, NULL, msg);
  return 0;
}

int call_init(call_t *c, napi_env env, napi_callback_info info, const char *fn, size_t need) {
  c->env = env;
  c->fn = fn;
  c->argc = sizeof c->argv / sizeof c->argv[0];
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "medinets native: Node-API call failed");
    return 0;
  }
  if (c->argc < need) return arg_fail(c, 1, "expected %zu arguments, got %zu", need, c->argc);
  return 1;
}

/* The data and length of typed array argument i of the wanted type. */
static int typed(const call_t *c, size_t i, const char *name, napi_typedarray_type want, const char *wantName,
                 int nullable, void **data, size_t *len) {
  napi_valuetype t;
  if (napi_typeof(c->env, c->argv[i], &t) != napi_ok) return arg_fail(c, 1, "%s: unreadable argument", name);
  if (nullable && (t == napi_null || t == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  bool is = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(c->env, c->argv[i], &is) != napi_ok || !is ||
      napi_get_typedarray_info(c->env, c->argv[i], &type, len, data, &ab, &off) != napi_ok || type != want)
    return arg_fail(c, 1, "%s: expected a %s%s", name, wantName, nullable ? " or null" : "");
  if (*data == NULL && *len > 0) return arg_fail(c, 1, "%s: its buffer is detached", name);
  return 1;
}

int arg_f32(const call_t *c, size_t i, const char *name, int nullable, f32_arg *out) {
  void *data;
  napi_valuetype t;
  out->name = name;
  out->present = !(nullable && napi_typeof(c->env, c->argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined));
  if (!typed(c, i, name, napi_float32_array, "Float32Array", nullable, &data, &out->len)) return 0;
  /* an empty array may have no data pointer: the kernels get a valid one they never read, as
   * pointer arithmetic on NULL (even + 0) is undefined behaviour */
  static float no_values[1];
  out->p = data != NULL || !out->present ? data : no_values;
  return 1;
}

int arg_i32(const call_t *c, size_t i, const char *name, size_t min, size_t max, const int **out, size_t *len) {
  void *data;
  if (!typed(c, i, name, napi_int32_array, "Int32Array", 0, &data, len)) return 0;
  if (*len < min || *len > max) {
    if (min == max) return arg_fail(c, 0, "%s: expected %zu values, got %zu", name, min, *len);
    return arg_fail(c, 0, "%s: expected %zu to %zu values, got %zu", name, min, max, *len);
  }
  *out = data;
  return 1;
}

int arg_number(const call_t *c, size_t i, const char *name, double *out) {
  napi_valuetype t;
  if (napi_typeof(c->env, c->argv[i], &t) != napi_ok || t != napi_number ||
      napi_get_value_double(c->env, c->argv[i], out) != napi_ok)
    return arg_fail(c, 1, "%s: expected a number", name);
  if (!isfinite(*out)) return arg_fail(c, 0, "%s: expected a finite number, got %g", name, *out);
  return 1;
}

int arg_range(const call_t *c, const char *what, long v, long lo, long hi) {
  if (v < lo) return arg_fail(c, 0, "%s must be >= %ld, got %ld", what, lo, v);
  if (v > hi) return arg_fail(c, 0, "%s must be <= %ld, got %ld", what, hi, v);
  return 1;
}

long arg_product(const call_t *c, const char *what, int n, const long *v) {
  long p = 1;
  int zero = 0;
  for (int i = 0; i < n; i++) zero |= v[i] == 0;
  if (zero) return 0; /* an empty shape, whatever its other extents */
  for (int i = 0; i < n; i++) {
    if (__builtin_mul_overflow(p, v[i], &p) || p > SIZE_LIMIT) {
      arg_fail(c, 0, "%s: the size overflows (more than 2^40 values)", what);
      return -1;
    }
  }
  return p;
}

int arg_len(const call_t *c, const f32_arg *a, long want, const char *shape) {
  if ((size_t)want != a->len)
    return arg_fail(c, 0, "%s: has %zu values, its shape %s needs %ld", a->name, a->len, shape, want);
  return 1;
}

int arg_disjoint(const call_t *c, const f32_arg *out, const f32_arg *const *others, int n) {
  uintptr_t o0 = (uintptr_t)out->p, o1 = o0 + out->len * sizeof(float);
  for (int i = 0; i < n; i++) {
    const f32_arg *b = others[i];
    if (b == NULL || b == out || b->p == NULL || out->p == NULL || b->len == 0 || out->len == 0) continue;
    uintptr_t b0 = (uintptr_t)b->p, b1 = b0 + b->len * sizeof(float);
    if (o0 < b1 && b0 < o1) return arg_fail(c, 0, "%s: shares memory with %s", out->name, b->name);
  }
  return 1;
}

void kernel_status(const call_t *c, int rc) {
  if (rc == 0) return;
  char msg[160];
  snprintf(msg, sizeof msg, "medinets native %s: out of memory", c->fn);
  napi_throw_error(c->env, NULL, msg);
}

/* The lowest accepted value of each convolution parameter: extents may be 0 (an empty tensor), taps and steps not. */
static const long CONV_MIN[16] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, ACT_NONE};

int arg_conv_params(const call_t *c, size_t i, const char *const names[16], long v[16]) {
  const int *p = NULL;
  size_t len;
  if (!arg_i32(c, i, "params", 16, 16, &p, &len)) return 0;
  char what[48];
  for (int k = 0; k < 16; k++) {
    v[k] = p[k];
    snprintf(what, sizeof what, "params[%d] (%s)", k, names[k]);
    if (!arg_range(c, what, v[k], CONV_MIN[k], k == 15 ? ACT_LEAKY : INT_MAX)) return 0;
  }
  return 1;
}

static const char *const FORWARD_NAMES[4] = {"x", "filter", "bias", "out"};

int arg_conv_forward(call_t *c, napi_env env, napi_callback_info info, const char *fn, f32_arg a[5], double *alpha) {
  if (!call_init(c, env, info, fn, 6)) return 0;
  for (int k = 0; k < 4; k++)
    if (!arg_f32(c, (size_t)k, FORWARD_NAMES[k], k == 2, &a[k])) return 0;
  a[4] = (f32_arg){NULL, 0, "affine", 0};
  if (c->argc > 6 && !arg_f32(c, 6, "affine", 1, &a[4])) return 0;
  return arg_number(c, 5, "alpha", alpha);
}

int arg_conv_forward_sizes(const call_t *c, const conv_shapes *sh, const f32_arg a[5], const long sizes[3],
                           long biasLen) {
  const f32_arg *ins[] = {&a[0], &a[1], &a[2], &a[4]};
  return arg_len(c, &a[0], sizes[0], sh->image) && arg_len(c, &a[1], sizes[2], sh->filter) &&
         arg_len(c, &a[3], sizes[1], sh->out) && (!a[2].present || arg_len(c, &a[2], biasLen, sh->bias)) &&
         (!a[4].present || arg_len(c, &a[4], 2 * biasLen, sh->affine)) && arg_disjoint(c, &a[3], ins, 4);
}

int arg_grad_arrays(call_t *c, napi_env env, napi_callback_info info, const grad_pass *p, f32_arg a[3]) {
  if (!call_init(c, env, info, p->fn, 4)) return 0;
  for (int k = 0; k < 3; k++)
    if (!arg_f32(c, (size_t)k, p->names[k], 0, &a[k])) return 0;
  return 1;
}

int arg_grad_sizes(const call_t *c, const grad_pass *p, const conv_shapes *sh, const f32_arg a[3],
                   const long sizes[3]) {
  const char *shapes[3] = {sh->image, sh->out, sh->filter};
  for (int k = 0; k < 3; k++)
    if (!arg_len(c, &a[k], sizes[p->size[k]], shapes[p->size[k]])) return 0;
  const f32_arg *ins[] = {&a[0], &a[1]};
  return arg_disjoint(c, &a[2], ins, 2);
}
