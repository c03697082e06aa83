/**
 * The two halves of deformable convolution v2 on plain Float32Arrays, NHWC: a bilinear im2col
 * gather (forward) and its adjoint, a col2im scatter that also yields the offset and mask
 * gradients (backward). The matrix products around them run on the backend's matMul.
 *
 * Sampling follows torchvision's `deform_conv2d` exactly, boundary cases included: a sample at
 * (y, x) is zero unless -1 < y < H and -1 < x < W, and each of its four bilinear corners
 * contributes only when inside the image; offset gradients use the same floor-based cell.
 * The kernels of `deform-im2col.ts` and `deform-col2im.ts` run these loops.
 */
import type { NamedAttrMap } from '@tensorflow/tfjs-core';

/** Geometry of one deformable convolution, all in pixels. */
export interface DeformGeometry {
  /** Batch size. */
  n: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Input channels. */
  cin: number;
  /** Output height. */
  ho: number;
  /** Output width. */
  wo: number;
  /** Kernel height. */
  kh: number;
  /** Kernel width. */
  kw: number;
  /** Vertical stride. */
  sh: number;
  /** Horizontal stride. */
  sw: number;
  /** Top (and bottom) zero padding. */
  ph: number;
  /** Left (and right) zero padding. */
  pw: number;
  /** Vertical dilation. */
  dh: number;
  /** Horizontal dilation. */
  dw: number;
  /** Offset groups; input channels split into this many contiguous groups. */
  groups: number;
}

/**
 * Bilinear im2col: `cols[p, k*Cin + c]` = mask-weighted sample of channel c at kernel point k
 * for output pixel p = (n*Ho + oy)*Wo + ox. `x [N,H,W,Cin]`, `offset [N,Ho,Wo,2*G*K]`,
 * `mask [N,Ho,Wo,G*K]` or null; returns `[N*Ho*Wo, K*Cin]`.
 */
export function deformIm2col(
  g: DeformGeometry,
  x: ArrayLike<number>,
  offset: ArrayLike<number>,
  mask: ArrayLike<number> | null,
): Float32Array {
  const { n, h, w, cin, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const K = kh * kw;
  const cg = cin / groups;
  const rowLen = K * cin;
  const cols = new Float32Array(n * ho * wo * rowLen);
  for (let b = 0; b < n; b++) {
    const xBatch = b * h * w * cin;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const p = (b * ho + oy) * wo + ox;
        const offBase = p * 2 * groups * K;
        const maskBase = p * groups * K;
        const colBase = p * rowLen;
        for (let gi = 0; gi < groups; gi++) {
          const chan = gi * cg;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const k = i * kw + j;
              const oi = offBase + gi * 2 * K + 2 * k;
              const y = oy * sh - ph + i * dh + offset[oi];
              const xx = ox * sw - pw + j * dw + offset[oi + 1];
              if (!(y > -1 && y < h && xx > -1 && xx < w)) continue;
              const m = mask ? mask[maskBase + gi * K + k] : 1;
              const y0 = Math.floor(y);
              const x0 = Math.floor(xx);
              const ly = y - y0;
              const lx = xx - x0;
              const hy = 1 - ly;
              const hx = 1 - lx;
              const vy0 = y0 >= 0;
              const vy1 = y0 + 1 <= h - 1;
              const vx0 = x0 >= 0;
              const vx1 = x0 + 1 <= w - 1;
              const w00 = vy0 && vx0 ? hy * hx * m : 0;
              const w01 = vy0 && vx1 ? hy * lx * m : 0;
              const w10 = vy1 && vx0 ? ly * hx * m : 0;
              const w11 = vy1 && vx1 ? ly * lx * m : 0;
              // Invalid corners read pixel (0,0) of the image with weight 0: no branch per channel.
              const r0 = vy0 ? y0 : 0;
              const r1 = vy1 ? y0 + 1 : 0;
              const c0 = vx0 ? x0 : 0;
              const c1 = vx1 ? x0 + 1 : 0;
              const i00 = xBatch + (r0 * w + c0) * cin + chan;
              const i01 = xBatch + (r0 * w + c1) * cin + chan;
              const i10 = xBatch + (r1 * w + c0) * cin + chan;
              const i11 = xBatch + (r1 * w + c1) * cin + chan;
              const dst = colBase + k * cin + chan;
              for (let c = 0; c < cg; c++) {
                cols[dst + c] = w00 * x[i00 + c] + w01 * x[i01 + c] + w10 * x[i10 + c] + w11 * x[i11 + c];
              }
            }
          }
        }
      }
    }
  }
  return cols;
}

/** Gradients of {@link deformIm2col} with respect to its three inputs. */
export interface DeformCol2imGrads {
  /** `[N,H,W,Cin]`. */
  dx: Float32Array;
  /** `[N,Ho,Wo,2*G*K]`. */
  dOffset: Float32Array;
  /** `[N,Ho,Wo,G*K]`, or null when there was no mask. */
  dMask: Float32Array | null;
}

