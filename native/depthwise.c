/*
 * Depthwise convolution (MobileNet's, tfjs' DepthwiseConv2dNative and its two gradients),
 * NHWC in place: a depthwise tap is one multiply per channel, so there is no GEMM to feed;
 * the passes are direct loops over channels, compiled for AVX-512, AVX2/FMA and plain C from
 * one body (depthwise-body.h) and chosen at run time by CPUID (cpu_isa, microkernels.c,
 * which MEDINETS_NATIVE_ISA caps). All three give the same bits.
 */
#include <math.h>
#include <string.h>

#include "depthwise.h"
#include "gemm.h"

/* Channels per register-resident accumulator block: 4 zmm / 8 ymm. */
#define DW_BLOCK 64

#define DW_TARGET __attribute__((target("avx512f,avx2,fma")))
#define DW_NAME(f) dw_##f##_avx512
#include "depthwise-body.h"
#undef DW_TARGET
#undef DW_NAME

#define DW_TARGET __attribute__((target("avx2,fma")))
#define DW_NAME(f) dw_##f##_avx2
#include "depthwise-body.h"
#undef DW_TARGET
#undef DW_NAME

#define DW_TARGET
#define DW_NAME(f) dw_##f##_scalar
#include "depthwise-body.h"
#undef DW_TARGET
#undef DW_NAME

static int empty(const dw_dims *d) { return d->n == 0 || d->ho == 0 || d->wo == 0 || d->c == 0 || d->m == 0; }

int dw_forward(const float *x, const float *w, const float *bias, float *out, const dw_dims *d, float alpha) {
  if (empty(d)) return 0;
  switch (cpu_isa()) {
    case ISA_AVX512:
      dw_forward_avx512(x, w, bias, out, d, alpha);
      break;
    case ISA_AVX2:
      dw_forward_avx2(x, w, bias, out, d, alpha);
      break;
    default:
      dw_forward_scalar(x, w, bias, out, d, alpha);
  }
  return 0;
}

int dw_backprop_input(const float *dy, const float *w, float *dx, const dw_dims *d) {
  memset(dx, 0, sizeof(float) * (size_t)(d->n * d->h * d->w * d->c));
  if (empty(d)) return 0;
  switch (cpu_isa()) {
    case ISA_AVX512:
      dw_backprop_input_avx512(dy, w, dx, d);
      break;
    case ISA_AVX2:
      dw_backprop_input_avx2(dy, w, dx, d);
      break;
    default:
      dw_backprop_input_scalar(dy, w, dx, d);
  }
  return 0;
}

int dw_backprop_filter(const float *x, const float *dy, float *dwt, const dw_dims *d) {
  memset(dwt, 0, sizeof(float) * (size_t)(d->kh * d->kw * d->c * d->m));
  if (empty(d) || d->h == 0 || d->w == 0) return 0;
  switch (cpu_isa()) {
    case ISA_AVX512:
      dw_backprop_filter_avx512(x, dy, dwt, d);
      break;
    case ISA_AVX2:
      dw_backprop_filter_avx2(x, dy, dwt, d);
      break;
    default:
      dw_backprop_filter_scalar(x, dy, dwt, d);
  }
  return 0;
}
