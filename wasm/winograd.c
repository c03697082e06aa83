/*
 * 3x3 stride-1 convolutions at inference by Winograd's minimal filtering F(4x4, 3x3) (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016; interpolation points 0, 1, -1,
 * 2, -2 and infinity): each 4x4 block of outputs ("tile") is A^T [(G g G^T) . (B^T d B)] A for
 * its 6x6 block d of input and the 3x3 filter g, summed over the input channels. The 36
 * products of one position of the 6x6 transforms, over a block of tiles, are one matrix product
 * V [tiles, Cin] x U [Cin, Cout] on gemm.h's register block: 36 x Cin x Cout multiply-adds for
 * 16 outputs a tile instead of 144 x Cin x Cout, plus the transforms, which cost per value and
 * not per pair of channels.
 *
 * The results differ from the direct convolution's by the transforms' roundings (tested within
 * a relative 2e-5 of float64 on the outputs' scale); src/backend/kernels/wasm-winograd.ts
 * chooses it by the convolution's shape alone.
 *
 * Memory as in gemm.c (no data, no stack: every array is promoted to locals).
 */
#include "gemm.h"

/* Positions of a 6x6 transform: the products of one tile. */
#define WQ 36
/* small loops over the arrays of v128 below, unrolled so that they live in locals */
#define UNROLL _Pragma("clang loop unroll(full)")

static inline v128_t sc(v128_t v, f32 s) { return wasm_f32x4_mul(v, wasm_f32x4_splat(s)); }
static inline v128_t add(v128_t a, v128_t b) { return wasm_f32x4_add(a, b); }
static inline v128_t sub(v128_t a, v128_t b) { return wasm_f32x4_sub(a, b); }

/* G applied to three values (one column or row of the filter): six. */
static inline __attribute__((always_inline)) void g3(v128_t a, v128_t b, v128_t c, v128_t *o) {
  const v128_t ac = add(a, c), p = sc(add(ac, b), -1.0f / 6), m = sc(sub(ac, b), -1.0f / 6);
  const v128_t q = add(sc(a, 1.0f / 24), sc(c, 1.0f / 6)), r = sc(b, 1.0f / 12);
  o[0] = sc(a, 0.25f);
  o[1] = p;
  o[2] = m;
  o[3] = add(q, r);
  o[4] = sub(q, r);
  o[5] = c;
}

/* B^T applied to six values: six. */
static inline __attribute__((always_inline)) void bt6(const v128_t *d, v128_t *o) {
  const v128_t d4d2 = sub(d[4], d[2]), d4d3 = sub(d[4], d[3]);
  o[0] = add(sub(sc(d[0], 4.0f), sc(d[2], 5.0f)), d[4]);
  o[1] = sub(add(d[3], d[4]), sc(add(d[1], d[2]), 4.0f));
  o[2] = add(sc(sub(d[1], d[2]), 4.0f), d4d3);
  o[3] = add(sc(sub(d[3], d[1]), 2.0f), d4d2);
  o[4] = add(sc(sub(d[1], d[3]), 2.0f), d4d2);
  o[5] = add(sub(sc(d[1], 4.0f), sc(d[3], 5.0f)), d[5]);
}

/* A^T applied to six values: four. */
static inline __attribute__((always_inline)) void at6(const v128_t *m, v128_t *o) {
  const v128_t s12 = add(m[1], m[2]), d12 = sub(m[1], m[2]), s34 = add(m[3], m[4]), d34 = sub(m[3], m[4]);
  o[0] = add(add(m[0], s12), s34);
  o[1] = add(d12, sc(d34, 2.0f));
  o[2] = add(s12, sc(s34, 4.0f));
  o[3] = add(add(d12, sc(d34, 8.0f)), m[5]);
}

/* `cnt` (1..4) floats at p, zeros after. */
static inline v128_t load_n(const f32 *p, long cnt) {
  if (cnt >= 4) return wasm_v128_load(p);
  v128_t v = wasm_f32x4_splat(0.0f);
  v = wasm_f32x4_replace_lane(v, 0, p[0]);
  if (cnt > 1) v = wasm_f32x4_replace_lane(v, 1, p[1]);
  if (cnt > 2) v = wasm_f32x4_replace_lane(v, 2, p[2]);
  return v;
}

/* Floats of the transformed filter: 36 packed matrices [Cin, Cout] (gemm_pack_b's panels). */
__attribute__((export_name("wino_filter_floats"))) long wino_filter_floats(long cin, long cout) {
  return WQ * gemm_packed_b_floats(cin, cout);
}

/*
 * U = G g G^T for output channels 8 j0 .. 8 j1 (panels j0..j1) of the filter w [3, 3, Cin, Cout]
 * (HWIO), into u: the 36 positions' [Cin, Cout] matrices, each packed as gemm_pack_b packs B
 * (zeros past Cout). Each position's panel is written in order, one input channel after another.
 */
