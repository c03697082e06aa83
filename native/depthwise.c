/*
 * Depthwise convolution (MobileNet's, tfjs' DepthwiseConv2dNative and its two gradients),
 * NHWC in place: a depthwise tap is one multiply per channel, so there is no GEMM to feed.
 * Here the passes are cut into runs of pixels that read the same taps (depthwise-kernels.c
 * computes a run, for AVX-512, AVX2/FMA or plain C as CPUID allows) and spread over the thread
 * pool: forward and dx by whole output rows (each element computed by one thread), dW by
 * row chunks fixed by the shapes, whose partial sums are added in chunk order. So every
 * instruction set and every thread count gives the same bits.
 */
#include <stdlib.h>
#include <string.h>

#include "depthwise-kernels.h"
#include "gemm.h"

/* The taps [*k0, *k1) of k (dilation dl) that output o (stride s, padding p) reads inside [0, extent). */
static void tap_range(long o, long s, long p, long dl, long k, long extent, long *k0, long *k1) {
  const long at = o * s - p;
  long a = at >= 0 ? 0 : (-at + dl - 1) / dl, b = at < extent ? (extent - at + dl - 1) / dl : 0;
  if (b > k) b = k;
  *k0 = a < b ? a : b;
  *k1 = b;
}

/* The outputs [*o0, *o1) of n (stride s) whose tap at offset `off` lands inside [0, extent). */
static void out_range(long off, long s, long extent, long n, long *o0, long *o1) {
  long a = off >= 0 ? 0 : (-off + s - 1) / s, b = extent - off > 0 ? (extent - off + s - 1) / s : 0;
  if (b > n) b = n;
  *o0 = a < b ? a : b;
  *o1 = b;
}

/* A pass's arguments, shared by the threads; rows are output rows (forward, dW) or input rows (dx). */
/*
 * A run of np columns of one row that read the same taps: forward, output columns from `at`
 * with taps [k0, k0 + nk); dx, input columns at, at + sw, ... with nk taps from k0, the first
 * reading output column o0. The same in every row, so found once per call.
 */
typedef struct {
  long at, np, k0, nk, o0;
} dw_cols;

typedef struct {
  const float *a, *b;
  float *out;
  const dw_dims *d;
  dw_epi e;
  const dw_isa *isa;
  long rows, chunks, size;
  float *partial;
  const dw_cols *cols;
  long ncols;
} dw_job;

/* The forward pass's column runs into cols (when not NULL); returns their count. */
static long forward_cols(const dw_dims *d, dw_cols *cols) {
  long count = 0, kx0, kx1, e0, e1;
  for (long ox = 0, end; ox < d->wo; ox = end) {
    tap_range(ox, d->sw, d->pl, d->dw, d->kw, d->w, &kx0, &kx1);
    for (end = ox + 1; end < d->wo; end++) {
      tap_range(end, d->sw, d->pl, d->dw, d->kw, d->w, &e0, &e1);
      if (e0 != kx0 || e1 != kx1) break;
    }
    if (cols != NULL) cols[count] = (dw_cols){ox, end - ox, kx0, kx1 - kx0, 0};
    count++;
  }
  return count;
}

static void forward_rows(const dw_job *j, long r0, long r1) {
  const dw_dims *d = j->d;
  const long c = d->c, cm = c * d->m;
  for (long r = r0; r < r1; r++) {
    const long b = r / d->ho, oy = r % d->ho;
    long ky0, ky1;
    tap_range(oy, d->sh, d->pt, d->dh, d->kh, d->h, &ky0, &ky1);
    for (long k = 0; k < j->ncols; k++) {
      const dw_cols *col = &j->cols[k];
      dw_run run = {j->a, j->b, j->out + ((r * d->wo + col->at) * cm), col->np, d->sw * c, cm, ky1 - ky0, col->nk,
                    d->dh * d->w * c, d->dw * c, d->kw * cm, cm};
      if (run.ny > 0 && run.nx > 0) {
        run.src += ((b * d->h + oy * d->sh - d->pt + ky0 * d->dh) * d->w + col->at * d->sw - d->pl + col->k0 * d->dw) * c;
        run.w += (ky0 * d->kw + col->k0) * cm;
      } else {
        run.ny = run.nx = run.ss = 0; /* no tap inside the image: bias and activation of 0 */
      }
      if (d->m == 1)
        j->isa->gather(&run, c, &j->e);
      else
        j->isa->spread(&run, c, d->m, &j->e);
    }
  }
}

