/**
 * mixup and CutMix on NHWC batches, with per-batch, per-pair or per-element mixing weights
 * (timm's `Mixup` modes).
 * - mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization"):
 *   x = lambda x_i + (1 - lambda) x_j, y = lambda y_i + (1 - lambda) y_j, lambda ~ Beta(alpha, alpha).
 * - CutMix (Yun et al. 2019): a box of side sqrt(1 - lambda) times the image side, centred
 *   uniformly and clipped, is pasted from x_j into x_i; labels mixed with the box's area share.
 * Segmentation masks are cut and pasted (CutMix) or blended (mixup) with the pixels, never
 * mixed into the class labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import type { Rng } from '../util/random';
import { fromHost, toHost } from './host';
import { smoothLabels, toOneHot } from './labels';
import { type Sample, type SeedLike, isTensor, rngOf, toSample } from './sample';

/** How mixing weights are shared: one for the batch, one per pair of images, or one per image. */
export type MixMode = 'batch' | 'pair' | 'elem';

/** What {@link mixup} / {@link cutmix} return for tensor arguments. */
export interface MixResult {
  /** Mixed images `[batch, height, width, channels]`. */
  x: tf.Tensor4D;
  /** Mixed labels `[batch, classes]`, float32, each row summing to 1. */
  y: tf.Tensor2D;
  /** The weight of each image's own content and label (after box correction), per image. */
  lambda: number[];
  /** The partner of each image: `x[i]` was mixed with `x[index[i]]`. */
  index: number[];
  /** The mask, pasted (CutMix) or blended (mixup) like the pixels, when one was given. */
  mask?: tf.Tensor4D;
}

/** What the mixes return for a {@link Sample} argument: the sample plus the weights used. */
export interface MixedSample extends Sample {
  /** The weight of each image's own content and label, per image. */
  lambda: number[];
  /** The partner of each image. */
  index: number[];
}

/** The two-target form of source 001: loss = lambda L(yA) + (1 - lambda) L(yB). */
export interface TwoTargetResult {
  /** Mixed images `[batch, height, width, channels]`. */
  x: tf.Tensor4D;
  /** The labels of each image, as given (indices or one-hot). */
  yA: tf.Tensor;
  /** The labels of each image's partner, `y[index]`. */
  yB: tf.Tensor;
  /** Weight of `yA` per image. */
  lambda: number[];
  /** The partner of each image. */
  index: number[];
  /** The mask, mixed like the pixels, when one was given. */
  mask?: tf.Tensor4D;
}

/** Options shared by the mixes. */
export interface MixOptions {
  /** Share weights per `'batch'` (default), per `'pair'` of images, or per `'elem'`ent. */
  mode?: MixMode;
  /** Seed or generator; equal seeds give equal outputs. */
  seed?: SeedLike;
  /** Number of classes, required when `y` holds class indices `[batch]`. */
  classes?: number;
  /** Segmentation mask `[batch, height, width, channels]` to move with the pixels. */
  mask?: tf.Tensor4D;
}

/** Options of {@link mixup}. */
export interface MixupOptions extends MixOptions {
  /** Beta(alpha, alpha) concentration, > 0. Default 0.4 (source 001's recommendation). */
  alpha?: number;
}

/** Options of {@link cutmix}. */
export interface CutmixOptions extends MixOptions {
  /** Beta(alpha, alpha) concentration, > 0. Default 1 (Yun et al.). */
  alpha?: number;
  /**
   * Draw the box sides uniformly in [min, max] times the image sides instead of from lambda
   * (timm's `cutmix_minmax`); lambda then always comes from the box.
   */
  minMax?: [number, number];
  /** Recompute lambda from the box after clipping it to the image. Default `true`. */
  correctLam?: boolean;
}

/** @internal A box `[top, bottom, left, right)` in pixels. */
export type Box = [number, number, number, number];