/**
 * Adjoint of {@link deformIm2col}: given `dcols [N*Ho*Wo, K*Cin]`, scatters into `dx` and
 * reduces over channels into the offset and mask gradients.
 */
export function deformCol2im(
  g: DeformGeometry,
  x: ArrayLike<number>,
  offset: ArrayLike<number>,
  mask: ArrayLike<number> | null,
  dcols: ArrayLike<number>,
): DeformCol2imGrads {
  const { n, h, w, cin, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, groups } = g;
  const K = kh * kw;
  const cg = cin / groups;
  const rowLen = K * cin;
  const dx = new Float32Array(n * h * w * cin);
  const dOffset = new Float32Array(n * ho * wo * 2 * groups * K);
  const dMask = mask ? new Float32Array(n * ho * wo * groups * K) : null;
  for (let b = 0; b < n; b++) {
    const xBatch = b * h * w * cin;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const p = (b * ho + oy) * wo + ox;
        const offBase = p * 2 * groups * K;
        const maskBase = p * groups * K;
        const colBase = p * rowLen;
        for (let gi = 0; gi < groups; gi++) {
          const chan = gi * cg;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const k = i * kw + j;
              const oi = offBase + gi * 2 * K + 2 * k;
              const y = oy * sh - ph + i * dh + offset[oi];
              const xx = ox * sw - pw + j * dw + offset[oi + 1];
              // torchvision's offset gradient has no outer bound (only per-corner validity), so
              // a point exactly on y = -1 or x = -1 still gets one; values and dx do not.
              if (!(y >= -1 && y < h && xx >= -1 && xx < w)) continue;
              const inside = y > -1 && xx > -1 ? 1 : 0;
              const mi = maskBase + gi * K + k;
              const m = mask ? mask[mi] : 1;
              const y0 = Math.floor(y);
              const x0 = Math.floor(xx);
              const ly = y - y0;
              const lx = xx - x0;
              const hy = 1 - ly;
              const hx = 1 - lx;
              const vy0 = y0 >= 0;
              const vy1 = y0 + 1 <= h - 1;
              const vx0 = x0 >= 0;
              const vx1 = x0 + 1 <= w - 1;
              const e00 = vy0 && vx0 ? 1 : 0;
              const e01 = vy0 && vx1 ? 1 : 0;
              const e10 = vy1 && vx0 ? 1 : 0;
              const e11 = vy1 && vx1 ? 1 : 0;
              const r0 = vy0 ? y0 : 0;
              const r1 = vy1 ? y0 + 1 : 0;
              const c0 = vx0 ? x0 : 0;
              const c1 = vx1 ? x0 + 1 : 0;
              const i00 = xBatch + (r0 * w + c0) * cin + chan;
              const i01 = xBatch + (r0 * w + c1) * cin + chan;
              const i10 = xBatch + (r1 * w + c0) * cin + chan;
              const i11 = xBatch + (r1 * w + c1) * cin + chan;
              // Scatter weights carry the mask; invalid corners get 0 and write +0 to pixel (0,0).
              const s00 = inside * e00 * hy * hx * m;
              const s01 = inside * e01 * hy * lx * m;
              const s10 = inside * e10 * ly * hx * m;
              const s11 = inside * e11 * ly * lx * m;
              const src = colBase + k * cin + chan;
              let gy = 0;
              let gx = 0;
              let gm = 0;
              for (let c = 0; c < cg; c++) {
                const gc = dcols[src + c];
                if (gc === 0) continue;
                const v00 = e00 * x[i00 + c];
                const v01 = e01 * x[i01 + c];
                const v10 = e10 * x[i10 + c];
                const v11 = e11 * x[i11 + c];
                gm += gc * (hy * hx * v00 + hy * lx * v01 + ly * hx * v10 + ly * lx * v11);
                gy += gc * (hx * (v10 - v00) + lx * (v11 - v01));
                gx += gc * (hy * (v01 - v00) + ly * (v11 - v10));
                dx[i00 + c] += s00 * gc;
                dx[i01 + c] += s01 * gc;
                dx[i10 + c] += s10 * gc;
                dx[i11 + c] += s11 * gc;
              }
              dOffset[oi] = gy * m;
              dOffset[oi + 1] = gx * m;
              if (dMask) dMask[mi] = inside * gm;
            }
          }
        }
      }
    }
  }
  return { dx, dOffset, dMask };
}

/**
 * The geometry the deformable-convolution kernels receive in their attributes, as
 * `{ geometry }` (tfjs hands attributes through unchanged, objects included).
 */
export function geometryAttr(attrs: NamedAttrMap): DeformGeometry {
  const g = (attrs as unknown as { geometry?: DeformGeometry }).geometry;
  if (g == null) throw new Error("medinets: deformable-convolution kernels need the 'geometry' attribute");
  return g;
}
