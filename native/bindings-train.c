/*
 * The entry points of the training step's elementwise passes: reluGrad, clipGrad, binary and
 * reduceMid (elementwise.c) and the optimizers' update (optimizers.c).
 *
 * optimizerUpdate(kind, inputs, outputs, scalars):
 * inputs = [param, grad, state...], outputs = [param', state'...] (Float32Arrays of one length),
 * scalars a Float32Array (see optimizers.c for each kind's). An output may be the very array
 * of its input (an update in place: each element is read before it is written) but may not
 * otherwise overlap any array.
 */
#include <node_api.h>

#include "kernels.h"
#include "napi-args.h"

#define MAX_ARRAYS 8

/* Reads a JS array of exactly `want` Float32Arrays into a[]; elements first (see concat). */
static int read_list(call_t *c, size_t i, const char *name, uint32_t want, f32_arg *a) {
  bool isArray = false;
  uint32_t count = 0;
  if (napi_is_array(c->env, c->argv[i], &isArray) != napi_ok || !isArray ||
      napi_get_array_length(c->env, c->argv[i], &count) != napi_ok)
    return arg_fail(c, 1, "%s: expected an array of Float32Arrays", name);
  if (count != want) return arg_fail(c, 0, "%s: expected %u arrays for this kind, got %u", name, want, count);
  napi_value vals[MAX_ARRAYS];
  for (uint32_t k = 0; k < count; k++)
    if (napi_get_element(c->env, c->argv[i], k, &vals[k]) != napi_ok) return 0;
  call_t one = *c;
  for (uint32_t k = 0; k < count; k++) {
    one.argv[0] = vals[k];
    if (!arg_f32(&one, 0, name, 0, &a[k])) return 0;
  }
  return 1;
}

napi_value js_optimizer_update(napi_env env, napi_callback_info info) {
  call_t c;
  double kindD;
  f32_arg ins[MAX_ARRAYS], outs[MAX_ARRAYS], sc;
  if (!call_init(&c, env, info, "optimizerUpdate", 4) || !arg_number(&c, 0, "kind", &kindD)) return NULL;
  if (kindD != (double)(int)kindD || kindD < 0 || kindD >= OPTIM_KINDS)
    return arg_fail(&c, 0, "kind: expected an integer from 0 to %d, got %g", OPTIM_KINDS - 1, kindD), NULL;
  const int kind = (int)kindD;
  const optim_shape sh = OPTIM_SHAPES[kind];
  if (!read_list(&c, 1, "inputs", (uint32_t)sh.ins, ins) || !read_list(&c, 2, "outputs", (uint32_t)sh.outs, outs) ||
      !arg_f32(&c, 3, "scalars", 0, &sc))
    return NULL;
  if (!arg_len(&c, &sc, sh.scalars, "[scalars of this kind]")) return NULL;
  const long n = (long)ins[0].len;
  for (int k = 1; k < sh.ins; k++)
    if (!arg_len(&c, &ins[k], n, "of param")) return NULL;
  for (int k = 0; k < sh.outs; k++) {
    if (!arg_len(&c, &outs[k], n, "of param")) return NULL;
    /* output k corresponds to input 0 (param) for k = 0, else to input k + 1 (its state) */
    const f32_arg *own = &ins[k == 0 ? 0 : k + 1];
    const f32_arg *others[2 * MAX_ARRAYS];
    int no = 0;
    for (int j = 0; j < sh.ins; j++)
      if (&ins[j] != own || ins[j].p != outs[k].p) others[no++] = &ins[j];
    for (int j = 0; j < k; j++) others[no++] = &outs[j];
    if (!arg_disjoint(&c, &outs[k], others, no)) return NULL;
  }
  const float *in[MAX_ARRAYS];
  float *out[MAX_ARRAYS];
  for (int k = 0; k < sh.ins; k++) in[k] = ins[k].p;
  for (int k = 0; k < sh.outs; k++) out[k] = outs[k].p;
  optim_update(kind, in, out, sc.p, n);
  return NULL;
}

/* Argument i as a number other than NaN (infinities allowed: a bound that does not bind). */
static int arg_bound(const call_t *c, size_t i, const char *name, double *out) {
  napi_valuetype t;
  if (napi_typeof(c->env, c->argv[i], &t) != napi_ok || t != napi_number ||
      napi_get_value_double(c->env, c->argv[i], out) != napi_ok || *out != *out)
    return arg_fail(c, 1, "%s: expected a number", name);
  return 1;
}