/** @internal What to do to each image: its partner, its weight and (CutMix) its box. */
export interface MixPlan {
  index: number[];
  lambda: number[];
  boxes: (Box | null)[];
}

const MODES: readonly MixMode[] = ['batch', 'pair', 'elem'];

/** @internal Check an alpha. */
export function checkAlpha(alpha: number, arg: string, fn: string): void {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) {
    throw new Error(`${fn}: '${arg}' must be a finite number > 0; got ${alpha}`);
  }
}

/**
 * @internal Partners and weight groups: `index[i]` is i's partner, `group[i]` says which
 * images share one draw (all for 'batch', a pair for 'pair', none for 'elem').
 */
export function partners(mode: MixMode, n: number, rng: Rng): { index: number[]; group: number[] } {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const index = new Array<number>(n);
  const group = new Array<number>(n);
  if (mode === 'pair') {
    for (let k = 0; k < n; k += 2) {
      const a = order[k] as number;
      const b = k + 1 < n ? (order[k + 1] as number) : a;
      index[a] = b;
      index[b] = a;
      group[a] = k / 2;
      group[b] = k / 2;
    }
  } else {
    for (let i = 0; i < n; i++) {
      index[i] = order[i] as number;
      group[i] = mode === 'batch' ? 0 : i;
    }
  }
  return { index, group };
}

/**
 * @internal CutMix box for weight `lam` on an h x w image: sides round(h sqrt(1 - lam)),
 * round(w sqrt(1 - lam)), centre uniform over the pixels, clipped to the image.
 */
export function drawBox(lam: number, h: number, w: number, rng: Rng, minMax?: [number, number]): Box {
  if (minMax) {
    const ch = Math.round(h * rng.uniform(minMax[0], minMax[1]));
    const cw = Math.round(w * rng.uniform(minMax[0], minMax[1]));
    const top = rng.int(h - ch + 1);
    const left = rng.int(w - cw + 1);
    return [top, top + ch, left, left + cw];
  }
  const rat = Math.sqrt(1 - lam);
  const ch = Math.round(h * rat);
  const cw = Math.round(w * rat);
  const cy = rng.int(h);
  const cx = rng.int(w);
  const top = Math.min(Math.max(cy - Math.floor(ch / 2), 0), h);
  const left = Math.min(Math.max(cx - Math.floor(cw / 2), 0), w);
  return [top, Math.min(cy - Math.floor(ch / 2) + ch, h), left, Math.min(cx - Math.floor(cw / 2) + cw, w)];
}

/** @internal Fraction of the image kept (outside the box). */
export function boxLambda(b: Box, h: number, w: number): number {
  return 1 - (Math.max(0, b[1] - b[0]) * Math.max(0, b[3] - b[2])) / (h * w);
}

/**
 * @internal x' = W x + (1 - W) x[index] on the host, W = lambda for a mixup image and 1
 * outside / 0 inside the box for a CutMix image (so pasted pixels are copied exactly).
 */
export function mixPixels(t: tf.Tensor4D, plan: MixPlan): tf.Tensor4D {
  const src = toHost(t);
  const { data, n, h, w, c } = src;
  const out = new Float32Array(data.length);
  const size = h * w * c;
  for (let i = 0; i < n; i++) {
    const off = i * size;
    const other = (plan.index[i] as number) * size;
    const box = plan.boxes[i];
    if (box) {
      out.set(data.subarray(off, off + size), off);
      const [top, bottom, left, right] = box;
      for (let y = Math.max(0, top); y < Math.min(h, bottom); y++) {
        const r0 = (y * w + Math.max(0, left)) * c;
        const r1 = (y * w + Math.min(w, right)) * c;
        if (r1 > r0) out.set(data.subarray(other + r0, other + r1), off + r0);
      }
      continue;
    }
    const lam = plan.lambda[i] as number;
    for (let k = 0; k < size; k++)
      out[off + k] = lam * (data[off + k] as number) + (1 - lam) * (data[other + k] as number);
  }
  return fromHost(out, n, h, w, c);
}

