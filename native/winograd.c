/*
 * 3x3 stride-1 convolutions (forward, and dx as the forward of dy with the flipped filter) by
 * Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray, 2016; points 0, +-1, +-2 and
 * infinity), as the wasm module's (wasm/winograd.c): each 4x4 block of outputs (a tile) is
 * A^T [(G g G^T) . (B^T d B)] A for its 6x6 block d of input, summed over the input channels.
 * The 36 positions' products over a block of tiles are matrix products V [tiles, C] x U [C, K]
 * on the indirect GEMM's micro-kernels (igemm.c): 2.25 multiply-adds per output and channel pair
 * instead of 9. The transforms run on 16 channels at once (NHWC keeps them contiguous), in
 * plain vector C compiled for AVX-512 and for AVX2 (each lane's float operations one by one,
 * -ffp-contract=off), and each GEMM output is one FMA chain over the channels in order on both
 * micro-kernels: the two instruction sets give the same bits, and every tile is computed whole
 * by one thread, so the bits never depend on the thread count. They differ from the direct
 * convolution's by the transforms' roundings (tested against float64 sums).
 *
 * The filter is transformed once per call into 36 matrices packed as the micro-kernels' B
 * panels. Then either each thread takes its own tiles in blocks whose transformed inputs and
 * products stay in its L2 (small filters), or, for a large filter and few tiles, all threads
 * transform all tiles, share the 36 products out by position and column panel (each panel of U
 * read once), and transform the outputs.
 */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "kernels.h"

#define WQ 36  /* positions of a 6x6 transform */
#define LANES 16

typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64), aligned(4)));
#define LD(p) (*(const v16 *)(p))
#define ST(p, v) (*(v16 *)(p) = (v))

/* cnt (1..16) floats at p, zeros after; and the first cnt lanes of v stored at p. */
static inline void load_n(v16 *out, const float *p, long cnt) {
  float tmp[LANES] = {0};
  memcpy(tmp, p, sizeof(float) * cnt);
  *out = LD(tmp);
}
static inline void store_n(float *p, const float *lanes, long cnt) { memcpy(p, lanes, sizeof(float) * cnt); }

static int enabled = -1; /* MEDINETS_NATIVE_WINOGRAD=0 turns it off; winograd_enable() sets it */

void winograd_enable(int on) { __atomic_store_n(&enabled, on ? 1 : 0, __ATOMIC_RELAXED); }

static int is_enabled(void) {
  int e = __atomic_load_n(&enabled, __ATOMIC_RELAXED);
  if (e < 0) {
    const char *v = getenv("MEDINETS_NATIVE_WINOGRAD");
    e = !(v != NULL && v[0] == '0' && v[1] == '\0');
    __atomic_store_n(&enabled, e, __ATOMIC_RELAXED);
  }
  return e;
}

/* The convolution as computed: input [n, H, W, C], output [n, HO, WO, K], 3x3 filter g(t, c, k). */
typedef struct {
  const float *x, *w;
  float *y;
  long n, H, W, C, HO, WO, K, pt, pl;
  int flip;       /* dx: g(t, c, k) = w[8 - t][k][c] of a [3, 3, K, C] filter; else w[t][c][k] */
  gemm_epilogue ep; /* bias, affine, activation per output channel */
  long coutp;     /* padded_cout(K) */
  long th, tw, T; /* tiles per column and row, in all */
  float *u;       /* U: 36 x [C, coutp], position q's panel p at u + q C coutp + p C 16 */
  int avx512;
  long mt, nt;    /* the micro-kernel's tile: 12 x 32 (AVX-512) or 6 x 16 (AVX2) */
  long pairs;     /* the products' (position, column tile) pairs */
  long tb;        /* tiles per block */
  float *v, *m;   /* the shared block's V and M (phased scheme) */
  long rows;      /* rows of the shared block (T rounded up to the row tile) */
} wino_job;

/* -------------------------------------------------------------- transforms -- */

