import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkRange, checkRank, checkSameBatch } from '../util/checks';
import { makeRng } from '../util/random';
import type { LossFn } from './loss-types';

/** How {@link tripletLoss} picks (anchor, positive, negative) triplets inside a batch. */
export type TripletMining = 'random' | 'augmented' | 'semi-hard' | 'batch-hard';

/** Options of {@link tripletLoss}. */
export interface TripletLossOptions {
  /** Margin `m` in `max(d(a, p) - d(a, n) + m, 0)`. Default 0.5 (002). */
  margin?: number;
  /**
   * Triplet selection (default `'batch-hard'`):
   * - `'random'`: for each anchor one random positive and one random negative of the batch
   *   (002's "totally random" triplets), re-drawn at every call from the seeded stream;
   * - `'augmented'`: 002's second recipe, anchor + its augmented copy as positive + a random
   *   negative. The batch holds two augmented views of the same images, the second half in
   *   the order of the first (`[view1(x); view2(x)]`, labels `[y; y]`): the positive of row
   *   `i` is its other view `i ± n/2`, the negative a random row of another class (re-drawn at
   *   every call); every row is an anchor;
   * - `'semi-hard'`: every (anchor, positive) pair with the closest negative farther than the
   *   positive, or the farthest negative if none is (FaceNet, Schroff et al. 2015; as
   *   TensorFlow Addons' `TripletSemiHardLoss`);
   * - `'batch-hard'`: per anchor the farthest positive and the closest negative
   *   (Hermans et al., "In Defense of the Triplet Loss", 2017).
   */
  mining?: TripletMining;
  /** Use squared Euclidean distances. Default false. */
  squared?: boolean;
  /** Seed of the `'random'` mining stream. Default 0. */
  seed?: number;
}

const BIG = 1e9;

/** Pairwise Euclidean distances `[n, n]` of rows of `e` `[n, d]`, exactly 0 on the diagonal. */
export function pairwiseDistances(e: tf.Tensor2D, squared = false): tf.Tensor2D {
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(e), 1);
    const d2 = tf.relu(
      tf.add(
        tf.sub(tf.reshape(sq, [-1, 1]), tf.mul(tf.matMul(e, e, false, true), 2)),
        tf.reshape(sq, [1, -1]),
      ),
    );
    const n = e.shape[0];
    const offDiag = tf.sub(1, tf.eye(n));
    const d2z = tf.mul(d2, offDiag);
    if (squared) return d2z as tf.Tensor2D;
    // The tiny offset keeps the gradient of sqrt finite at 0; the diagonal is masked out.
    return tf.mul(tf.sqrt(tf.add(d2z, 1e-16)), offDiag) as tf.Tensor2D;
  });
}

/**
 * Triplet loss over a batch of embeddings with in-batch mining. As a {@link LossFn}:
 * `yTrue` holds the class labels `[batch]` or `[batch, 1]`, `yPred` the embeddings
 * `[batch, dim]` (002 L2-normalises 512-d embeddings). Loss per triplet
 * `max(d(a, p) - d(a, n) + margin, 0)`, averaged over the anchors (batch-hard, random)
 * or positive pairs (semi-hard) that have both a positive and a negative; 0 when none has.
 * Inside `model.fit`, whose targets must have the output's shape, pass the labels tiled to
 * `[batch, dim]` (`tf.tile(labels2d, [1, dim])`): the first column is used.
 */
