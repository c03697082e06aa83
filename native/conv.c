/*
 * Convolution passes as implicit GEMMs, and the Node-API entry points.
 *
 * Layouts are tfjs': images NHWC, filters [kh, kw, Cin, Cout]. Parameters arrive as one
 * Int32Array: N, H, W, Cin, Ho, Wo, Cout, kh, kw, strideH, strideW, dilH, dilW, padTop,
 * padLeft, activation.
 */
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

typedef struct {
  long n, h, w, cin, ho, wo, cout, kh, kw, sh, sw, dh, dw, pt, pl;
  int act;
} conv_dims;

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

static int pointwise(const conv_dims *d) {
  return d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 && d->pl == 0 && d->ho == d->h &&
         d->wo == d->w;
}

/*
 * The input patches of a convolution as a GEMM operand: rows = output pixels, columns =
 * (tap, channel), read from x in place (im2col); `transposed` for dW, where they are the
 * columns. A 1x1 stride-1 convolution's patches are x itself.
 */
static void patches_operand(pack_ctx *a, const float *x, const conv_dims *d, int transposed) {
  a->data = x;
  if (pointwise(d)) {
    a->kind = PACK_DENSE;
    a->ld = d->cin;
    a->trans = transposed;
    return;
  }
  a->kind = transposed ? PACK_IM2COL_T : PACK_IM2COL;
  a->sh = d->h;
  a->sw = d->w;
  a->sc = d->cin;
  a->gh = d->ho;
  a->gw = d->wo;
  a->rsy = d->sh;
  a->rsx = d->sw;
  a->ntaps = d->kh * d->kw;
  for (long ky = 0; ky < d->kh; ky++)
    for (long kx = 0; kx < d->kw; kx++) {
      a->offy[ky * d->kw + kx] = ky * d->dh - d->pt;
      a->offx[ky * d->kw + kx] = kx * d->dw - d->pl;
    }
}

static gemm_args *new_args(void) { return calloc(1, sizeof(gemm_args)); }

int conv_forward(const float *x, const float *w, const float *bias, float *out, const conv_dims *d, float alpha) {
  gemm_args *g = new_args();
  if (g == NULL) return -1;
  g->M = d->n * d->ho * d->wo;
  g->N = d->cout;
  g->K = d->kh * d->kw * d->cin;
  patches_operand(&g->a, x, d, 0);
  g->b.kind = PACK_DENSE;
  g->b.data = w;
  g->b.ld = d->cout;
  g->c = out;
  g->ldc = d->cout;
  g->ep.bias = bias;
  g->ep.act = d->act;
  g->ep.alpha = alpha;
  int rc = gemm_parallel(g);
  free(g);
  return rc;
}

/*
 * The taps of dx's stride phase (py, px): those with ky*dh = py + pt (mod sh) and likewise
 * in x; each reads dy at (iy + offy, ix + offx) for the phase pixel (py + sh*iy, px + sw*ix).
 */
static long phase_taps(const conv_dims *d, long py, long px, long *offy, long *offx, int *tapIndex) {
  long nt = 0;
  for (long ky = 0; ky < d->kh; ky++) {
    long ry = py + d->pt - ky * d->dh;
    if (((ry % d->sh) + d->sh) % d->sh != 0) continue;
    for (long kx = 0; kx < d->kw; kx++) {
      long rx = px + d->pl - kx * d->dw;
      if (((rx % d->sw) + d->sw) % d->sw != 0) continue;
      if (offy) {
        offy[nt] = ry / d->sh;
        offx[nt] = rx / d->sw;
        tapIndex[nt] = (int)(ky * d->kw + kx);
      }
      nt++;
    }
  }
  return nt;
}

/*
 * dx for few input channels (a network's stem): the phase GEMMs would be at most Cin
 * columns wide, so instead col = dy W^T (K = kh*kw*Cin columns) in blocks of rows, each
 * block scattered into dx (col2im).
 */