/** @internal y' = lambda y + (1 - lambda) y[index], row-wise. */
export function mixLabels(y: tf.Tensor2D, lambda: number[], index: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const lam = tf.tensor2d(lambda, [lambda.length, 1]);
    const other = tf.gather(y, tf.tensor1d(index, 'int32'));
    return tf.add(tf.mul(lam, y), tf.mul(tf.sub(1, lam), other)) as tf.Tensor2D;
  });
}

interface Parsed {
  x: tf.Tensor4D;
  y?: tf.Tensor;
  mask?: tf.Tensor4D;
  opts: MixupOptions & CutmixOptions;
  sampleForm: boolean;
}

/** @internal Resolve the (x, y, options) or (sample, options) call forms and validate shapes. */
export function parseMixArgs(a: unknown, b: unknown, c: unknown, fn: string): Parsed {
  if (isTensor(a)) {
    if (!isTensor(b)) throw new Error(`${fn}: 'y' must be a tensor of labels`);
    const opts = (c ?? {}) as MixupOptions & CutmixOptions;
    const s = toSample({ x: a as tf.Tensor4D, y: b, mask: opts.mask }, fn);
    return { x: s.x, y: s.y, mask: s.mask, opts, sampleForm: false };
  }
  const s = toSample(a as Sample, fn);
  return { x: s.x, y: s.y, mask: s.mask, opts: (b ?? {}) as MixupOptions & CutmixOptions, sampleForm: true };
}

/** @internal Apply a plan to images, labels and mask. */
export function applyPlan(p: Parsed, plan: MixPlan, fn: string, smoothing = 0): MixResult | MixedSample {
  const out = tf.tidy(() => {
    const x = mixPixels(p.x, plan);
    const mask = p.mask === undefined ? undefined : mixPixels(p.mask, plan);
    let y: tf.Tensor2D | undefined;
    if (p.y !== undefined) {
      let oh = toOneHot(p.y, p.opts.classes, fn);
      if (smoothing > 0) oh = smoothLabels(oh, smoothing);
      y = mixLabels(oh, plan.lambda, plan.index);
    }
    return { x, y, mask };
  });
  const res: MixResult | MixedSample = { x: out.x, lambda: plan.lambda, index: plan.index } as MixResult;
  if (out.y !== undefined) res.y = out.y;
  if (out.mask !== undefined) res.mask = out.mask;
  return res;
}

/** @internal Plan a mixup. */
export function planMixup(n: number, mode: MixMode, alpha: number, rng: Rng): MixPlan {
  const { index, group } = partners(mode, n, rng);
  const lamOf = new Map<number, number>();
  const lambda = group.map((g) => {
    if (!lamOf.has(g)) lamOf.set(g, rng.beta(alpha, alpha));
    return lamOf.get(g) as number;
  });
  return { index, lambda, boxes: new Array<Box | null>(n).fill(null) };
}

/** @internal Plan a CutMix. */
export function planCutmix(
  n: number,
  h: number,
  w: number,
  mode: MixMode,
  alpha: number,
  rng: Rng,
  minMax: [number, number] | undefined,
  correctLam: boolean,
): MixPlan {
  const { index, group } = partners(mode, n, rng);
  const drawn = new Map<number, { lam: number; box: Box }>();
  const lambda: number[] = [];
  const boxes: Box[] = [];
  group.forEach((g) => {
    if (!drawn.has(g)) {
      const lam0 = rng.beta(alpha, alpha);
      const box = drawBox(lam0, h, w, rng, minMax);
      drawn.set(g, { lam: correctLam || minMax ? boxLambda(box, h, w) : lam0, box });
    }
    const d = drawn.get(g)!;
    lambda.push(d.lam);
    boxes.push(d.box);
  });
  return { index, lambda, boxes };
}

function commonOpts(o: MixOptions, fn: string): { mode: MixMode; rng: Rng } {
  const mode = o.mode ?? 'batch';
  checkOneOf(mode, MODES, 'mode', fn);
  return { mode, rng: rngOf(o.seed) };
}