static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }

/*
 * The taps [first, first + count * step) of k that input position i (stride s, dilation dl,
 * padding p) receives from an output inside [0, n): o = (i + p - k * dl) / s, exact. They
 * form an arithmetic progression, in which o falls as k rises; *o is the first one's output.
 */
static long dx_taps(long i, long s, long dl, long p, long k, long n, long *first, long *o) {
  const long step = s / gcd(s, dl);
  *first = 0;
  for (long kk = 0; kk < k; kk++) {
    const long t = i + p - kk * dl;
    if (t < 0) return 0;
    if (t % s == 0 && t / s < n) {
      long count = 0;
      for (long q = kk; q < k && i + p - q * dl >= 0; q += step) count++;
      *first = kk;
      *o = t / s;
      return count;
    }
  }
  return 0;
}

/*
 * dx by input rows: each input pixel gathers dy times the filter over the taps that read it,
 * ky then kx ascending. Pixels of one residue of ix modulo the stride with the same taps form
 * a run (their dy pixels are consecutive).
 */
/* dx's column runs into cols (when not NULL), residue by residue of the stride; their count. */
static long dx_cols(const dw_dims *d, dw_cols *cols) {
  long count = 0, kxA, oxA = 0, e0, eo;
  for (long rho = 0; rho < d->sw && rho < d->w; rho++)
    for (long ix = rho, end; ix < d->w; ix = end) {
      const long nx = dx_taps(ix, d->sw, d->dw, d->pl, d->kw, d->wo, &kxA, &oxA);
      for (end = ix + d->sw; end < d->w; end += d->sw)
        if (dx_taps(end, d->sw, d->dw, d->pl, d->kw, d->wo, &e0, &eo) != nx || e0 != kxA) break;
      if (cols != NULL) cols[count] = (dw_cols){ix, (end - ix) / d->sw, kxA, nx, oxA};
      count++;
    }
  return count;
}

static void dx_rows(const dw_job *j, long r0, long r1) {
  const dw_dims *d = j->d;
  const long c = d->c, cm = c * d->m, sy = d->sh / gcd(d->sh, d->dh), sx = d->sw / gcd(d->sw, d->dw);
  for (long r = r0; r < r1; r++) {
    const long b = r / d->h, iy = r % d->h;
    long kyA, oyA = 0;
    const long ny = dx_taps(iy, d->sh, d->dh, d->pt, d->kh, d->ho, &kyA, &oyA);
    for (long k = 0; k < j->ncols; k++) {
      const dw_cols *col = &j->cols[k];
      dw_run run = {j->a, j->b, j->out + ((r * d->w + col->at) * c), col->np, cm, d->sw * c, ny, col->nk,
                    -(sy * d->dh / d->sh) * d->wo * cm, -(sx * d->dw / d->sw) * cm, sy * d->kw * cm, sx * cm};
      if (ny > 0 && col->nk > 0) {
        run.src += ((b * d->ho + oyA) * d->wo + col->o0) * cm;
        run.w += (kyA * d->kw + col->k0) * cm;
      } else {
        run.ny = run.nx = run.ss = 0;
      }
      if (d->m == 1)
        j->isa->gather(&run, c, NULL);
      else
        j->isa->reduce(&run, c, d->m);
    }
  }
}

