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

/* cnt (1..16) floats at p, zeros after; and the first cnt lanes of *v stored at p. */
static inline void load_n(v16 *out, const float *p, long cnt) {
  if (cnt == LANES) {
    *out = LD(p);
    return;
  }
  float tmp[LANES] = {0};
  memcpy(tmp, p, sizeof(float) * cnt);
  *out = LD(tmp);
}
static inline void store_n(float *p, const v16 *v, long cnt) {
  if (cnt == LANES)
    ST(p, *v);
  else
    memcpy(p, v, sizeof(float) * cnt);
}

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
              load_n(&d[i][q], s, cnt);                                                                        \
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
            store_n(dst, &o[i], cnt);                                                                          \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
    }                                                                                                          \
  }                                                                                                            \
  /* A m (4 -> 6): the transpose of at6, for dW's A dY A^T */                                                \
  ATTR static inline void a6_##SFX(const v16 *m, v16 *o) {                                                     \
    const v16 s02 = m[0] + m[2], s13 = m[1] + m[3];                                                            \
    const v16 t02 = m[0] + m[2] * 4.0f, t13 = m[1] * 2.0f + m[3] * 8.0f;                                       \
    o[0] = m[0];                                                                                               \
    o[1] = s02 + s13;                                                                                          \
    o[2] = s02 - s13;                                                                                          \
    o[3] = t02 + t13;                                                                                          \
    o[4] = t02 - t13;                                                                                          \
    o[5] = m[3];                                                                                               \
  }                                                                                                            \
  /* G^T m (6 -> 3): the transpose of g3, for dW's G^T M G */                                                  \
  ATTR static inline void gt6_##SFX(const v16 *m, v16 *o) {                                                    \
    const v16 s12 = m[1] + m[2], d12 = m[2] - m[1], s34 = m[3] + m[4], d34 = m[3] - m[4];                      \
    o[0] = (m[0] * 0.25f - s12 * (1.0f / 6)) + s34 * (1.0f / 24);                                              \
    o[1] = d12 * (1.0f / 6) + d34 * (1.0f / 12);                                                               \
    o[2] = (s34 - s12) * (1.0f / 6) + m[5];                                                                    \
  }                                                                                                            \
  /* dW: Z's rows [r0, r1), A dY A^T of the block's tiles t0 + r (dy's 4x4 outputs, zeros past the edge):   \
     position q's row r at z + (q rows + r) K */                                                               \
  ATTR static void dyt_##SFX(const wino_job *j, const float *dy, float *z, long rows, long t0, long r0,        \
                             long r1) {                                                                        \
    const long K = j->K, HO = j->HO, WO = j->WO;                                                               \
    for (long r = r0; r < r1; r++) {                                                                           \
      const long t = t0 + r, b = t / (j->th * j->tw), oy = (t / j->tw) % j->th * 4, ox = t % j->tw * 4;       \
      const long nr = HO - oy < 4 ? HO - oy : 4, nc = WO - ox < 4 ? WO - ox : 4;                               \
      for (long k = 0; k < K; k += LANES) {                                                                    \
        const long cnt = K - k < LANES ? K - k : LANES;                                                        \
        v16 e[6][4];                                                                                           \
        for (int q = 0; q < 4; q++) {                                                                          \
          v16 col[4], o[6];                                                                                    \
          for (int i = 0; i < 4; i++) {                                                                        \
            const float *src = dy + ((b * HO + oy + i) * WO + ox + q) * K + k;                                 \
            if (i >= nr || q >= nc)                                                                            \
              col[i] = (v16){0};                                                                               \
            else                                                                                               \
              load_n(&col[i], src, cnt);                                                                       \
          }                                                                                                    \
          a6_##SFX(col, o);                                                                                    \
          for (int i = 0; i < 6; i++) e[i][q] = o[i];                                                          \
        }                                                                                                      \
        for (int i = 0; i < 6; i++) {                                                                          \
          v16 o[6];                                                                                            \
          a6_##SFX(e[i], o);                                                                                   \
          for (int q = 0; q < 6; q++) {                                                                        \
            float *dst = z + ((i * 6 + q) * rows + r) * K + k;                                                 \
            store_n(dst, &o[q], cnt);                                                                          \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
    }                                                                                                          \
  }                                                                                                            \
  /* dW's in-channels [c0, c1): G^T M G, M's position q at m + (q C + c) K, into dw [3, 3, C, K] */           \
  ATTR static void gtm_##SFX(const wino_job *j, const float *m, float *dw, long c0, long c1) {                 \
    const long C = j->C, K = j->K;                                                                             \
    for (long c = c0; c < c1; c++)                                                                             \
      for (long k = 0; k < K; k += LANES) {                                                                    \
        const long cnt = K - k < LANES ? K - k : LANES;                                                        \
        v16 h[6][3];                                                                                           \
        for (int i = 0; i < 6; i++) {                                                                          \
          v16 row[6];                                                                                          \
          for (int q = 0; q < 6; q++) {                                                                        \
            const float *src = m + ((i * 6 + q) * C + c) * K + k;                                              \
            load_n(&row[q], src, cnt);                                                                         \
          }                                                                                                    \
          gt6_##SFX(row, h[i]);                                                                                \
        }                                                                                                      \
        for (int kx = 0; kx < 3; kx++) {                                                                       \
          v16 col[6], o[3];                                                                                    \
          for (int i = 0; i < 6; i++) col[i] = h[i][kx];                                                       \
          gt6_##SFX(col, o);                                                                                   \
          for (int ky = 0; ky < 3; ky++) {                                                                     \
            float *dst = dw + ((ky * 3 + kx) * C + c) * K + k;                                                 \
            store_n(dst, &o[ky], cnt);                                                                         \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
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
            store_n(dst, &s, cnt);                                                                             \
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

/* Whether Winograd may run at all: on, AVX2 or better, a 3x3 filter, stride and dilation 1. */
static int wino_geometry(const conv_dims *d) {
  return is_enabled() && cpu_isa() >= ISA_AVX2 && d->kh == 3 && d->kw == 3 && d->sh == 1 && d->sw == 1 &&
         d->dh == 1 && d->dw == 1;
}

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
  if (!wino_geometry(d)) return 0;
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

/* ------------------------------------------------------------------- dW -- */

/*
 * dW of a 3x3 stride-1 convolution by the same F(4x4, 3x3), transposed: a tile's outputs are
 * Y = A^T [U . V] A with U = G g G^T, so its part of the filter gradient is G^T [(A dY A^T) . V] G
 * (Lavin and Gray's dW). Summed over the tiles, that is 36 matrix products
 * M_q [C, K] = sum over tiles t of V_q[t, C]^T Z_q[t, K] (Z = A dY A^T), then G^T M G per channel
 * pair: 36 multiply-adds per tile and channel pair instead of 144. The tiles are taken in blocks
 * fixed by the shape: each block's V and Z are transformed (split over the threads by tile), then
 * its products, split by (position, 8 in-channels, 32 or 16 out-channels), run on the direct
 * dW's micro-kernels (conv-filter-grad.c), each output one FMA chain over the block's tiles from
 * zero, added to M in block order. No output's arithmetic depends on the split or the thread
 * count, and both instruction sets give the same bits.
 */
typedef struct {
  wino_job w;        /* x, the shapes and the tile grid (w.K: dy's channels) */
  const float *dy;
  float *dw;
  float *v, *z, *m;  /* the block's V [36][rows][C] and Z [36][rows][K]; M [36][C][K] */
  long t0, rows;     /* the block's first tile and its tile count */
  long ct, rtiles, ctiles;
  int first;         /* the first block writes M, later ones add to it */
} wgrad_job;

static int wg_transform_share(void *ctx, int part, int parts) {
  const wgrad_job *g = ctx;
  const long r0 = g->rows * part / parts, r1 = g->rows * (part + 1) / parts;
  if (r1 <= r0) return 0;
  input_rows(&g->w, g->v, g->rows, g->t0, g->t0 + g->rows, r0, r1);
  (g->w.avx512 ? dyt_avx512 : dyt_avx2)(&g->w, g->dy, g->z, g->rows, g->t0, r0, r1);
  return 0;
}

static int wg_products_share(void *ctx, int part, int parts) {
  const wgrad_job *g = ctx;
  const long C = g->w.C, K = g->w.K, per_q = g->rtiles * g->ctiles, pairs = WQ * per_q;
  const long s0 = pairs * part / parts, s1 = pairs * (part + 1) / parts;
  if (s1 <= s0) return 0;
  const float **ptr = malloc(sizeof(float *) * (size_t)g->rows);
  if (ptr == NULL) return -1;
  long pq = -1;
  for (long s = s0; s < s1; s++) {
    const long q = s / per_q, rt = s % per_q / g->ctiles, cg = s % g->ctiles;
    if (q != pq) {
      for (long r = 0; r < g->rows; r++) ptr[r] = g->v + (q * g->rows + r) * C;
      pq = q;
    }
    const long ci0 = rt * 8, co0 = cg * g->ct;
    const int nr = K - co0 < g->ct ? (int)(K - co0) : (int)g->ct;
    dw_tile(g->w.avx512, g->rows, ptr, ci0, g->z + q * g->rows * K + co0, K, nr, g->m + (q * C + ci0) * K + co0, K,
            g->first);
  }
  free(ptr);
  return 0;
}

static int wg_output_share(void *ctx, int part, int parts) {
  const wgrad_job *g = ctx;
  const long c0 = g->w.C * part / parts, c1 = g->w.C * (part + 1) / parts;
  if (c1 > c0) (g->w.avx512 ? gtm_avx512 : gtm_avx2)(&g->w, g->m, g->dw, c0, c1);
  return 0;
}

#define WG_BLOCK_BYTES (8L << 20) /* a block's V and Z */
#define WG_M_MAX (24L << 20) /* M at most: 8x16x16 512->256 (M 18.9 MB) 25 -> 11.6 ms; 512->512 (37.7 MB) lost */

static void *alloc64(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

/*
 * Whether Winograd computes dW (C in-channels, K out-channels, P output pixels in T tiles): 3x3,
 * stride and dilation 1, in-channels in eights (the micro-kernel's rows), at least 16 channels
 * each way and 32 tiles, M within WG_M_MAX, AVX2 or better, not switched off, and predicted at
 * least 10 % faster. The model, per in x out channel pair in multiply-add units: direct 9 P;
 * Winograd 36 T plus the transforms, each about 80 units a tile and channel, shared by the other
 * side's channels (80 T / K + 80 T / C).
 */
static int pays_filter(long C, long K, long T, long P, const conv_dims *d) {
  if (!wino_geometry(d)) return 0;
  if (C % 8 != 0 || C < 16 || K < 16 || T < 32) return 0;
  if ((double)WQ * C * K * sizeof(float) > WG_M_MAX) return 0;
  const double wino = 36.0 * T + 80.0 * T / K + 80.0 * T / C;
  return wino * 1.1 < 9.0 * P;
}

int winograd_backprop_filter(const float *x, const float *dy, float *dw, const conv_dims *d) {
  const long C = d->cin, K = d->cout, th = (d->ho + 3) / 4, tw = (d->wo + 3) / 4, T = d->n * th * tw;
  if (!pays_filter(C, K, T, d->n * d->ho * d->wo, d)) return 0;
  wgrad_job g;
  memset(&g, 0, sizeof g);
  g.w = (wino_job){.x = x, .n = d->n, .H = d->h, .W = d->w, .C = C, .HO = d->ho, .WO = d->wo, .K = K,
                   .pt = d->pt, .pl = d->pl, .th = th, .tw = tw, .T = T, .avx512 = cpu_isa() == ISA_AVX512};
  g.dy = dy;
  g.dw = dw;
  g.ct = g.w.avx512 ? 32 : 16;
  g.rtiles = C / 8;
  g.ctiles = (K + g.ct - 1) / g.ct;
  /* tiles per block: fixed by the shape (the order of M's additions does not depend on threads) */
  long tb = WG_BLOCK_BYTES / (WQ * (long)sizeof(float) * (C + K));
  tb = tb < 64 ? 64 : tb > 2048 ? 2048 : tb;
  if (tb > T) tb = T;
  g.v = alloc64(sizeof(float) * WQ * (size_t)tb * (size_t)(C + K));
  g.m = alloc64(sizeof(float) * WQ * (size_t)C * (size_t)K);
  int rc = g.v == NULL || g.m == NULL ? -1 : 0;
  if (rc == 0) g.z = g.v + WQ * tb * C;
  const long pairs = WQ * g.rtiles * g.ctiles;
  for (long t0 = 0; rc == 0 && t0 < T; t0 += tb) {
    g.t0 = t0;
    g.rows = T - t0 < tb ? T - t0 : tb;
    g.first = t0 == 0;
    rc = pool_run(wg_transform_share, &g, 64);
    if (rc == 0) rc = pool_run(wg_products_share, &g, (int)(pairs < 64 ? pairs : 64));
  }
  if (rc == 0) rc = pool_run(wg_output_share, &g, (int)(C < 64 ? C : 64));
  free(g.v);
  free(g.m);
  return rc == 0 ? 1 : -1;
}
