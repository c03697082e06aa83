/* Batched matrix products on the GEMM, with numpy-style broadcasting of the batch dimensions. */
#include <stdlib.h>

#include "gemm.h"
#include "kernels.h"

int batch_matmul(const float *a, const float *b, const float *bias, float *c, const mm_batch *bt, long M, long N,
                 long K, int transA, int transB, int act, float alpha) {
  if (bt->batch == 0 || M == 0 || N == 0) return 0; /* an empty product */
  gemm_args *g = calloc(1, sizeof(gemm_args));
  if (g == NULL) return -1;
  long idx[MM_MAX_RANK] = {0};
  int rc = 0;
  for (long i = 0; i < bt->batch && rc == 0; i++) {
    long ia = 0, ib = 0;
    for (int d = 0; d < bt->rank; d++) {
      ia += idx[d] * bt->strideA[d];
      ib += idx[d] * bt->strideB[d];
    }
    g->M = M;
    g->N = N;
    g->K = K;
    g->a.kind = PACK_DENSE;
    g->a.data = a + ia * M * K;
    g->a.ld = transA ? M : K;
    g->a.trans = transA;
    g->b.kind = PACK_DENSE;
    g->b.data = b + ib * K * N;
    g->b.ld = transB ? K : N;
    g->b.trans = transB;
    g->c = c + i * M * N;
    g->ldc = N;
    g->ep.bias = bias;
    g->ep.act = act;
    g->ep.alpha = alpha;
    rc = gemm_parallel(g);
    /* the next output index, row-major */
    for (int d = bt->rank - 1; d >= 0; d--) {
      if (++idx[d] < bt->out[d]) break;
      idx[d] = 0;
    }
  }
  free(g);
  return rc;
}
