/* Batched matrix products on the GEMM. */
#include <stdlib.h>

#include "gemm.h"
#include "kernels.h"

/* C[b] = op(A[b]) op(B[b]) (+ bias, activation); a batch of 1 broadcasts. */
int batch_matmul(const float *a, const float *b, const float *bias, float *c, long batchA, long batchB, long M,
                 long N, long K, int transA, int transB, int act, float alpha) {
  long batch = batchA > batchB ? batchA : batchB;
  gemm_args *g = calloc(1, sizeof(gemm_args));
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
