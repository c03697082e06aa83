#ifndef MEDINETS_DEPTHWISE_H
#define MEDINETS_DEPTHWISE_H

#include <node_api.h>

/*
 * The geometry of a depthwise convolution: NHWC images x [n, h, w, c], filters
 * [kh, kw, c, m] (m = channel multiplier), outputs [n, ho, wo, c * m] with output channel
 * ch * m + q reading input channel ch; explicit top / left padding; act as in gemm.h.
 */
typedef struct {
  long n, h, w, c, ho, wo, m, kh, kw, sh, sw, dh, dw, pt, pl;
  int act;
} dw_dims;

/*
 * The three passes (depthwise.c); callers have checked the shapes. The forward's affine, when
 * not NULL, is [2, channels * multiplier]: scale then shift after the bias (gemm.h's gemm_epilogue).
 */
int dw_forward(const float *x, const float *w, const float *bias, float *out, const dw_dims *d, float alpha,
               const float *affine);
int dw_backprop_input(const float *dy, const float *w, float *dx, const dw_dims *d);
int dw_backprop_filter(const float *x, const float *dy, float *dw, const dw_dims *d);

/* Their Node-API entry points (bindings-depthwise.c). */
napi_value js_dw_conv2d(napi_env env, napi_callback_info info);
napi_value js_dw_conv2d_dx(napi_env env, napi_callback_info info);
napi_value js_dw_conv2d_dw(napi_env env, napi_callback_info info);

#endif