__attribute__((export_name("wino_filter"))) void wino_filter(const f32 *w, long cin, long cout, f32 *u, long j0,
                                                             long j1) {
  const long pb = gemm_packed_b_floats(cin, cout), tap = cin * cout;
  for (long jp = j0; jp < j1; jp++) {
    for (long ci = 0; ci < cin; ci++) {
      UNROLL for (int half = 0; half < 2; half++) {
        const long co = jp * NR + half * 4, cnt = cout - co;
        v128_t g[9];
        UNROLL for (int t = 0; t < 9; t++)
          g[t] = cnt <= 0 ? wasm_f32x4_splat(0.0f) : load_n(w + t * tap + ci * cout + co, cnt);
        v128_t col[3][6];
        UNROLL for (int kx = 0; kx < 3; kx++) g3(g[kx], g[3 + kx], g[6 + kx], col[kx]);
        f32 *d = u + jp * cin * NR + ci * NR + half * 4;
        UNROLL for (int i = 0; i < 6; i++) {
          v128_t row[6];
          g3(col[0][i], col[1][i], col[2][i], row);
          UNROLL for (int j = 0; j < 6; j++) wasm_v128_store(d + (i * 6 + j) * pb, row[j]);
        }
      }
    }
  }
}

/* Geometry of wino_tiles: the input [n, h, w, cin], the padding's top and left, the output's size. */
enum { WG_N, WG_H, WG_W, WG_CIN, WG_PT, WG_PL, WG_HO, WG_WO, WG_COUT, WG_TB };

/* Floats of one caller's scratch for blocks of `tb` (a multiple of 4) tiles: V, M, three 6x6 blocks and a vector. */
__attribute__((export_name("wino_scratch_floats"))) long wino_scratch_floats(long cin, long cout, long tb) {
  return WQ * tb * (cin + gemm_packed_b_floats(1, cout)) + 3 * WQ * 4 + 4;
}

/*
 * B^T d B for cnt (1..4) channels of one tile, d's value (i, j) at d + i * rs + j * cs, into V's
 * sliver layout: vq is this tile's lane of its 4-row group at the first channel and the first
 * position, positions `pq` floats apart. The transforms pass through `e` (2 x 36 x 4 + 4 floats
 * of scratch): a 6x6 array of v128 would not stay in locals.
 */
static inline __attribute__((always_inline)) void input_tile(const f32 *d, long rs, long cs, f32 *vq, long pq,
                                                              long cnt, f32 *e) {
  f32 *res = e + WQ * 4 + 4;
  UNROLL for (int i = 0; i < 6; i++) {
    v128_t r[6], o[6];
    UNROLL for (int j = 0; j < 6; j++) r[j] = wasm_v128_load(d + i * rs + j * cs);
    bt6(r, o);
    UNROLL for (int j = 0; j < 6; j++) wasm_v128_store(e + (i * 6 + j) * 4, o[j]);
  }
  UNROLL for (int j = 0; j < 6; j++) {
    v128_t c[6], o[6];
    UNROLL for (int i = 0; i < 6; i++) c[i] = wasm_v128_load(e + (i * 6 + j) * 4);
    bt6(c, o);
    UNROLL for (int i = 0; i < 6; i++) wasm_v128_store(res + (i * 6 + j) * 4, o[i]);
  }
  /* each position's channels into lane r % 4 of V's 4-row groups: a loop, not unrolled (code size) */
  _Pragma("clang loop unroll(disable)") for (long q = 0; q < WQ; q++) {
    f32 *v = vq + q * pq;
    const f32 *o = res + q * 4;
    for (long l = 0; l < cnt; l++) v[l * MR] = o[l];
  }
}

/*
 * Tiles t0..t1 of the convolution y [n, ho, wo, cout] = x * w + bias (3x3, stride 1, padding
 * pt / pl at the top / left, zeros past the input), the filter transformed by wino_filter into
 * u, in blocks of g[WG_TB] tiles (a multiple of 4); tiles run row-major over (image, tile row,
 * tile column), each covering a 4x4 block of y. `scratch`: wino_scratch_floats(cin, cout, tb)
 * floats, one per concurrent caller. Each output is written by the caller whose tile covers it.
 */