/* dy, x and dx of one length, dx apart from both. */
static int grad_arrays(call_t *c, f32_arg *dy, f32_arg *x, f32_arg *dx) {
  if (!arg_f32(c, 0, "dy", 0, dy) || !arg_f32(c, 1, "x", 0, x) || !arg_f32(c, 2, "dx", 0, dx)) return 0;
  const f32_arg *ins[] = {dy, x};
  return arg_len(c, x, (long)dy->len, "of dy") && arg_len(c, dx, (long)dy->len, "of dy") &&
         arg_disjoint(c, dx, ins, 2);
}

/* reluGrad(dy, x, dx, cap): dx = dy where 0 < x <= cap, else 0 (NaN where x is NaN) */
napi_value js_relu_grad(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg dy, x, dx;
  double cap;
  if (!call_init(&c, env, info, "reluGrad", 4) || !grad_arrays(&c, &dy, &x, &dx) || !arg_bound(&c, 3, "cap", &cap))
    return NULL;
  relu_grad(dy.p, x.p, dx.p, (long)dy.len, (float)cap);
  return NULL;
}

/* clipGrad(dy, x, dx, lo, hi): dx = dy where lo <= x <= hi, else 0 */
napi_value js_clip_grad(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg dy, x, dx;
  double lo, hi;
  if (!call_init(&c, env, info, "clipGrad", 5) || !grad_arrays(&c, &dy, &x, &dx) || !arg_bound(&c, 3, "lo", &lo) ||
      !arg_bound(&c, 4, "hi", &hi))
    return NULL;
  clip_grad(dy.p, x.p, dx.p, (long)dy.len, (float)lo, (float)hi);
  return NULL;
}

/* binary(op, a, b, y): y = a op b elementwise (op 0 add, 1 sub, 2 mul, 3 div), one length, y apart */
napi_value js_binary(napi_env env, napi_callback_info info) {
  call_t c;
  double opD;
  f32_arg a, b, y;
  if (!call_init(&c, env, info, "binary", 4) || !arg_number(&c, 0, "op", &opD)) return NULL;
  if (opD != (double)(int)opD || opD < 0 || opD >= BIN_OPS)
    return arg_fail(&c, 0, "op: expected an integer from 0 to %d, got %g", BIN_OPS - 1, opD), NULL;
  if (!arg_f32(&c, 1, "a", 0, &a) || !arg_f32(&c, 2, "b", 0, &b) || !arg_f32(&c, 3, "y", 0, &y)) return NULL;
  const f32_arg *ins[] = {&a, &b};
  if (!arg_len(&c, &b, (long)a.len, "of a") || !arg_len(&c, &y, (long)a.len, "of a") ||
      !arg_disjoint(&c, &y, ins, 2))
    return NULL;
  binary_op((int)opD, a.p, b.p, y.p, (long)a.len);
  return NULL;
}

/*
 * copyRuns(src, dst, runs): for each (s, d, len) triplet of the Int32Array runs, dst[d .. d +
 * len) = src[s .. s + len); the runs inside both arrays, their destinations in increasing
 * order without overlap (so each value is written once, whatever the thread count).
 */
napi_value js_copy_runs(napi_env env, napi_callback_info info) {
  call_t c;
  f32_arg src, dst;
  const int *runs;
  size_t n;
  if (!call_init(&c, env, info, "copyRuns", 3) || !arg_f32(&c, 0, "src", 0, &src) ||
      !arg_f32(&c, 1, "dst", 0, &dst) || !arg_i32(&c, 2, "runs", 3, (size_t)3 << 30, &runs, &n))
    return NULL;
  if (n % 3 != 0) return arg_fail(&c, 0, "runs: expected (source, destination, length) triplets, got %zu values", n), NULL;
  const f32_arg *ins[] = {&src};
  if (!arg_disjoint(&c, &dst, ins, 1)) return NULL;
  long end = 0; /* the previous run's destination end */
  for (size_t k = 0; k < n / 3; k++) {
    const long s = runs[3 * k], d = runs[3 * k + 1], len = runs[3 * k + 2];
    if (s < 0 || d < 0 || len < 0)
      return arg_fail(&c, 0, "runs[%zu]: expected offsets and a length >= 0, got (%ld, %ld, %ld)", k, s, d, len), NULL;
    if ((size_t)(s + len) > src.len || (size_t)(d + len) > dst.len)
      return arg_fail(&c, 0, "runs[%zu]: (%ld, %ld, %ld) ends past src (%zu values) or dst (%zu values)", k, s, d,
                      len, src.len, dst.len),
             NULL;
    if (d < end)
      return arg_fail(&c, 0, "runs[%zu]: destination %ld starts before the previous run's end %ld", k, d, end), NULL;
    end = d + len;
  }
  copy_runs(src.p, dst.p, runs, (long)(n / 3));
  return NULL;
}

