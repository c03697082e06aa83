/*
 * The optimizers' updates as one pass over each variable, with the arithmetic of tfjs-core's
 * optimizers (adam_optimizer.ts, momentum_optimizer.ts, rmsprop_optimizer.ts, sgd_optimizer.ts):
 * the same float32 operations in the same order, each rounded once, so the results are the
 * same bits as tfjs' chain of elementwise kernels (which on wasm and cpu round every op to
 * float32: on cpu in float64 then to float32, which for + - * / and sqrt of float32 operands
 * gives the float32 result). No fused multiply-add may merge two of them: this file is built
 * for the baseline x86-64 target (no FMA), so the compiler cannot contract a*b+c; the loops
 * vectorise (SSE, 4 lanes: the same IEEE operations per lane).
 * Elementwise: a large variable is cut into contiguous slices, one per thread of the pool
 * (each element computed once, by the same operations), so the bits never depend on the
 * thread count.
 */
#include <math.h>
#include <stddef.h>

#include "gemm.h"
#include "kernels.h"

/* Element i of every output depends on element i of the inputs alone (an output may be its
 * input's very array): no dependence between iterations, so the loops vectorise. */
#if !defined(__clang__)
#define IVDEP _Pragma("GCC ivdep")
#elif __has_feature(address_sanitizer)
#define IVDEP /* the sanitized build (-O1) does not vectorise */
#else
#define IVDEP _Pragma("clang loop vectorize(assume_safety)")
#endif

/* Adam: s = {beta1, 1-beta1, beta2, 1-beta2, 1-beta1^t, 1-beta2^t, epsilon, -lr}. */
static void adam(const float *const *in, float *const *out, const float *s, long n) {
  const float *p = in[0], *g = in[1], *m = in[2], *v = in[3];
  float *po = out[0], *mo = out[1], *vo = out[2];
  const float b1 = s[0], omb1 = s[1], b2 = s[2], omb2 = s[3], c1 = s[4], c2 = s[5], eps = s[6], nlr = s[7];
  IVDEP
  for (long i = 0; i < n; i++) {
    const float gi = g[i];
    const float a1 = m[i] * b1, a2 = gi * omb1;
    const float m1 = a1 + a2;
    const float gg = gi * gi;
    const float q1 = v[i] * b2, q2 = gg * omb2;
    const float v1 = q1 + q2;
    const float mh = m1 / c1, vh = v1 / c2;
    const float den = sqrtf(vh) + eps;
    const float step = (mh / den) * nlr;
    mo[i] = m1;
    vo[i] = v1;
    po[i] = step + p[i];
  }
}

/* Momentum (Nesterov when s[2] != 0): s = {momentum, -lr, nesterov}. */
static void momentum(const float *const *in, float *const *out, const float *s, long n) {
  const float *p = in[0], *g = in[1], *a = in[2];
  float *po = out[0], *ao = out[1];
  const float mom = s[0], c = s[1];
  const int nesterov = s[2] != 0.0f;
  IVDEP
  for (long i = 0; i < n; i++) {
    const float t = mom * a[i];
    const float a1 = t + g[i];
    float d;
    if (nesterov) {
      const float u = a1 * mom;
      const float w = g[i] + u;
      d = c * w;
    } else {
      d = c * a1;
    }
    ao[i] = a1;
    po[i] = d + p[i];
  }
}

/*
 * RMSprop: s = {decay, 1-decay, lr, epsilon, momentum}; centered keeps the mean gradient
 * (in[4], out[3]) and divides by sqrt(ms - (mg^2 + eps)) as tfjs does.
 */
static void rmsprop(const float *const *in, float *const *out, const float *s, long n, int centered) {
  const float *p = in[0], *g = in[1], *ms = in[2], *mom = in[3], *mg = centered ? in[4] : NULL;
  float *po = out[0], *mso = out[1], *momo = out[2], *mgo = centered ? out[3] : NULL;
  const float decay = s[0], omd = s[1], lr = s[2], eps = s[3], mu = s[4];
  IVDEP
  for (long i = 0; i < n; i++) {
    const float gi = g[i];
    const float gg = gi * gi;
    const float a1 = ms[i] * decay, a2 = gg * omd;
    const float ms1 = a1 + a2;
    float den;
    if (centered) {
      const float b1 = mg[i] * decay, b2 = gi * omd;
      const float mg1 = b1 + b2;
      const float sq = mg1 * mg1;
      const float e = sq + eps;
      den = sqrtf(ms1 - e);
      mgo[i] = mg1;
    } else {
      den = sqrtf(ms1 + eps);
    }
    const float num = gi * lr;
    const float q = num / den;
    const float t = mom[i] * mu;
    const float mom1 = t + q;
    mso[i] = ms1;
    momo[i] = mom1;
    po[i] = p[i] - mom1;
  }
}

/* SGD: s = {-lr}. */
static void sgd(const float *const *in, float *const *out, const float *s, long n) {
  const float *p = in[0], *g = in[1];
  float *po = out[0];
  const float c = s[0];
  IVDEP
  for (long i = 0; i < n; i++) {
    const float d = c * g[i];
    po[i] = d + p[i];
  }
}

const optim_shape OPTIM_SHAPES[OPTIM_KINDS] = {
    /* ins, outs, scalars */
    [OPTIM_ADAM] = {4, 3, 8},
    [OPTIM_MOMENTUM] = {3, 2, 3},
    [OPTIM_RMSPROP] = {4, 3, 5},
    [OPTIM_RMSPROP_CENTERED] = {5, 4, 5},
    [OPTIM_SGD] = {2, 1, 1},
};

static void update_range(int kind, const float *const *in, float *const *out, const float *s, long n) {
  switch (kind) {
    case OPTIM_ADAM: adam(in, out, s, n); break;
    case OPTIM_MOMENTUM: momentum(in, out, s, n); break;
    case OPTIM_RMSPROP: rmsprop(in, out, s, n, 0); break;
    case OPTIM_RMSPROP_CENTERED: rmsprop(in, out, s, n, 1); break;
    default: sgd(in, out, s, n); break;
  }
}

typedef struct {
  int kind;
  const float *const *in;
  float *const *out;
  const float *s;
  long n;
} optim_job;

/* Slices on 16-value (cache-line) boundaries, so no two threads write one line. */
static int optim_share(void *ctx, int part, int parts) {
  const optim_job *j = ctx;
  const long blocks = (j->n + 15) / 16;
  long i0 = blocks * part / parts * 16, i1 = blocks * (part + 1) / parts * 16;
  if (i1 > j->n) i1 = j->n;
  if (i0 >= i1) return 0;
  const optim_shape sh = OPTIM_SHAPES[j->kind];
  const float *in[8];
  float *out[8];
  for (int k = 0; k < sh.ins; k++) in[k] = j->in[k] + i0;
  for (int k = 0; k < sh.outs; k++) out[k] = j->out[k] + i0;
  update_range(j->kind, in, out, j->s, i1 - i0);
  return 0;
}

/* Below this many values a variable is updated on the caller's thread: the hand-off costs more. */
#define OPTIM_PARALLEL_MIN (1L << 14)

void optim_update(int kind, const float *const *in, float *const *out, const float *s, long n) {
  if (n < OPTIM_PARALLEL_MIN) {
    update_range(kind, in, out, s, n);
    return;
  }
  optim_job j = {kind, in, out, s, n};
  long maxParts = n / OPTIM_PARALLEL_MIN;
  pool_run(optim_share, &j, maxParts > 64 ? 64 : (int)maxParts);
}