export function tripletLoss(opts: TripletLossOptions = {}): LossFn {
  const fn = 'tripletLoss';
  const { margin = 0.5, mining = 'batch-hard', squared = false, seed = 0 } = opts;
  checkRange(margin, 'margin', fn, { lo: 0 });
  checkOneOf(mining, ['random', 'augmented', 'semi-hard', 'batch-hard'] as const, 'mining', fn);
  const rng = makeRng(seed);
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar => {
    checkRank(yPred, 2, 'yPred', fn);
    checkSameBatch(yTrue, yPred, 'yTrue', 'yPred', fn);
    const drawSeed = mining === 'random' || mining === 'augmented' ? rng.int(2 ** 31) : 0;
    const n = yPred.shape[0] as number;
    if (mining === 'augmented' && n % 2 !== 0) {
      throw new Error(`${fn}: mining 'augmented' needs a batch of two views (an even size); got ${n} rows`);
    }
    return tf.tidy(() => {
      // model.fit insists targets have the output's shape: labels tiled to [batch, dim] work, column 0 is read.
      const col =
        yTrue.rank === 2 && (yTrue.shape[1] as number) > 1 ? tf.slice(yTrue, [0, 0], [-1, 1]) : yTrue;
      const labels = tf.reshape(tf.cast(col, 'float32'), [-1]);
      const same = tf.cast(tf.equal(tf.reshape(labels, [-1, 1]), tf.reshape(labels, [1, -1])), 'float32');
      // 'augmented': the only positive of row i is its other view, i +- n/2.
      const pos = mining === 'augmented' ? otherView(n) : tf.sub(same, tf.eye(n));
      const neg = tf.sub(1, same);
      const d = pairwiseDistances(yPred as tf.Tensor2D, squared);
      const hasPos = tf.cast(tf.greater(tf.sum(pos, 1), 0), 'float32');
      const hasNeg = tf.cast(tf.greater(tf.sum(neg, 1), 0), 'float32');
      if (mining === 'semi-hard') return semiHard(d, pos, neg, hasNeg, margin);
      let dp: tf.Tensor;
      let dn: tf.Tensor;
      if (mining === 'batch-hard') {
        dp = tf.max(tf.mul(d, pos), 1);
        dn = tf.min(tf.add(d, tf.mul(tf.sub(1, neg), BIG)), 1);
      } else {
        // A uniform score per pair, masked to the valid set: argmax picks a uniform member.
        const u = tf.randomUniform([n, n], 0, 1, 'float32', drawSeed);
        const pickP =
          mining === 'augmented' ? pos : tf.oneHot(tf.argMax(tf.sub(tf.mul(u, pos), tf.sub(1, pos)), 1), n);
        const u2 = tf.randomUniform([n, n], 0, 1, 'float32', drawSeed + 1);
        const pickN = tf.oneHot(tf.argMax(tf.sub(tf.mul(u2, neg), tf.sub(1, neg)), 1), n);
        dp = tf.sum(tf.mul(d, pickP), 1);
        dn = tf.sum(tf.mul(d, pickN), 1);
      }
      const valid = tf.mul(hasPos, hasNeg);
      const per = tf.mul(tf.relu(tf.add(tf.sub(dp, dn), margin)), valid);
      return tf.div(tf.sum(per), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
    });
  };
  Object.defineProperty(loss, 'name', { value: fn });
  return loss;
}

/** `[n, n]` with ones at (i, i + n/2) and (i + n/2, i): each row's other view. */
function otherView(n: number): tf.Tensor2D {
  const h = n / 2;
  const z = tf.zeros([h, h]);
  const e = tf.eye(h);
  return tf.concat([tf.concat([z, e], 1), tf.concat([e, z], 1)], 0) as tf.Tensor2D;
}

function semiHard(
  d: tf.Tensor,
  pos: tf.Tensor,
  neg: tf.Tensor,
  hasNeg: tf.Tensor,
  margin: number,
): tf.Scalar {
  const n = d.shape[0] as number;
  // [a, p, n]: negatives of a that lie farther than p.
  const dan = tf.reshape(d, [n, 1, n]);
  const dap = tf.reshape(d, [n, n, 1]);
  // step() rather than greater(): comparisons have no gradient in tfjs, step's is zero.
  const semi = tf.mul(tf.reshape(neg, [n, 1, n]), tf.step(tf.sub(dan, dap)));
  const hasSemi = tf.step(tf.sum(semi, 2));
  const closestSemi = tf.min(tf.add(dan, tf.mul(tf.sub(1, semi), BIG)), 2);
  const farthestNeg = tf.reshape(tf.max(tf.mul(d, neg), 1), [n, 1]);
  const dn = tf.add(tf.mul(hasSemi, closestSemi), tf.mul(tf.sub(1, hasSemi), farthestNeg));
  const pairs = tf.mul(pos, tf.reshape(hasNeg, [n, 1]));
  const per = tf.mul(tf.relu(tf.add(tf.sub(d, dn), margin)), pairs);
  return tf.div(tf.sum(per), tf.maximum(tf.sum(pairs), 1)) as tf.Scalar;
}

/** Options of {@link tripletMarginLoss}. */
export interface TripletMarginLossOptions {
  /** Margin. Default 0.5 (002). */
  margin?: number;
}

/**
 * Triplet loss on explicit triplets, `mean(max(||a - p|| - ||a - n|| + margin, 0))` — 002's
 * second recipe (anchor, its aggressively augmented copy as positive, a random negative).
 * `anchor`, `positive`, `negative`: `[batch, dim]`. Matches PyTorch
 * `triplet_margin_loss(a, p, n, margin)` (which adds 1e-6 to each difference, as here).
 */
export function tripletMarginLoss(
  anchor: tf.Tensor,
  positive: tf.Tensor,
  negative: tf.Tensor,
  opts: TripletMarginLossOptions = {},
): tf.Scalar {
  const fn = 'tripletMarginLoss';
  const { margin = 0.5 } = opts;
  checkRange(margin, 'margin', fn, { lo: 0 });
  checkRank(anchor, 2, 'anchor', fn);
  checkSameBatch(anchor, positive, 'anchor', 'positive', fn);
  checkSameBatch(anchor, negative, 'anchor', 'negative', fn);
  return tf.tidy(() => {
    const dist = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.sqrt(tf.sum(tf.square(tf.add(tf.sub(a, b), 1e-6)), -1));
    return tf.mean(
      tf.relu(tf.add(tf.sub(dist(anchor, positive), dist(anchor, negative)), margin)),
    ) as tf.Scalar;
  });
}
