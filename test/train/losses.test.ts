import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  binaryCrossEntropy,
  binaryFocalLoss,
  categoricalCrossEntropy,
  categoricalFocalLoss,
  diceLoss,
  labelSmoothedCrossEntropy,
  sparseCategoricalCrossEntropy,
  tripletLoss,
  tripletMarginLoss,
  type LossFn,
} from '../../src/train';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixture JSON is loosely typed by nature
type Json = any;
const fx: Json = JSON.parse(readFileSync(new URL('../fixtures/train/losses.json', import.meta.url), 'utf8'));
const TOL = 1e-5;

function val(loss: LossFn, yTrue: tf.Tensor, yPred: tf.Tensor): number {
  const before = tf.memory().numTensors;
  const s = loss(yTrue, yPred);
  const v = s.dataSync()[0] as number;
  s.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return v;
}

function t2(a: number[][]): tf.Tensor2D {
  return tf.tensor2d(a, undefined, 'float32');
}

describe('cross-entropy losses match torch', () => {
  it('binary: probabilities, logits, soft targets, class weights, smoothing', () => {
    const b = fx.binary;
    const logits = t2(b.logits);
    const p = tf.sigmoid(logits);
    const y = t2(b.y);
    const soft = t2(b.ysoft);
    expect(val(binaryCrossEntropy(), y, p)).toBeCloseTo(b.plain, 5);
    expect(Math.abs(val(binaryCrossEntropy(), y, p) - b.plain)).toBeLessThan(TOL);
    expect(Math.abs(val(binaryCrossEntropy(), soft, p) - b.soft)).toBeLessThan(TOL);
    expect(Math.abs(val(binaryCrossEntropy({ fromLogits: true }), y, logits) - b.logitsPlain)).toBeLessThan(
      TOL,
    );
    const cw = b.classWeights as number[];
    expect(
      Math.abs(val(binaryCrossEntropy({ classWeights: cw, reduction: 'mean' }), y, p) - b.weightedMean),
    ).toBeLessThan(TOL);
    expect(Math.abs(val(binaryCrossEntropy({ classWeights: cw }), y, p) - b.weightedWeighted)).toBeLessThan(
      TOL,
    );
    expect(Math.abs(val(binaryCrossEntropy({ labelSmoothing: 0.1 }), y, p) - b.smoothed)).toBeLessThan(TOL);
    tf.dispose([logits, p, y, soft]);
  });

  it('categorical and sparse: class weights as torch CrossEntropyLoss(weight)', () => {
    const c = fx.categorical;
    const logits = t2(c.logits);
    const probs = tf.softmax(logits);
    const idx = tf.tensor1d(c.labels as number[], 'float32');
    const oneHot = tf.oneHot(tf.tensor1d(c.labels as number[], 'int32'), 3);
    const soft = t2(c.soft);
    const cw = c.classWeights as number[];
    for (const [y, loss] of [
      [oneHot, categoricalCrossEntropy],
      [idx, sparseCategoricalCrossEntropy],
    ] as const) {
      expect(Math.abs(val(loss({ fromLogits: true }), y, logits) - c.plain)).toBeLessThan(TOL);
      expect(Math.abs(val(loss(), y, probs) - c.plain)).toBeLessThan(TOL);
      expect(
        Math.abs(val(loss({ classWeights: cw, fromLogits: true }), y, logits) - c.weighted),
      ).toBeLessThan(TOL);
      expect(
        Math.abs(val(loss({ classWeights: cw, reduction: 'sum' }), y, probs) - c.weightedSum),
      ).toBeLessThan(1e-4);
    }
    // [batch, 1] targets as model.fit passes them
    const col = tf.reshape(idx, [-1, 1]);
    expect(
      Math.abs(val(sparseCategoricalCrossEntropy({ fromLogits: true }), col, logits) - c.plain),
    ).toBeLessThan(TOL);
    expect(
      Math.abs(val(categoricalCrossEntropy({ fromLogits: true }), soft, logits) - c.softTargets),
    ).toBeLessThan(TOL);
    expect(
      Math.abs(
        val(labelSmoothedCrossEntropy({ smoothing: 0.1, fromLogits: true }), soft, logits) - c.softSmoothed,
      ),
    ).toBeLessThan(TOL);
    expect(
      Math.abs(val(labelSmoothedCrossEntropy({ smoothing: 0.2 }), oneHot, probs) - c.hardSmoothed),
    ).toBeLessThan(TOL);
    tf.dispose([logits, probs, idx, oneHot, soft, col]);
  });

  it('rejects bad options with the option named', () => {
    expect(() => binaryCrossEntropy({ classWeights: [1, 2, 3] })).toThrow(/classWeights/);
    expect(() => categoricalCrossEntropy({ labelSmoothing: 2 })).toThrow(/labelSmoothing/);
    expect(() => categoricalCrossEntropy({ reduction: 'avg' as never })).toThrow(/reduction/);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 3);
    expect(() => categoricalCrossEntropy({ classWeights: [1, 2] })(y, y)).toThrow(/classWeights/);
    y.dispose();
  });
});