static int backprop_input_col(const float *dy, const float *w, float *dx, const conv_dims *d, gemm_args *g) {
  const long K = d->kh * d->kw * d->cin;
  const long M = d->n * d->ho * d->wo;
  long rows = (1L << 18) / (K > 0 ? K : 1);
  if (rows < 48) rows = 48;
  if (rows > M) rows = M;
  float *col = malloc(sizeof(float) * rows * K);
  if (col == NULL) return -1;
  memset(dx, 0, sizeof(float) * d->n * d->h * d->w * d->cin);
  int rc = 0;
  for (long r0 = 0; r0 < M && rc == 0; r0 += rows) {
    long r1 = r0 + rows < M ? r0 + rows : M;
    memset(g, 0, sizeof *g);
    g->M = r1 - r0;
    g->N = K;
    g->K = d->cout;
    g->a.kind = PACK_DENSE;
    g->a.data = dy + r0 * d->cout;
    g->a.ld = d->cout;
    g->b.kind = PACK_DENSE;
    g->b.data = w;
    g->b.ld = d->cout;
    g->b.trans = 1;
    g->c = col;
    g->ldc = K;
    rc = gemm_parallel(g);
    for (long m = r0; m < r1 && rc == 0; m++) {
      long ox = m % d->wo, t = m / d->wo;
      long oy = t % d->ho, b = t / d->ho;
      const float *src = col + (m - r0) * K;
      for (long ky = 0; ky < d->kh; ky++) {
        long iy = oy * d->sh - d->pt + ky * d->dh;
        if (iy < 0 || iy >= d->h) continue;
        for (long kx = 0; kx < d->kw; kx++) {
          long ix = ox * d->sw - d->pl + kx * d->dw;
          if (ix < 0 || ix >= d->w) continue;
          float *dst = dx + ((b * d->h + iy) * d->w + ix) * d->cin;
          const float *s = src + (ky * d->kw + kx) * d->cin;
          for (long ci = 0; ci < d->cin; ci++) dst[ci] += s[ci];
        }
      }
    }
  }
  free(col);
  return rc;
}

int conv_backprop_input(const float *dy, const float *w, float *dx, const conv_dims *d) {
  gemm_args *g = new_args();
  if (g == NULL) return -1;
  int rc = 0;
  if (pointwise(d)) {
    g->M = d->n * d->h * d->w;
    g->N = d->cin;
    g->K = d->cout;
    g->a.kind = PACK_DENSE;
    g->a.data = dy;
    g->a.ld = d->cout;
    g->b.kind = PACK_DENSE;
    g->b.data = w;
    g->b.ld = d->cout;
    g->b.trans = 1;
    g->c = dx;
    g->ldc = d->cin;
    rc = gemm_parallel(g);
    free(g);
    return rc;
  }
  if (d->cin < 16) {
    rc = backprop_input_col(dy, w, dx, d, g);
    free(g);
    return rc;
  }
  long *rowOff = NULL;
  /* A phase that no tap reaches gets no gradient: zero dx first when there is one. */
  for (long qy = 0; qy < d->sh && qy < d->h; qy++)
    for (long qx = 0; qx < d->sw && qx < d->w; qx++)
      if (phase_taps(d, qy, qx, NULL, NULL, NULL) == 0) {
        memset(dx, 0, sizeof(float) * d->n * d->h * d->w * d->cin);
        qy = d->sh;
        break;
      }
  for (long py = 0; py < d->sh && py < d->h && rc == 0; py++) {
    for (long px = 0; px < d->sw && px < d->w && rc == 0; px++) {
      long gh = (d->h - py + d->sh - 1) / d->sh;
      long gw = (d->w - px + d->sw - 1) / d->sw;
      memset(&g->a, 0, sizeof g->a);
      memset(&g->b, 0, sizeof g->b);
      long nt = phase_taps(d, py, px, g->a.offy, g->a.offx, g->b.tapIndex);
      if (nt == 0) continue;
      int single = d->sh == 1 && d->sw == 1;
      g->M = d->n * gh * gw;
      g->N = d->cin;
      g->K = nt * d->cout;
      g->a.kind = PACK_IM2COL;
      g->a.data = dy;
      g->a.sh = d->ho;
      g->a.sw = d->wo;
      g->a.sc = d->cout;
      g->a.gh = gh;
      g->a.gw = gw;
      g->a.rsy = 1;
      g->a.rsx = 1;
      g->a.ntaps = nt;
      g->b.kind = PACK_FILTER_T;
      g->b.data = w;
      g->b.ld = d->cin;
      g->b.sc = d->cout;
      g->b.ntaps = nt;
      g->c = dx;
      g->ldc = d->cin;
      if (single) {
        g->rowOff = NULL;
      } else {
        if (rowOff == NULL) rowOff = malloc(sizeof(long) * d->n * ((d->h + d->sh - 1) / d->sh) * ((d->w + d->sw - 1) / d->sw));
        if (rowOff == NULL) {
          rc = -1;
          break;
        }
        long m = 0;
        for (long b = 0; b < d->n; b++)
          for (long iy = 0; iy < gh; iy++)
            for (long ix = 0; ix < gw; ix++)
              rowOff[m++] = ((b * d->h + py + d->sh * iy) * d->w + px + d->sw * ix) * d->cin;
        g->rowOff = rowOff;
      }
      rc = gemm_parallel(g);
    }
  }
  free(rowOff);
  free(g);
  return rc;
}

