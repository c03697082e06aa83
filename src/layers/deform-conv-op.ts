/**
 * `deformConv2d`, the functional deformable convolution v2 (DCNv2) op, NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkFloat, checkOneOf, checkPositiveInt, checkRank } from '../util/checks';
// The fast path's kernels live in the backend's registry (listed, suspendable); importing the
// registration makes `medinets/layers` alone enough to get them.
import '../backend/kernels/register';
import { DEFORM_COL2IM } from '../backend/kernels/deform-col2im';
import type { DeformGeometry } from '../backend/kernels/deform-conv-math';
import { DEFORM_GEMM } from '../backend/kernels/deform-gemm';
import { DEFORM_IM2COL } from '../backend/kernels/deform-im2col';
import { deformConv2dComposed } from './deform-conv-composed';
import { deformConv2dTiled, hasTileKernels } from './deform-conv-tiled';

/** A size given once for both spatial axes or as `[height, width]`. */
export type IntPair = number | [number, number];

/** Which implementation {@link deformConv2d} runs. */
export type DeformConvImpl = 'auto' | 'kernels' | 'composed';

/** Options of {@link deformConv2d}. */
export interface DeformConv2dOptions {
  /** Stride `[sh, sw]` or one number for both. Default 1. */
  strides?: IntPair;
  /** Symmetric zero padding `[ph, pw]` or one number for both. Default 0. */
  padding?: IntPair;
  /** Dilation `[dh, dw]` or one number for both. Default 1. */
  dilation?: IntPair;
  /**
   * Offset groups G. Default: inferred from the offset's channels, `2*G*kh*kw`; when given it
   * must agree with them.
   */
  offsetGroups?: number;
  /**
   * `'kernels'`: medinets' kernels (cpu and wasm: im2col/col2im; webgl: GLSL programs over
   * tiles of output rows; unless suspended with `suspendTrainingKernels`); `'composed'`: stock
   * tfjs ops (any backend with rank-5 select, so not webgl); `'auto'` (default): kernels when
   * the active backend has them.
   */
  impl?: DeformConvImpl;
}

const FN = 'deformConv2d';

/** Expands an {@link IntPair} to `[a, b]`, checking both are integers `>= min`. */
export function toPair(v: IntPair, arg: string, fn: string, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Array.isArray(v) && typeof v !== 'number')
    throw new Error(`${fn}: '${arg}' must be a number or a pair`);
  for (const q of p) {
    if (!Number.isInteger(q) || q < min) {
      throw new Error(
        `${fn}: '${arg}' must be an integer >= ${min} or a pair of them; got ${JSON.stringify(v)}`,
      );
    }
  }
  return p;
}

/** Output size of a convolution along one axis: `floor((L + 2p - d(k-1) - 1) / s) + 1`. */
export function convOutSize(len: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((len + 2 * p - d * (k - 1) - 1) / s) + 1;
}