describe('focal and Dice losses match torch', () => {
  it('binary focal = torchvision sigmoid_focal_loss; categorical focal', () => {
    const f = fx.focal;
    const logits = t2(f.logits);
    const y = t2(f.y);
    const p = tf.sigmoid(logits);
    expect(Math.abs(val(binaryFocalLoss({ fromLogits: true }), y, logits) - f.binary)).toBeLessThan(TOL);
    expect(Math.abs(val(binaryFocalLoss(), y, p) - f.binary)).toBeLessThan(TOL);
    expect(
      Math.abs(
        val(binaryFocalLoss({ alpha: null, gamma: 1, fromLogits: true }), y, logits) - f.binaryNoAlphaGamma1,
      ),
    ).toBeLessThan(TOL);
    const cl = t2(f.catLogits);
    const cy = t2(f.catY);
    expect(
      Math.abs(val(categoricalFocalLoss({ alpha: f.catAlpha, fromLogits: true }), cy, cl) - f.categorical),
    ).toBeLessThan(TOL);
    // gamma 0 and no alpha is plain cross-entropy
    const ce = val(categoricalCrossEntropy({ fromLogits: true }), cy, cl);
    expect(Math.abs(val(categoricalFocalLoss({ gamma: 0, fromLogits: true }), cy, cl) - ce)).toBeLessThan(
      TOL,
    );
    tf.dispose([logits, y, p, cl, cy]);
  });

  it('Dice per image and per batch', () => {
    const d = fx.dice;
    const logits = tf.tensor4d(d.logits);
    const y = tf.tensor4d(d.y);
    expect(Math.abs(val(diceLoss({ fromLogits: true }), y, logits) - d.perImage)).toBeLessThan(TOL);
    expect(Math.abs(val(diceLoss({ fromLogits: true, batch: true }), y, logits) - d.batch)).toBeLessThan(TOL);
    // a perfect prediction gives ~0
    expect(val(diceLoss(), y, y)).toBeLessThan(1e-6);
    tf.dispose([logits, y]);
  });
});