int conv_backprop_filter(const float *x, const float *dy, float *dw, const conv_dims *d) {
  gemm_args *g = new_args();
  if (g == NULL) return -1;
  g->M = d->kh * d->kw * d->cin;
  g->N = d->cout;
  g->K = d->n * d->ho * d->wo;
  patches_operand(&g->a, x, d, 1);
  g->b.kind = PACK_DENSE;
  g->b.data = dy;
  g->b.ld = d->cout;
  g->c = dw;
  g->ldc = d->cout;
  int rc = gemm_parallel(g);
  free(g);
  return rc;
}

/* C[b] = op(A[b]) op(B[b]) (+ bias, activation); a batch of 1 broadcasts. */
int batch_matmul(const float *a, const float *b, const float *bias, float *c, long batchA, long batchB, long M,
                 long N, long K, int transA, int transB, int act, float alpha) {
  long batch = batchA > batchB ? batchA : batchB;
  gemm_args *g = new_args();
  if (g == NULL) return -1;
  int rc = 0;
  for (long i = 0; i < batch && rc == 0; i++) {
    g->M = M;
    g->N = N;
    g->K = K;
    g->a.kind = PACK_DENSE;
    g->a.data = a + (batchA == 1 ? 0 : i) * M * K;
    g->a.ld = transA ? M : K;
    g->a.trans = transA;
    g->b.kind = PACK_DENSE;
    g->b.data = b + (batchB == 1 ? 0 : i) * K * N;
    g->b.ld = transB ? K : N;
    g->b.trans = transB;
    g->c = c + i * M * N;
    g->ldc = N;
    g->ep.bias = bias;
    g->ep.act = act;
    g->ep.alpha = alpha;
    rc = gemm_parallel(g);
  }
  free(g);
  return rc;
}

/* ---------------------------------------------------------------- Node-API -- */

#define CHECK(call)                                                           \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error(env, NULL, "medinets native: Node-API call failed");   \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

/* The data pointer of a typed array argument (NULL for null/undefined when allowed). */
static int typed_ptr(napi_env env, napi_value v, napi_typedarray_type want, void **out, size_t *len, int nullable,
                     const char *what) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (nullable && (t == napi_null || t == napi_undefined)) {
    *out = NULL;
    *len = 0;
    return 1;
  }
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, out, &ab, &off) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  return 1;
}

static int get_f32(napi_env env, napi_value v, const float **p, size_t *len, int nullable, const char *what) {
  return typed_ptr(env, v, napi_float32_array, (void **)p, len, nullable, what);
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

static int fail(napi_env env, int rc) {
  if (rc != 0) napi_throw_error(env, NULL, "medinets native: out of memory");
  return rc;
}

static napi_value js_conv2d(napi_env env, napi_callback_info info) {
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

static napi_value js_conv2d_dx(napi_env env, napi_callback_info info) { return run_grad_pass(env, info, &DX_PASS); }
static napi_value js_conv2d_dw(napi_env env, napi_callback_info info) { return run_grad_pass(env, info, &DW_PASS); }

/* matmul(a, b, bias|null, c, Int32Array [batchA, batchB, M, N, K, transA, transB, act], alpha) */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
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

/* Float32Array arguments args[0..count) into ptrs, with their lengths. */
static int f32_args(napi_env env, napi_value *args, int count, const float **ptrs, size_t *lens, const char *fn) {
  for (int i = 0; i < count; i++) {
    if (!get_f32(env, args[i], &ptrs[i], &lens[i], 0, fn)) return 0;
  }
  return 1;
}

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