__attribute__((export_name("wino_tiles"))) void wino_tiles(const f32 *x, const f32 *u, const f32 *bias, f32 *y,
                                                           const long *g, long t0, long t1, f32 *scratch) {
  const long H = g[WG_H], W = g[WG_W], cin = g[WG_CIN], pt = g[WG_PT], pl = g[WG_PL];
  const long ho = g[WG_HO], wo = g[WG_WO], cout = g[WG_COUT], tb = g[WG_TB];
  const long coutp = gemm_packed_b_floats(1, cout), pb = cin * coutp;
  const long th = (ho + 3) / 4, tw = (wo + 3) / 4;
  const v128_t z = wasm_f32x4_splat(0.0f);
  for (long b0 = t0; b0 < t1; b0 += tb) {
    const long h = t1 - b0 < tb ? t1 - b0 : tb, hr = (h + MR - 1) / MR * MR;
    f32 *v = scratch, *m = scratch + WQ * hr * cin, *blk = m + WQ * hr * coutp, *e = blk + WQ * 4;
    /* V [36][hr / 4][cin][4]: tile r's transformed input in lane r % 4 of its 4-row group */
    for (long r = 0; r < hr; r++) {
      f32 *vr = v + (r / MR) * cin * MR + r % MR;
      if (r >= h) {
        for (long q = 0; q < WQ; q++)
          for (long c = 0; c < cin; c++) vr[q * hr * cin + c * MR] = 0.0f;
        continue;
      }
      const long t = b0 + r, n = t / (th * tw), ty = (t / tw) % th, tx = t % tw;
      const long iy = ty * 4 - pt, ix = tx * 4 - pl;
      const int inside = iy >= 0 && ix >= 0 && iy + 6 <= H && ix + 6 <= W;
      for (long c = 0; c < cin; c += 4) {
        const long cnt = cin - c < 4 ? cin - c : 4;
        if (inside && cnt == 4) {
          input_tile(x + ((n * H + iy) * W + ix) * cin + c, W * cin, cin, vr + c * MR, hr * cin, 4, e);
        } else {
          /* the 6x6 block through the scratch, zeros past the input and past cin */
          for (long i = 0; i < 6; i++)
            for (long j = 0; j < 6; j++) {
              const long yy = iy + i, xx = ix + j;
              wasm_v128_store(blk + (i * 6 + j) * 4, yy < 0 || yy >= H || xx < 0 || xx >= W
                                                         ? z
                                                         : load_n(x + ((n * H + yy) * W + xx) * cin + c, cnt));
            }
          input_tile(blk, 24, 4, vr + c * MR, hr * cin, cnt, e);
        }
      }
    }
    /* M [36][hr][coutp] = V U, position by position; each B sliver in L1 over the tiles */
    for (long q = 0; q < WQ; q++) {
      const f32 *vq = v + q * hr * cin, *uq = u + q * pb;
      f32 *mq = m + q * hr * coutp;
      for (long k0 = 0; k0 < cin; k0 += KC) {
        const long kc = cin - k0 < KC ? cin - k0 : KC;
        for (long jp = 0; jp < coutp / NR; jp++)
          for (long s = 0; s < hr / MR; s++)
            gemm_tile(kc, vq + s * cin * MR + k0 * MR, uq + jp * cin * NR + k0 * NR, mq + s * MR * coutp + jp * NR,
                      coutp, k0 > 0, 0);
      }
    }
    /* y = A^T M A + bias, the tile's outputs inside y */
    for (long r = 0; r < h; r++) {
      const long t = b0 + r, n = t / (th * tw), oy = (t / tw) % th * 4, ox = t % tw * 4;
      const long rows = ho - oy < 4 ? ho - oy : 4, cols = wo - ox < 4 ? wo - ox : 4;
      for (long c = 0; c < cout; c += 4) {
        const long cnt = cout - c < 4 ? cout - c : 4;
        const f32 *mr = m + r * coutp + c;
        UNROLL for (int i = 0; i < 6; i++) {
          v128_t r[6], o[4];
          UNROLL for (int j = 0; j < 6; j++) r[j] = wasm_v128_load(mr + (i * 6 + j) * hr * coutp);
          at6(r, o);
          UNROLL for (int j = 0; j < 4; j++) wasm_v128_store(e + (i * 4 + j) * 4, o[j]);
        }
        const v128_t bv = bias != 0 ? load_n(bias + c, cnt) : z;
        f32 *res = e + WQ * 4 + 4;
        UNROLL for (int j = 0; j < 4; j++) {
          v128_t col[6], o[4];
          UNROLL for (int i = 0; i < 6; i++) col[i] = wasm_v128_load(e + (i * 4 + j) * 4);
          at6(col, o);
          UNROLL for (int i = 0; i < 4; i++) wasm_v128_store(res + (i * 4 + j) * 4, add(o[i], bv));
        }
        /* the outputs inside y: loops, not unrolled (code size) */
        _Pragma("clang loop unroll(disable)") for (long i = 0; i < rows; i++) {
          _Pragma("clang loop unroll(disable)") for (long j = 0; j < cols; j++) {
            f32 *d = y + ((n * ho + oy + i) * wo + ox + j) * cout + c;
            const f32 *o = res + (i * 4 + j) * 4;
            if (cnt == 4)
              wasm_v128_store(d, wasm_v128_load(o));
            else
              for (long l = 0; l < cnt; l++) d[l] = o[l];
          }
        }
      }
    }
  }
}