describe('triplet losses', () => {
  const tr = fx.triplet;
  it('explicit triplets = torch triplet_margin_loss', () => {
    const [a, p, n] = [t2(tr.a), t2(tr.p), t2(tr.n)];
    const before = tf.memory().numTensors;
    const s = tripletMarginLoss(a, p, n, { margin: 0.5 });
    expect(Math.abs((s.dataSync()[0] as number) - tr.margin)).toBeLessThan(TOL);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, p, n]);
  });

  it('batch-hard and semi-hard mining = naive loops over torch.cdist', () => {
    const e = t2(tr.emb);
    const l = tf.tensor1d(tr.labels as number[]);
    expect(Math.abs(val(tripletLoss({ mining: 'batch-hard' }), l, e) - tr.batchHard)).toBeLessThan(TOL);
    expect(Math.abs(val(tripletLoss({ mining: 'semi-hard' }), l, e) - tr.semiHard)).toBeLessThan(TOL);
    tf.dispose([e, l]);
  });

  it('random mining: seeded, varies per call, bounded by the hard losses', () => {
    const e = t2(tr.emb);
    const l = tf.tensor1d(tr.labels as number[]);
    const a = tripletLoss({ mining: 'random', seed: 7 });
    const b = tripletLoss({ mining: 'random', seed: 7 });
    const va = [val(a, l, e), val(a, l, e), val(a, l, e)];
    const vb = [val(b, l, e), val(b, l, e), val(b, l, e)];
    expect(va).toEqual(vb);
    expect(new Set(va).size).toBeGreaterThan(1);
    for (const v of va) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(tr.batchHard + 1e-6);
    }
    tf.dispose([e, l]);
  });

  it("augmented mining: positive = the row's other view, negative = a random other-class row (= explicit triplets)", () => {
    // Rows [view1 of images 0..2; view2 of images 0..2]; labels [0, 0, 1; 0, 0, 1]. Class-1 rows
    // share one embedding and every class-0 row is at sqrt(2) from it, so whichever random
    // negative is drawn, the loss is determined.
    const e = tf.tensor2d([
      [1, 0, 0],
      [0.8, 0.6, 0],
      [0, 0, 1],
      [0.6, 0.8, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const l = tf.tensor1d([0, 0, 1, 0, 0, 1]);
    const loss = tripletLoss({ mining: 'augmented', margin: 2, seed: 3 });
    const got = val(loss, l, e);
    // Class-0 anchors (rows 0, 1, 3, 4): explicit triplets with their other view and row 2.
    const rows = (ix: number[]): tf.Tensor2D => tf.gather(e, ix) as tf.Tensor2D;
    const [a, p, n] = [rows([0, 1, 3, 4]), rows([3, 4, 0, 1]), rows([2, 2, 2, 2])];
    const class0 = tripletMarginLoss(a, p, n, { margin: 2 });
    const sum0 = (class0.dataSync()[0] as number) * 4;
    // Class-1 anchors (rows 2, 5): positive is the identical other view (distance 0); the
    // negative, any class-0 row, is at distance sqrt(2): each adds 2 - sqrt(2).
    const want = (sum0 + 2 * (2 - Math.SQRT2)) / 6;
    expect(Math.abs(got - want)).toBeLessThan(1e-5);
    expect(() => val(loss, tf.tensor1d([0, 1, 0]), tf.zeros([3, 3]))).toThrow(
      /'augmented' needs a batch of two views/,
    );
    tf.dispose([e, l, a, p, n, class0]);
  });

  it('trains an embedding through model.fit with tiled labels', async () => {
    const dim = 4;
    const input = tfl.input({ shape: [3] });
    const dense = tfl.layers.dense({
      units: dim,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
    });
    const model = tfl.model({ inputs: input, outputs: dense.apply(input) as tfl.SymbolicTensor });
    model.compile({
      optimizer: tf.train.adam(0.05),
      loss: tripletLoss({ mining: 'batch-hard', margin: 0.5 }),
    });
    const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];
    const x = tf.tidy(() =>
      tf.add(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), tf.randomNormal([12, 3], 0, 0.3, 'float32', 1)),
    );
    const y = tf.tile(tf.tensor2d(labels, [12, 1]), [1, dim]);
    const h = await model.fit(x, y, { epochs: 15, batchSize: 12, verbose: 0 });
    const loss = h.history['loss'] as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] as number);
    // sparse cross-entropy inside fit: one-hot targets pass through unchanged
    const p = tf.softmax(
      tf.tensor2d([
        [1, 2, 0],
        [0, 0, 3],
      ]),
    );
    const oh = tf.tensor2d([
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(val(sparseCategoricalCrossEntropy(), oh, p)).toBeCloseTo(
      val(sparseCategoricalCrossEntropy(), tf.tensor1d([1, 2]), p),
      6,
    );
    tf.dispose([x, y, p, oh]);
  });

  it('gradients are finite, including duplicate embeddings', () => {
    const e = tf.tensor2d([
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
    const l = tf.tensor1d([0, 0, 1, 1]);
    for (const mining of ['batch-hard', 'semi-hard', 'random', 'augmented'] as const) {
      const loss = tripletLoss({ mining });
      const g = tf.grad((x: tf.Tensor) => loss(l, x))(e);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      g.dispose();
    }
    tf.dispose([e, l]);
  });
});
