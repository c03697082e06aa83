/**
 * The plans behind mixup and CutMix: partners, per-image weights and CutMix boxes drawn from
 * a seeded generator, and their application to pixels and one-hot labels on the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/random';
import { fromHost, toHost } from './host';

/** How mixing weights are shared: one for the batch, one per pair of images, or one per image. */
export type MixMode = 'batch' | 'pair' | 'elem';

/** @internal A box `[top, bottom, left, right)` in pixels. */
export type Box = [number, number, number, number];

/** @internal What to do to each image: its partner, its weight and (CutMix) its box. */
export interface MixPlan {
  index: number[];
  lambda: number[];
  boxes: (Box | null)[];
}

/** @internal The mixing modes. */
export const MIX_MODES: readonly MixMode[] = ['batch', 'pair', 'elem'];

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