/*
 * dW partial sums of output rows [r0, r1) into dst: per tap and channel one chain from 0,
 * first over the interior pixels (all taps inside the image; for a 3x3 filter all 9 taps at
 * once), then over the tap's own pixels beyond the interior, each in row-major order.
 */
static void dw_rows(const dw_job *j, float *dst, long r0, long r1) {
  const dw_dims *d = j->d;
  const long c = d->c, cm = c * d->m, taps = d->kh * d->kw;
  memset(dst, 0, sizeof(float) * (size_t)j->size);
  dw_area in = {0, d->ho, 0, d->wo};
  for (long t = 0; t < taps; t++) {
    long a, b;
    out_range((t / d->kw) * d->dh - d->pt, d->sh, d->h, d->ho, &a, &b);
    in.oy0 = a > in.oy0 ? a : in.oy0, in.oy1 = b < in.oy1 ? b : in.oy1;
    out_range((t % d->kw) * d->dw - d->pl, d->sw, d->w, d->wo, &a, &b);
    in.ox0 = a > in.ox0 ? a : in.ox0, in.ox1 = b < in.ox1 ? b : in.ox1;
  }
  const int inner = in.oy0 < in.oy1 && in.ox0 < in.ox1;
  if (inner && d->m == 1 && taps == 9) j->isa->dw9(j->a, j->b, dst, d, &in, r0, r1);
  for (int phase = (inner && d->m == 1 && taps == 9) ? 1 : 0; phase < 2; phase++)
    for (long t = 0; t < taps; t++) {
      const long ky = t / d->kw, kx = t % d->kw;
      long ya, yb, xa, xb;
      out_range(ky * d->dh - d->pt, d->sh, d->h, d->ho, &ya, &yb);
      out_range(kx * d->dw - d->pl, d->sw, d->w, d->wo, &xa, &xb);
      if (ya >= yb || xa >= xb) continue; /* a tap no output reads inside the image */
      for (long r = r0; r < r1; r++) {
        const long b = r / d->ho, oy = r % d->ho;
        const int innerRow = inner && oy >= in.oy0 && oy < in.oy1;
        long lo[2], hi[2], n = 0;
        if (phase == 0) { /* the interior */
          if (innerRow) lo[n] = in.ox0, hi[n++] = in.ox1;
        } else if (oy >= ya && oy < yb) { /* the tap's pixels beyond it */
          if (!innerRow) {
            lo[n] = xa, hi[n++] = xb;
          } else {
            lo[n] = xa, hi[n++] = in.ox0;
            lo[n] = in.ox1, hi[n++] = xb;
          }
        }
        dw_seg s = {0, {0, 0}, {0, 0}, {0, 0}, d->sw * c};
        for (long k = 0; k < n; k++) {
          if (lo[k] >= hi[k]) continue;
          s.x[s.count] = ((b * d->h + oy * d->sh - d->pt + ky * d->dh) * d->w + lo[k] * d->sw - d->pl + kx * d->dw) * c;
          s.dy[s.count] = (r * d->wo + lo[k]) * cm;
          s.len[s.count++] = hi[k] - lo[k];
        }
        if (s.count > 0) j->isa->dw_tap(j->a, j->b, dst + t * cm, d, &s);
      }
    }
}

/* Part `part` of `parts`: its share of the rows (forward, dx) or of dW's chunks. */
static int forward_share(void *ctx, int part, int parts) {
  const dw_job *j = ctx;
  forward_rows(j, j->rows * part / parts, j->rows * (part + 1) / parts);
  return 0;
}

static int dx_share(void *ctx, int part, int parts) {
  const dw_job *j = ctx;
  dx_rows(j, j->rows * part / parts, j->rows * (part + 1) / parts);
  return 0;
}

static int dw_share(void *ctx, int part, int parts) {
  const dw_job *j = ctx;
  for (long k = j->chunks * part / parts; k < j->chunks * (part + 1) / parts; k++)
    dw_rows(j, j->chunks == 1 ? j->out : j->partial + k * j->size, j->rows * k / j->chunks,
            j->rows * (k + 1) / j->chunks);
  return 0;
}

