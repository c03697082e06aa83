/**
 * `Mixer`: mixup and CutMix behind one object, after timm's `Mixup` — each batch, pair or
 * element is mixed with probability `prob`, by CutMix with probability `switchProb` (when
 * both are enabled), with labels smoothed before mixing.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { checkOneOf } from '../util/checks';
import type { Rng } from '../util/random';
import { type MixResult, type MixedSample, applyPlan, parseMixArgs } from './mix';
import {
  type Box,
  type MixMode,
  type MixPlan,
  boxLambda,
  checkAlpha,
  checkMinMax,
  drawBox,
  partners,
} from './mix-plan';
import { type RandomOptions, type Sample, checkProb, isTensor, rngOf } from './sample';

/** Options of {@link Mixer}. */
export interface MixerOptions extends RandomOptions {
  /** mixup's Beta concentration; 0 disables mixup. Default 0.8 (timm's recipe value). */
  mixupAlpha?: number;
  /** CutMix's Beta concentration; 0 disables CutMix. Default 1. */
  cutmixAlpha?: number;
  /** CutMix box sides uniform in [min, max] times the image sides (overrides `cutmixAlpha` for the box). */
  cutmixMinMax?: [number, number];
  /** Probability of CutMix instead of mixup when both are enabled. Default 0.5. */
  switchProb?: number;
  /** Share draws per `'batch'` (default), `'pair'` or `'elem'`ent. */
  mode?: MixMode;
  /** Recompute CutMix's lambda from the clipped box. Default `true`. */
  correctLam?: boolean;
  /** Label smoothing eps in [0, 1), applied before mixing. Default 0.1. */
  labelSmoothing?: number;
  /** Number of classes, required when labels are class indices `[batch]`. */
  classes?: number;
}

/**
 * Switches between mixup and CutMix per batch / pair / element (timm `Mixup`). Call
 * {@link Mixer.apply} on each training batch.
 * @example
 * const mixer = new Mixer({ mixupAlpha: 0.4, cutmixAlpha: 1, classes: 2, seed: 1 });
 * const { x, y } = mixer.apply(images, labels);
 */
export class Mixer {
  private readonly rng: Rng;
  private readonly o: Required<Omit<MixerOptions, 'cutmixMinMax' | 'classes' | 'seed'>> &
    Pick<MixerOptions, 'cutmixMinMax' | 'classes'>;

  /** @param options see {@link MixerOptions}. */
  constructor(options: MixerOptions = {}) {
    const fn = 'Mixer';
    const {
      mixupAlpha = 0.8,
      cutmixAlpha = 1,
      cutmixMinMax,
      prob = 1,
      switchProb = 0.5,
      mode = 'batch',
      correctLam = true,
      labelSmoothing = 0.1,
      classes,
    } = options;
    if (mixupAlpha !== 0) checkAlpha(mixupAlpha, 'mixupAlpha', fn);
    if (cutmixAlpha !== 0) checkAlpha(cutmixAlpha, 'cutmixAlpha', fn);
    checkMinMax(cutmixMinMax, fn);
    if (mixupAlpha === 0 && cutmixAlpha === 0 && cutmixMinMax === undefined) {
      throw new Error(
        `${fn}: enable mixup ('mixupAlpha' > 0) or CutMix ('cutmixAlpha' > 0 or 'cutmixMinMax')`,
      );
    }
    checkProb(prob, 'prob', fn);
    checkProb(switchProb, 'switchProb', fn);
    checkOneOf(mode, ['batch', 'pair', 'elem'] as const, 'mode', fn);
    if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
      throw new Error(`${fn}: 'labelSmoothing' must be in [0, 1); got ${labelSmoothing}`);
    }
    this.o = {
      mixupAlpha,
      cutmixAlpha,
      cutmixMinMax,
      prob,
      switchProb,
      mode,
      correctLam,
      labelSmoothing,
      classes,
    };
    this.rng = rngOf(options.seed);
  }

  /**
   * Mix one batch.
   * @param x images `[batch, height, width, channels]`.
   * @param y labels `[batch, classes]` one-hot, or `[batch]` indices with `classes`.
   * @returns mixed images, smoothed-and-mixed labels (rows sum to 1), lambdas and partners.
   */
  apply(x: tf.Tensor4D, y: tf.Tensor, options?: { mask?: tf.Tensor4D }): MixResult;
  /** The pipeline form on a {@link Sample}. */
  apply(sample: Sample): MixedSample;
  apply(
    a: tf.Tensor4D | Sample,
    y?: tf.Tensor,
    options: { mask?: tf.Tensor4D } = {},
  ): MixResult | MixedSample {
    const fn = 'Mixer.apply';
    const classes = this.o.classes;
    const p = isTensor(a)
      ? parseMixArgs(a, y, { ...options, classes }, fn)
      : parseMixArgs(a, { classes }, undefined, fn);
    const [n, h, w] = p.x.shape;
    const plan = this.plan(n, h, w);
    return applyPlan(p, plan, fn, this.o.labelSmoothing);
  }

  private plan(n: number, h: number, w: number): MixPlan {
    const { mixupAlpha, cutmixAlpha, cutmixMinMax, prob, switchProb, mode, correctLam } = this.o;
    const rng = this.rng;
    const canCut = cutmixAlpha > 0 || cutmixMinMax !== undefined;
    const { index, group } = partners(mode, n, rng);
    const drawn = new Map<number, { lam: number; box: Box | null }>();
    const draw = (): { lam: number; box: Box | null } => {
      if (!rng.bernoulli(prob)) return { lam: 1, box: null };
      const useCut = canCut && (mixupAlpha === 0 || rng.bernoulli(switchProb));
      if (!useCut) return { lam: rng.beta(mixupAlpha, mixupAlpha), box: null };
      const lam0 = cutmixAlpha > 0 ? rng.beta(cutmixAlpha, cutmixAlpha) : 1;
      const box = drawBox(lam0, h, w, rng, cutmixMinMax);
      return { lam: correctLam || cutmixMinMax ? boxLambda(box, h, w) : lam0, box };
    };
    const lambda: number[] = [];
    const boxes: (Box | null)[] = [];
    for (const g of group) {
      if (!drawn.has(g)) drawn.set(g, draw());
      const d = drawn.get(g)!;
      lambda.push(d.lam);
      boxes.push(d.box);
    }
    return { index, lambda, boxes };
  }
}