/* binaryBroadcast(op, big, small, y, [outer, mid, inner, smallFirst]):
 * y[o, m, i] = big[o, m, i] op small[o, i] (smallFirst 1: small[o, i] op big[o, m, i]) */
napi_value js_binary_broadcast(napi_env env, napi_callback_info info) {
  static const char *const names[4] = {"outer", "mid", "inner", "smallFirst"};
  call_t c;
  double opD;
  f32_arg big, small, y;
  const int *p;
  size_t np;
  if (!call_init(&c, env, info, "binaryBroadcast", 5) || !arg_number(&c, 0, "op", &opD)) return NULL;
  if (opD != (double)(int)opD || opD < 0 || opD >= BIN_OPS)
    return arg_fail(&c, 0, "op: expected an integer from 0 to %d, got %g", BIN_OPS - 1, opD), NULL;
  if (!arg_f32(&c, 1, "big", 0, &big) || !arg_f32(&c, 2, "small", 0, &small) || !arg_f32(&c, 3, "y", 0, &y) ||
      !arg_i32(&c, 4, "params", 4, 4, &p, &np))
    return NULL;
  long d[3];
  for (int k = 0; k < 4; k++)
    if (!arg_range(&c, names[k], p[k], 0, k == 3 ? 1 : SIZE_LIMIT)) return NULL;
  for (int k = 0; k < 3; k++) d[k] = p[k];
  const long ds[2] = {d[0], d[2]};
  const long nb = arg_product(&c, "big [outer, mid, inner]", 3, d), ns = arg_product(&c, "small [outer, inner]", 2, ds);
  if (nb < 0 || ns < 0) return NULL;
  const f32_arg *ins[] = {&big, &small};
  if (!arg_len(&c, &big, nb, "[outer, mid, inner]") || !arg_len(&c, &small, ns, "[outer, inner]") ||
      !arg_len(&c, &y, nb, "[outer, mid, inner]") || !arg_disjoint(&c, &y, ins, 2))
    return NULL;
  binary_bcast((int)opD, big.p, small.p, y.p, d[0], d[1], d[2], p[3]);
  return NULL;
}

/* reduceMid(x, out, [pre, mid, inner], scale): out[p, j] = scale * sum_i x[p, i, j] (float64 sums) */
napi_value js_reduce_mid(napi_env env, napi_callback_info info) {
  static const char *const names[3] = {"pre", "mid", "inner"};
  call_t c;
  f32_arg x, out;
  const int *p;
  size_t np;
  double scale;
  if (!call_init(&c, env, info, "reduceMid", 4) || !arg_f32(&c, 0, "x", 0, &x) ||
      !arg_f32(&c, 1, "out", 0, &out) || !arg_i32(&c, 2, "params", 3, 3, &p, &np) ||
      !arg_number(&c, 3, "scale", &scale))
    return NULL;
  long d[3];
  for (int k = 0; k < 3; k++) {
    d[k] = p[k];
    if (!arg_range(&c, names[k], d[k], 0, SIZE_LIMIT)) return NULL;
  }
  const long dx[2] = {d[0], d[2]};
  const long nx = arg_product(&c, "x [pre, mid, inner]", 3, d), no = arg_product(&c, "out [pre, inner]", 2, dx);
  if (nx < 0 || no < 0) return NULL;
  const f32_arg *ins[] = {&x};
  if (!arg_len(&c, &x, nx, "[pre, mid, inner]") || !arg_len(&c, &out, no, "[pre, inner]") ||
      !arg_disjoint(&c, &out, ins, 1))
    return NULL;
  if (no > 0) reduce_mid(x.p, out.p, d[0], d[1], d[2], scale);
  return NULL;
}