/* Threads for `work` multiply-adds: one below 2^16 (a hand-off costs more), at most `rows`. */
static int max_parts(double work, long rows) {
  if (work < 65536.0) return 1;
  return rows < 64 ? (int)rows : 64;
}

static int empty(const dw_dims *d) { return d->n == 0 || d->ho == 0 || d->wo == 0 || d->c == 0 || d->m == 0; }

static double taps_work(const dw_dims *d, long pixels) { return (double)pixels * d->c * d->m * d->kh * d->kw; }

/* Runs the pass over j's rows on the pool, with its column runs found first. */
static int run_rows(dw_job *j, long (*find)(const dw_dims *, dw_cols *), int (*share)(void *, int, int),
                    double work) {
  j->ncols = find(j->d, NULL);
  dw_cols *cols = malloc(sizeof(dw_cols) * (size_t)(j->ncols > 0 ? j->ncols : 1));
  if (cols == NULL) return 1;
  find(j->d, cols);
  j->cols = cols;
  const int rc = pool_run(share, j, max_parts(work, j->rows));
  free(cols);
  return rc;
}

int dw_forward(const float *x, const float *w, const float *bias, float *out, const dw_dims *d, float alpha,
               const float *affine) {
  if (empty(d)) return 0;
  const float *shift = affine ? affine + d->c * d->m : NULL;
  dw_job j = {x, w, out, d, {bias, affine, shift, d->act, alpha}, dw_kernels(), d->n * d->ho, 0, 0, NULL, NULL, 0};
  return run_rows(&j, forward_cols, forward_share, taps_work(d, j.rows * d->wo));
}

int dw_backprop_input(const float *dy, const float *w, float *dx, const dw_dims *d) {
  if (d->n * d->h * d->w * d->c == 0) return 0;
  if (empty(d)) {
    memset(dx, 0, sizeof(float) * (size_t)(d->n * d->h * d->w * d->c));
    return 0;
  }
  dw_job j = {dy, w, dx, d, {NULL, NULL, NULL, ACT_NONE, 0.0f}, dw_kernels(), d->n * d->h, 0, 0, NULL, NULL, 0};
  return run_rows(&j, dx_cols, dx_share, taps_work(d, j.rows * d->w));
}

/* dW's row chunks: fixed by the shapes alone (never by the thread count), at most 16. */
static long dw_chunks(const dw_dims *d, long rows) {
  const double k = taps_work(d, rows * d->wo) / 131072.0;
  long n = k < 1.0 ? 1 : k > 16.0 ? 16 : (long)k;
  return n < rows ? n : rows;
}

int dw_backprop_filter(const float *x, const float *dy, float *dwt, const dw_dims *d) {
  const long size = d->kh * d->kw * d->c * d->m;
  if (empty(d) || d->h == 0 || d->w == 0) {
    memset(dwt, 0, sizeof(float) * (size_t)size);
    return 0;
  }
  dw_job j = {x, dy, dwt, d, {NULL, NULL, NULL, ACT_NONE, 0.0f}, dw_kernels(), d->n * d->ho, 0, size, NULL, NULL, 0};
  j.chunks = dw_chunks(d, j.rows);
  if (j.chunks > 1 && (j.partial = malloc(sizeof(float) * (size_t)(j.chunks * size))) == NULL) return 1;
  int rc = pool_run(dw_share, &j, (int)j.chunks);
  if (j.chunks > 1) {
    if (rc == 0) { /* the chunks' sums in chunk order */
      memcpy(dwt, j.partial, sizeof(float) * (size_t)size);
      for (long k = 1; k < j.chunks; k++)
        for (long i = 0; i < size; i++) dwt[i] += j.partial[k * size + i];
    }
    free(j.partial);
  }
  return rc;
}
