/* Concatenation and splitting along an axis, as rows of an [outer, inner] view. */
#include <string.h>

#include "kernels.h"

/* Concatenation along an axis: each of `outer` rows of the output is the inputs' rows in turn. */
void concat_rows(float *out, const float *const *ins, const long *inner, int count, long outer) {
  long total = 0;
  for (int k = 0; k < count; k++) total += inner[k];
  for (long r = 0; r < outer; r++) {
    float *o = out + r * total;
    for (int k = 0; k < count; k++) {
      memcpy(o, ins[k] + r * inner[k], sizeof(float) * (size_t)inner[k]);
      o += inner[k];
    }
  }
}

/* The inverse: each output k takes its `inner[k]` values of every row. */
void split_rows(const float *x, float *const *outs, const long *inner, int count, long outer) {
  long total = 0;
  for (int k = 0; k < count; k++) total += inner[k];
  for (long r = 0; r < outer; r++) {
    const float *s = x + r * total;
    for (int k = 0; k < count; k++) {
      memcpy(outs[k] + r * inner[k], s, sizeof(float) * (size_t)inner[k]);
      s += inner[k];
    }
  }
}
