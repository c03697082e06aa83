#ifndef MEDINETS_DEPTHWISE_KERNELS_H
#define MEDINETS_DEPTHWISE_KERNELS_H

/*
 * Between the depthwise passes (depthwise.c: rows, runs of pixels, threads) and their
 * kernels (depthwise-kernels.c: one per instruction set, from depthwise-body.h).
 */
#include "depthwise.h"

/*
 * A run of np pixels that read the same taps: tap (i, j) of pixel p (i < ny, j < nx) reads
 * src + p * ss + i * sy + j * sx and the filter at w + i * wy + j * wx, channels contiguous;
 * pixel p writes out + p * os.
 */
typedef struct {
  const float *src, *w;
  float *out;
  long np, ss, os, ny, nx, sy, sx, wy, wx;
} dw_run;

/*
 * The forward pass's epilogue: + bias (or + 0), the affine (* scale, then + shift, when scale
 * is not NULL: gemm.h's gemm_epilogue), activation. A gradient passes NULL.
 */
typedef struct {
  const float *bias;
  const float *scale, *shift;
  int act;
  float alpha;
} dw_epi;

/* The output pixels [oy0, oy1) x [ox0, ox1) whose taps all land inside the image. */
typedef struct {
  long oy0, oy1, ox0, ox1;
} dw_area;

/* Up to two runs of pixels of one output row for one dW tap: x and dy indices of the first. */
typedef struct {
  long count, x[2], dy[2], len[2], xstep;
} dw_seg;

/* What an instruction set provides (depthwise-body.h). */
typedef struct {
  void (*gather)(const dw_run *r, long c, const dw_epi *e);
  void (*spread)(const dw_run *r, long c, long m, const dw_epi *e);
  void (*reduce)(const dw_run *r, long c, long m);
  void (*dw_tap)(const float *x, const float *dy, float *dst, const dw_dims *d, const dw_seg *s);
  void (*dw9)(const float *x, const float *dy, float *dst, const dw_dims *d, const dw_area *a, long r0, long r1);
} dw_isa;

/* The kernels of the instruction set cpu_isa() chose. */
const dw_isa *dw_kernels(void);

#endif