#define WINO_TRANSFORMS(SFX, ATTR)                                                                             \
  ATTR static inline void g3_##SFX(const v16 *pa, const v16 *pb, const v16 *pc, v16 *o) {                      \
    const v16 a = *pa, b = *pb, c = *pc;                                                                       \
    const v16 ac = a + c, p = (ac + b) * (-1.0f / 6), m = (ac - b) * (-1.0f / 6);                               \
    const v16 q = a * (1.0f / 24) + c * (1.0f / 6), r = b * (1.0f / 12);                                        \
    o[0] = a * 0.25f;                                                                                          \
    o[1] = p;                                                                                                  \
    o[2] = m;                                                                                                  \
    o[3] = q + r;                                                                                              \
    o[4] = q - r;                                                                                              \
    o[5] = c;                                                                                                  \
  }                                                                                                            \
  ATTR static inline void bt6_##SFX(const v16 *d, v16 *o) {                                                    \
    const v16 d4d2 = d[4] - d[2], d4d3 = d[4] - d[3];                                                          \
    o[0] = (d[0] * 4.0f - d[2] * 5.0f) + d[4];                                                                 \
    o[1] = (d[3] + d[4]) - (d[1] + d[2]) * 4.0f;                                                               \
    o[2] = (d[1] - d[2]) * 4.0f + d4d3;                                                                        \
    o[3] = (d[3] - d[1]) * 2.0f + d4d2;                                                                        \
    o[4] = (d[1] - d[3]) * 2.0f + d4d2;                                                                        \
    o[5] = (d[1] * 4.0f - d[3] * 5.0f) + d[5];                                                                 \
  }                                                                                                            \
  ATTR static inline void at6_##SFX(const v16 *m, v16 *o) {                                                    \
    const v16 s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];                      \
    o[0] = (m[0] + s12) + s34;                                                                                 \
    o[1] = d12 + d34 * 2.0f;                                                                                   \
    o[2] = s12 + s34 * 4.0f;                                                                                   \
    o[3] = (d12 + d34 * 8.0f) + m[5];                                                                          \
  }                                                                                                            \
  /* U's panels [p0, p1): for each input channel, 16 output channels' G g G^T */                              \
  ATTR static void filter_##SFX(const wino_job *j, long p0, long p1) {                                         \
    const long C = j->C, K = j->K, pq = C * j->coutp;                                                           \
    for (long p = p0; p < p1; p++)                                                                             \
      for (long c = 0; c < C; c++) {                                                                           \
        v16 g[9];                                                                                              \
        for (int t = 0; t < 9; t++) {                                                                          \
          if (!j->flip && (p + 1) * LANES <= K) {                                                              \
            g[t] = LD(j->w + (t * C + c) * K + p * LANES);                                                     \
            continue;                                                                                          \
          }                                                                                                    \
          float tmp[LANES] = {0};                                                                              \
          for (long l = 0; l < LANES && p * LANES + l < K; l++) {                                              \
            const long k = p * LANES + l;                                                                      \
            tmp[l] = j->flip ? j->w[((8 - t) * K + k) * C + c] : j->w[(t * C + c) * K + k];                    \
          }                                                                                                    \
          g[t] = LD(tmp);                                                                                      \
        }                                                                                                      \
        v16 col[3][6];                                                                                         \
        for (int kx = 0; kx < 3; kx++) g3_##SFX(&g[kx], &g[3 + kx], &g[6 + kx], col[kx]);                      \
        float *d = j->u + p * C * LANES + c * LANES;                                                           \
        for (int i = 0; i < 6; i++) {                                                                          \
          v16 row[6];                                                                                          \
          g3_##SFX(&col[0][i], &col[1][i], &col[2][i], row);                                                   \
          for (int q = 0; q < 6; q++) ST(d + (i * 6 + q) * pq, row[q]);                                        \
        }                                                                                                      \
      }                                                                                                        \
  }                                                                                                            \
  /* V's rows [r0, r1) for the block's tiles t0 + r, zeros from tile t1 on: position q's row r at           \
     v + (q rows + r) C */                                                                                     \
  ATTR static void input_##SFX(const wino_job *j, float *v, long rows, long t0, long t1, long r0, long r1) {  \
    const long C = j->C, H = j->H, W = j->W;                                                                   \
    for (long r = r0; r < r1; r++) {                                                                           \
      const long t = t0 + r;                                                                                   \
      if (t >= t1) {                                                                                           \
        for (long q = 0; q < WQ; q++) memset(v + (q * rows + r) * C, 0, sizeof(float) * C);                   \
        continue;                                                                                              \
      }                                                                                                        \
      const long b = t / (j->th * j->tw), iy = (t / j->tw) % j->th * 4 - j->pt, ix = t % j->tw * 4 - j->pl;    \
      const float *img = j->x + b * H * W * C;                                                                 \
      for (long c = 0; c < C; c += LANES) {                                                                    \
        const long cnt = C - c < LANES ? C - c : LANES;                                                        \
        v16 d[6][6];                                                                                           \
        for (int i = 0; i < 6; i++)                                                                            \
          for (int q = 0; q < 6; q++) {                                                                        \
            const long yy = iy + i, xx = ix + q;                                                               \
            const float *s = img + (yy * W + xx) * C + c;                                                      \
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) {                                                      \
              d[i][q] = (v16){0};                                                                              \
            } else {                                                                                           \
              if (cnt == LANES)                                                                                \
                d[i][q] = LD(s);                                                                               \
              else                                                                                             \
                load_n(&d[i][q], s, cnt);                                                                      \
            }                                                                                                  \
          }                                                                                                    \
        v16 e[6][6];                                                                                           \
        for (int i = 0; i < 6; i++) bt6_##SFX(d[i], e[i]);                                                     \
        for (int q = 0; q < 6; q++) {                                                                          \
          v16 col[6], o[6];                                                                                    \
          for (int i = 0; i < 6; i++) col[i] = e[i][q];                                                        \
          bt6_##SFX(col, o);                                                                                   \
          for (int i = 0; i < 6; i++) {                                                                        \
            float *dst = v + ((i * 6 + q) * rows + r) * C + c;                                                 \
            if (cnt == LANES)                                                                                  \
              ST(dst, o[i]);                                                                                   \
            else                                                                                               \
              store_n(dst, (const float *)&o[i], cnt);                                                         \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
    }                                                                                                          \
  }                                                                                                            \
  /* the outputs of the block's tiles t0 + r, r in [r0, r1) (inside the output), from M: position q's        \
     row r at m + (q rows + r) coutp; + bias, the affine, then the activation as igemm.c's store() */                      \
  ATTR static void output_##SFX(const wino_job *j, const float *m, long rows, long t0, long r0, long r1) {    \
    const long K = j->K, HO = j->HO, WO = j->WO, cp = j->coutp;                                                \
    const v16 zero = {0}, six = zero + 6.0f, alpha = zero + j->ep.alpha;                                          \
    for (long r = r0; r < r1 && t0 + r < j->T; r++) {                                                          \
      const long t = t0 + r, b = t / (j->th * j->tw), oy = (t / j->tw) % j->th * 4, ox = t % j->tw * 4;       \
      const long nr = HO - oy < 4 ? HO - oy : 4, nc = WO - ox < 4 ? WO - ox : 4;                               \
      for (long k = 0; k < K; k += LANES) {                                                                    \
        const long cnt = K - k < LANES ? K - k : LANES;                                                        \
        v16 e[6][4];                                                                                           \
        for (int i = 0; i < 6; i++) {                                                                          \
          v16 row[6];                                                                                          \
          for (int q = 0; q < 6; q++) row[q] = LD(m + ((i * 6 + q) * rows + r) * cp + k);                      \
          at6_##SFX(row, e[i]);                                                                                \
        }                                                                                                      \
        v16 bias = zero, scale = zero, shift = zero;                                                           \
        if (j->ep.bias != NULL) load_n(&bias, j->ep.bias + k, cnt);                                            \
        if (j->ep.scale != NULL) {                                                                             \
          load_n(&scale, j->ep.scale + k, cnt);                                                                \
          load_n(&shift, j->ep.shift + k, cnt);                                                                \
        }                                                                                                      \
        for (int q = 0; q < nc; q++) {                                                                         \
          v16 col[6], o[4];                                                                                    \
          for (int i = 0; i < 6; i++) col[i] = e[i][q];                                                        \
          at6_##SFX(col, o);                                                                                   \
          for (int i = 0; i < nr; i++) {                                                                       \
            v16 s = o[i] + bias;                                                                               \
            if (j->ep.scale != NULL) s = s * scale + shift;                                                    \
            v16i si = (v16i)s;                                                                                 \
            switch (j->ep.act) {                                                                               \
              case ACT_RELU:                                                                                   \
                s = (v16)(si & (s > zero));                                                                    \
                break;                                                                                         \
              case ACT_RELU6: {                                                                                \
                const v16i lt = s < zero;                                                                      \
                const v16 s0 = (v16)(si & ~lt);                                                                \
                const v16i gt = s0 > six;                                                                      \
                s = (v16)(((v16i)s0 & ~gt) | ((v16i)six & gt));                                                \
                break;                                                                                         \
              }                                                                                                \
              case ACT_LEAKY: {                                                                                \
                const v16i lt = s < zero;                                                                      \
                s = (v16)(((v16i)(s * alpha) & lt) | (si & ~lt));                                              \
                break;                                                                                         \
              }                                                                                                \
              default:                                                                                         \
                break;                                                                                         \
            }                                                                                                  \
            float *dst = j->y + ((b * HO + oy + i) * WO + ox + q) * K + k;                                     \
            if (cnt == LANES)                                                                                  \
              ST(dst, s);                                                                                      \
            else                                                                                               \
              store_n(dst, (const float *)&s, cnt);                                                            \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
    }                                                                                                          \
  }

WINO_TRANSFORMS(avx512, __attribute__((target("avx512f"))))
WINO_TRANSFORMS(avx2, __attribute__((target("avx2"))))

static void filter_panels(const wino_job *j, long p0, long p1) {
  (j->avx512 ? filter_avx512 : filter_avx2)(j, p0, p1);
}
static void input_rows(const wino_job *j, float *v, long rows, long t0, long t1, long r0, long r1) {
  (j->avx512 ? input_avx512 : input_avx2)(j, v, rows, t0, t1, r0, r1);
}
static void output_rows(const wino_job *j, const float *m, long rows, long t0, long r0, long r1) {
  (j->avx512 ? output_avx512 : output_avx2)(j, m, rows, t0, r0, r1);
}

/* ------------------------------------------------------------------ products -- */

/*
 * M_q = V_q U_q for the (position, column tile) pairs [s0, s1) of a block of `rows` rows (a
 * multiple of the row tile): each output one FMA chain over the C channels (igemm.c's kernels).
 */
static void products(const wino_job *j, const float *v, float *m, long rows, long s0, long s1) {
  const long C = j->C, cp = j->coutp, mt = j->mt, nt = j->nt, ntiles = cp / nt;
  const float *ptr[12];
  float acc[12 * 32] __attribute__((aligned(64)));
  for (long s = s0; s < s1; s++) {
    const long q = s / ntiles, u = s % ntiles;
    const float *vq = v + q * rows * C, *b0 = j->u + q * C * cp + u * (nt / NR) * C * NR;
    float *mq = m + q * rows * cp + u * nt;
    for (long r = 0; r < rows; r += mt) {
      for (long i = 0; i < mt; i++) ptr[i] = vq + (r + i) * C;
      if (j->avx512) {
        const tile_out o = {mq + r * cp, cp, NULL, NULL, NULL, ACT_NONE, 0.0f};
        ik_avx512(1, C, ptr, b0, b0 + C * NR, acc, &o);
      } else {
        ik_avx2(1, C, ptr, b0, acc);
        for (long i = 0; i < mt; i++) memcpy(mq + (r + i) * cp, acc + i * NR, sizeof(float) * NR);
      }
    }
  }
}

/* --------------------------------------------------------------- schedules -- */

static int filter_share(void *ctx, int part, int parts) {
  const wino_job *j = ctx;
  const long panels = j->coutp / LANES;
  filter_panels(j, panels * part / parts, panels * (part + 1) / parts);
  return 0;
}

/* Own blocks: this part's tiles, tb at a time, through its own V and M. */
static int blocks_share(void *ctx, int part, int parts) {
  const wino_job *j = ctx;
  const long t0 = j->T * part / parts, t1 = j->T * (part + 1) / parts;
  if (t1 <= t0) return 0;
  const long tb = j->tb;
  float *v = aligned_alloc(64, sizeof(float) * WQ * tb * (j->C + j->coutp));
  if (v == NULL) return -1;
  float *m = v + WQ * tb * j->C;
  for (long b = t0; b < t1; b += tb) {
    const long h = t1 - b < tb ? t1 - b : tb, rows = (h + j->mt - 1) / j->mt * j->mt;
    /* rows past this part's tiles are zeros, not the next part's tiles */
    input_rows(j, v, rows, b, t1, 0, rows);
    products(j, v, m, rows, 0, j->pairs);
    output_rows(j, m, rows, b, 0, h);
  }
  free(v);
  return 0;
}

/* The shared block's three phases, each split over the parts. */
static int input_share(void *ctx, int part, int parts) {
  const wino_job *j = ctx;
  input_rows(j, j->v, j->rows, 0, j->T, j->rows * part / parts, j->rows * (part + 1) / parts);
  return 0;
}
static int products_share(void *ctx, int part, int parts) {
  const wino_job *j = ctx;
  products(j, j->v, j->m, j->rows, j->pairs * part / parts, j->pairs * (part + 1) / parts);
  return 0;
}
static int output_share(void *ctx, int part, int parts) {
  const wino_job *j = ctx;
  output_rows(j, j->m, j->rows, 0, j->T * part / parts, j->T * (part + 1) / parts);
  return 0;
}

/* ----------------------------------------------------------------- entry -- */

#define OWN_BLOCK_BYTES (1L << 20) /* a thread's V and M: within half its L2 */
#define FILTER_IN_L2 (1L << 20)    /* U re-read per block from L2 up to this size */
#define SHARED_MAX (64L << 20)     /* the shared block's V and M at most */
/* U at most: 16x7x7 512->512 (U 37.7 MB, 64 tiles) measured 13.9 -> 15.8 ms with it */
#define U_MAX (16L << 20)

/* K rounded up to 32 (the B panels in pairs); tiles rounded up to 12 (either row tile); U's bytes. */
static long padded_cout(long K) { return (K + 31) / 32 * 32; }
static long padded_tiles(long T) { return (T + 11) / 12 * 12; }
static double u_bytes(long C, long coutp) { return (double)WQ * C * coutp * sizeof(float); }

/*
 * Whether Winograd computes this convolution (the computed one: C in, K out, P output pixels in
 * T tiles): 3x3, stride and dilation 1, at least 16 channels each way, AVX2 or better, not
 * switched off, and predicted at least 10 % faster than the direct product. The model, per
 * input x output channel pair, in multiply-add units at the GEMM's rate: direct 18 P; Winograd
 * 72 T (tiles rounded up to the row tile: the edges' tiles are whole) plus U written and read
 * once (4 x 36 x coutp / K bytes, a byte costing 14 units: about 21 GB/s against 300 GFLOP/s,
 * as measured here). 8x8x8 256->256 (32 tiles, U 9.4 MB) takes it (2.2 -> 1.5 ms); 8x4x4
 * 512->512 (8 tiles) does not, nor a U over U_MAX. Tiny products (under 32 x 128 x 128 tile x
 * channel x channel) keep the direct path, whose one hand-off costs less than Winograd's three.
 */
static int pays(long C, long K, long T, long P, const conv_dims *d) {
  if (!is_enabled() || cpu_isa() < ISA_AVX2) return 0;
  if (d->kh != 3 || d->kw != 3 || d->sh != 1 || d->sw != 1 || d->dh != 1 || d->dw != 1) return 0;
  if (C < 16 || K < 16 || (double)T * C * K < 32.0 * 128 * 128) return 0;
  const long coutp = padded_cout(K), rows = padded_tiles(T);
  const double wino = 72.0 * rows + 2.0 * WQ * 4 * 14 * (double)coutp / K;
  if (wino * 1.1 >= 18.0 * P) return 0;
  const double u = u_bytes(C, coutp);
  if (u > U_MAX) return 0;
  return u <= FILTER_IN_L2 || (double)WQ * rows * (C + coutp) * 4 <= SHARED_MAX;
}

/*
 * y = conv(x, g) (+ bias, affine, activation), g the filter w or, with flip, w rotated and transposed
 * (dx of a [3, 3, K, C] filter's forward). Returns 1 done, 0 not this path's shape, -1 no memory.
 */
static int run(const float *x, const float *w, const gemm_epilogue *ep, float *y, long n, long H, long W, long C,
               long HO, long WO, long K, long pt, long pl, int flip, const conv_dims *d) {
  const long th = (HO + 3) / 4, tw = (WO + 3) / 4, T = n * th * tw;
  if (!pays(C, K, T, n * HO * WO, d)) return 0;
  wino_job j = {.x = x, .w = w, .y = y, .n = n, .H = H, .W = W, .C = C, .HO = HO, .WO = WO, .K = K,
                .pt = pt, .pl = pl, .flip = flip, .ep = *ep, .th = th, .tw = tw, .T = T,
                .avx512 = cpu_isa() == ISA_AVX512, .coutp = padded_cout(K)};
  j.mt = j.avx512 ? 12 : 6;
  j.nt = j.avx512 ? 32 : 16;
  j.pairs = WQ * (j.coutp / j.nt);
  j.u = aligned_alloc(64, (size_t)u_bytes(C, j.coutp));
  if (j.u == NULL) return -1;
  const long panels = j.coutp / LANES;
  int rc = pool_run(filter_share, &j, (int)(panels < 64 ? panels : 64));
  if (rc == 0 && u_bytes(C, j.coutp) <= FILTER_IN_L2) {
    long tb = OWN_BLOCK_BYTES / (WQ * 4 * (C + j.coutp)) / 12 * 12;
    j.tb = tb < 12 ? 12 : tb > 240 ? 240 : tb;
    long parts = (T + j.tb - 1) / j.tb;
    rc = pool_run(blocks_share, &j, (int)(parts < 64 ? parts : 64));
  } else if (rc == 0) {
    j.rows = padded_tiles(T);
    j.v = aligned_alloc(64, sizeof(float) * WQ * j.rows * (C + j.coutp));
    if (j.v == NULL) {
      rc = -1;
    } else {
      j.m = j.v + WQ * j.rows * C;
      rc = pool_run(input_share, &j, 64);
      if (rc == 0) rc = pool_run(products_share, &j, (int)(j.pairs < 64 ? j.pairs : 64));
      if (rc == 0) rc = pool_run(output_share, &j, 64);
      free(j.v);
    }
  }
  free(j.u);
  return rc == 0 ? 1 : -1;
}

int winograd_forward(const float *x, const float *w, const gemm_epilogue *ep, float *y, const conv_dims *d) {
  return run(x, w, ep, y, d->n, d->h, d->w, d->cin, d->ho, d->wo, d->cout, d->pt, d->pl, 0, d);
}

int winograd_backprop_input(const float *dy, const float *w, float *dx, const conv_dims *d) {
  /* dx = dy convolved with the flipped, transposed filter: padding 2 - pt, 2 - pl */
  const gemm_epilogue none = {NULL, NULL, NULL, ACT_NONE, 0.0f};
  return run(dy, w, &none, dx, d->n, d->ho, d->wo, d->cout, d->h, d->w, d->cin, 2 - d->pt, 2 - d->pl, 1, d);
}