/** @internal Validate `minMax`. */
export function checkMinMax(minMax: [number, number] | undefined, fn: string): void {
  if (minMax === undefined) return;
  if (
    !Array.isArray(minMax) ||
    minMax.length !== 2 ||
    !(minMax[0] >= 0 && minMax[0] <= minMax[1] && minMax[1] <= 1)
  ) {
    throw new Error(
      `${fn}: 'minMax' must be [min, max] with 0 <= min <= max <= 1; got ${JSON.stringify(minMax)}`,
    );
  }
}

/**
 * mixup: each image and its one-hot label are blended with a partner's,
 * x = lambda x_i + (1 - lambda) x_j and y = lambda y_i + (1 - lambda) y_j, lambda ~ Beta(alpha, alpha)
 * (Zhang et al. 2018; source 001 with alpha 0.4).
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch, classes]` one-hot, or `[batch]` class indices with `options.classes`.
 * @returns mixed images, mixed float labels (rows sum to 1), the lambdas and partners used.
 */
export function mixup(x: tf.Tensor4D, y: tf.Tensor, options?: MixupOptions): MixResult;
/** The pipeline form: labels from `sample.y`, mask from `sample.mask`. */
export function mixup(sample: Sample, options?: MixupOptions): MixedSample;
export function mixup(
  a: tf.Tensor4D | Sample,
  b?: tf.Tensor | MixupOptions,
  c?: MixupOptions,
): MixResult | MixedSample {
  const fn = 'mixup';
  const p = parseMixArgs(a, b, c, fn);
  const { alpha = 0.4 } = p.opts;
  checkAlpha(alpha, 'alpha', fn);
  const { mode, rng } = commonOpts(p.opts, fn);
  return applyPlan(p, planMixup(p.x.shape[0], mode, alpha, rng), fn);
}

/**
 * CutMix: a box of image side times sqrt(1 - lambda), lambda ~ Beta(alpha, alpha), centred
 * uniformly and clipped, is cut from the partner and pasted; labels are mixed by the kept
 * area share, recomputed from the clipped box when `correctLam` (Yun et al. 2019; timm).
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch, classes]` one-hot, or `[batch]` class indices with `options.classes`.
 * @returns mixed images, mixed float labels (rows sum to 1), the lambdas and partners used.
 */
export function cutmix(x: tf.Tensor4D, y: tf.Tensor, options?: CutmixOptions): MixResult;
/** The pipeline form: labels from `sample.y` (optional for segmentation), mask from `sample.mask`. */
export function cutmix(sample: Sample, options?: CutmixOptions): MixedSample;
export function cutmix(
  a: tf.Tensor4D | Sample,
  b?: tf.Tensor | CutmixOptions,
  c?: CutmixOptions,
): MixResult | MixedSample {
  const fn = 'cutmix';
  const p = parseMixArgs(a, b, c, fn);
  const { alpha = 1, correctLam = true, minMax } = p.opts;
  checkAlpha(alpha, 'alpha', fn);
  checkMinMax(minMax, fn);
  const { mode, rng } = commonOpts(p.opts, fn);
  const [n, h, w] = p.x.shape;
  return applyPlan(p, planCutmix(n, h, w, mode, alpha, rng, minMax, correctLam), fn);
}

function twoTarget(
  x: tf.Tensor4D,
  y: tf.Tensor,
  plan: MixPlan,
  mask: tf.Tensor4D | undefined,
): TwoTargetResult {
  const t = tf.tidy(() => {
    const idx = tf.tensor1d(plan.index, 'int32');
    return {
      x: mixPixels(x, plan),
      yA: tf.clone(y),
      yB: tf.gather(y, idx),
      mask: mask === undefined ? undefined : mixPixels(mask, plan),
    };
  });
  const res: TwoTargetResult = { x: t.x, yA: t.yA, yB: t.yB, lambda: plan.lambda, index: plan.index };
  if (t.mask !== undefined) res.mask = t.mask;
  return res;
}