function expectShape(t: tf.Tensor, want: number[], arg: string): void {
  if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${FN}: '${arg}' must have shape [${want.join(', ')}]; got [${t.shape.join(', ')}]`);
  }
}

function viaKernels(
  g: DeformGeometry,
  x: tf.Tensor4D,
  offset: tf.Tensor4D,
  mask: tf.Tensor4D | null,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null,
): tf.Tensor4D {
  const K = g.kh * g.kw;
  const rows = g.n * g.ho * g.wo;
  const cout = kernel.shape[3];
  const attrs = { geometry: g } as unknown as tf.NamedAttrMap;
  const gemm = tf.getKernel(DEFORM_GEMM, tf.getBackend()) !== undefined;
  // Products inside the custom gradient are never differentiated, so a plain kernel will do.
  const mm = (a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D =>
    gemm
      ? (tf.engine().runKernel(DEFORM_GEMM, { a, b }, { transposeA, transposeB }) as tf.Tensor2D)
      : tf.matMul(a, b, transposeA, transposeB);
  const inputs: tf.Tensor[] = [x, offset, kernel];
  if (mask) inputs.push(mask);
  if (bias) inputs.push(bias);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xt, ot, kt, ...rest] = args.slice(0, -1) as tf.Tensor[];
    const mt = mask ? rest[0] : null;
    const bt = bias ? rest[mask ? 1 : 0] : null;
    const cols = tf
      .engine()
      .runKernel(
        DEFORM_IM2COL,
        mt ? { x: xt, offset: ot, mask: mt } : { x: xt, offset: ot },
        attrs,
      ) as tf.Tensor2D;
    const w2 = tf.reshape(kt, [K * g.cin, cout]) as tf.Tensor2D;
    let y: tf.Tensor = mm(cols, w2);
    if (bt) y = tf.add(y, bt);
    save(mt ? [xt, ot, w2, cols, mt] : [xt, ot, w2, cols]);
    return {
      value: tf.reshape(y, [g.n, g.ho, g.wo, cout]) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, os, ws, cs, ms] = saved;
        const dy2 = tf.reshape(dy, [rows, cout]) as tf.Tensor2D;
        const dcols = mm(dy2, ws as tf.Tensor2D, false, true);
        const back = tf
          .engine()
          .runKernel(
            DEFORM_COL2IM,
            ms ? { x: xs, offset: os, dcols, mask: ms } : { x: xs, offset: os, dcols },
            attrs,
          ) as tf.Tensor[];
        const grads = [back[0], back[1], tf.reshape(mm(cs as tf.Tensor2D, dy2, true, false), kernel.shape)];
        if (ms) grads.push(back[2]);
        if (bias) grads.push(tf.sum(dy2, 0));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor4D;
}

/**
 * Deformable convolution v2 (Zhu et al., "Deformable ConvNets v2: More Deformable, Better
 * Results", CVPR 2019), the NHWC counterpart of `torchvision.ops.deform_conv2d`:
 *
 * `y[n,oy,ox,o] = b[o] + Σ_{k,c} W[i,j,c,o] · m[n,oy,ox,g·K+k] · x̃[n, oy·sh − ph + i·dh + Δy,
 * ox·sw − pw + j·dw + Δx, c]`, with k = i·kw + j, g = the offset group of channel c, x̃ bilinear
 * with zeros outside the image, and `(Δy, Δx) = offset[n,oy,ox, g·2K + 2k], [.., g·2K + 2k + 1]`
 * (torchvision's channel order, moved to channels-last).
 *
 * @param x `[batch, height, width, Cin]`.
 * @param offset `[batch, Ho, Wo, 2·G·kh·kw]`; G groups of 2·kh·kw channels, (dy, dx) per point.
 * @param mask `[batch, Ho, Wo, G·kh·kw]` modulation, or `null` for DCNv1 (all ones).
 * @param kernel `[kh, kw, Cin, Cout]`.
 * @param bias `[Cout]` or `null`.
 * @returns `[batch, Ho, Wo, Cout]`, `Ho = floor((H + 2ph − dh(kh−1) − 1)/sh) + 1`.
 *
 * On cpu and wasm the forward pass is a bilinear im2col kernel plus one matMul and the
 * backward pass a col2im scatter kernel plus two matMuls, wired with `tf.customGrad`; on webgl
 * the same per tile of output rows with GLSL programs (the input gradient as a gather), so
 * memory stays bounded at any batch and size; other backends use a composed-ops version
 * differentiated by tfjs.
 */
export function deformConv2d(
  x: tf.Tensor4D,
  offset: tf.Tensor4D,
  mask: tf.Tensor4D | null,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null = null,
  opts: DeformConv2dOptions = {},
): tf.Tensor4D {
  checkRank(x, 4, 'x', FN);
  checkRank(offset, 4, 'offset', FN);
  checkRank(kernel, 4, 'kernel', FN);
  checkFloat(x, 'x', FN);
  checkFloat(offset, 'offset', FN);
  const [sh, sw] = toPair(opts.strides ?? 1, 'strides', FN, 1);
  const [ph, pw] = toPair(opts.padding ?? 0, 'padding', FN, 0);
  const [dh, dw] = toPair(opts.dilation ?? 1, 'dilation', FN, 1);
  const impl = opts.impl ?? 'auto';
  checkOneOf(impl, ['auto', 'kernels', 'composed'], 'impl', FN);
  const [n, h, w, cin] = x.shape;
  const [kh, kw, kcin, cout] = kernel.shape;
  if (kcin !== cin) {
    throw new Error(
      `${FN}: 'kernel' must have ${cin} input channels (x's last dim); got shape [${kernel.shape}]`,
    );
  }
  const K = kh * kw;
  const ho = convOutSize(h, kh, sh, ph, dh);
  const wo = convOutSize(w, kw, sw, pw, dw);
  if (ho <= 0 || wo <= 0) {
    throw new Error(
      `${FN}: the output would be empty (${ho}x${wo}) for input ${h}x${w} and kernel ${kh}x${kw}`,
    );
  }
  const offCh = offset.shape[3];
  if (offCh % (2 * K) !== 0) {
    throw new Error(`${FN}: 'offset' must have 2*offsetGroups*${kh}*${kw} channels; got ${offCh}`);
  }
  const groups = opts.offsetGroups ?? offCh / (2 * K);
  checkPositiveInt(groups, 'offsetGroups', FN);
  if (cin % groups !== 0)
    throw new Error(`${FN}: 'offsetGroups' (${groups}) must divide the ${cin} input channels`);
  expectShape(offset, [n, ho, wo, 2 * groups * K], 'offset');
  if (mask) {
    checkFloat(mask, 'mask', FN);
    expectShape(mask, [n, ho, wo, groups * K], 'mask');
  }
  if (bias) expectShape(bias, [cout], 'bias');
  const g: DeformGeometry = { n, h, w, cin, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, groups };
  const hasKernels = tf.getKernel(DEFORM_IM2COL, tf.getBackend()) !== undefined;
  const tiled = hasTileKernels();
  if (impl === 'kernels' && !hasKernels && !tiled) {
    throw new Error(
      `${FN}: impl 'kernels' needs medinets' kernels on the cpu, wasm or webgl backend (not suspended); the active one is '${tf.getBackend()}'`,
    );
  }
  const useKernels = impl === 'kernels' || (impl === 'auto' && (hasKernels || tiled));
  return tf.tidy(() => {
    if (!useKernels) return deformConv2dComposed(g, x, offset, mask, kernel, bias);
    return hasKernels
      ? viaKernels(g, x, offset, mask, kernel, bias)
      : deformConv2dTiled(g, x, offset, mask, kernel, bias);
  });
}