/**
 * mixup in the two-target form of source 001 (`mixup_data`): returns the mixed images with
 * both label sets unmixed, for a loss lambda L(pred, yA) + (1 - lambda) L(pred, yB)
 * (see {@link mixupLoss}). Labels keep their format (indices stay indices).
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch]` or `[batch, classes]`.
 */
export function mixupPairs(x: tf.Tensor4D, y: tf.Tensor, options: MixupOptions = {}): TwoTargetResult {
  const fn = 'mixupPairs';
  const s = toSample({ x, y, mask: options.mask }, fn);
  const { alpha = 0.4 } = options;
  checkAlpha(alpha, 'alpha', fn);
  const { mode, rng } = commonOpts(options, fn);
  return twoTarget(s.x, y, planMixup(x.shape[0], mode, alpha, rng), s.mask);
}

/**
 * CutMix in the two-target form: mixed images, labels `yA` and partner labels `yB` unmixed,
 * `lambda` the kept area share. See {@link mixupPairs} and {@link mixupLoss}.
 * @param x images `[batch, height, width, channels]`.
 * @param y labels `[batch]` or `[batch, classes]`.
 */
export function cutmixPairs(x: tf.Tensor4D, y: tf.Tensor, options: CutmixOptions = {}): TwoTargetResult {
  const fn = 'cutmixPairs';
  const s = toSample({ x, y, mask: options.mask }, fn);
  const { alpha = 1, correctLam = true, minMax } = options;
  checkAlpha(alpha, 'alpha', fn);
  checkMinMax(minMax, fn);
  const { mode, rng } = commonOpts(options, fn);
  const [n, h, w] = x.shape;
  return twoTarget(s.x, y, planCutmix(n, h, w, mode, alpha, rng, minMax, correctLam), s.mask);
}

/** A loss `(yTrue, yPred) -> loss`: a scalar, or per-sample losses `[batch]`. */
export type MixLossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * The mixup loss of source 001 (`mixup_loss_fn`): lambda L(yA, pred) + (1 - lambda) L(yB, pred).
 * With one lambda for the batch any loss works; with per-image lambdas (`mode` 'pair' /
 * 'elem') the loss must return per-sample values `[batch]`, which are weighted then averaged.
 * @param lossFn the loss, called as `lossFn(yTrue, yPred)` (the tf.losses argument order).
 * @returns `(pred, yA, yB, lambda) -> scalar loss`.
 */
export function mixupLoss(
  lossFn: MixLossFn,
): (pred: tf.Tensor, yA: tf.Tensor, yB: tf.Tensor, lambda: number | number[]) => tf.Scalar {
  if (typeof lossFn !== 'function') throw new Error(`mixupLoss: 'lossFn' must be a function`);
  return (pred, yA, yB, lambda) =>
    tf.tidy(() => {
      const lams = typeof lambda === 'number' ? [lambda] : lambda;
      if (lams.length === 0 || !lams.every((l) => Number.isFinite(l))) {
        throw new Error(`mixupLoss: 'lambda' must be a number or a non-empty array of numbers`);
      }
      const la = lossFn(yA, pred);
      const lb = lossFn(yB, pred);
      const first = lams[0] as number;
      if (lams.every((l) => l === first)) {
        return tf.mean(tf.add(tf.mul(la, first), tf.mul(lb, 1 - first))) as tf.Scalar;
      }
      if (la.rank !== 1 || la.shape[0] !== lams.length) {
        throw new Error(
          `mixupLoss: per-image lambdas need a loss returning per-sample values [${lams.length}]; got shape [${la.shape.join(', ')}]`,
        );
      }
      const lam = tf.tensor1d(lams);
      return tf.mean(tf.add(tf.mul(la, lam), tf.mul(lb, tf.sub(1, lam)))) as tf.Scalar;
    });
}
