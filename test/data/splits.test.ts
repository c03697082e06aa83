import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BatchIterator,
  batchIndices,
  classCounts,
  classWeights,
  stratifiedSplit,
  takeRows,
} from '../../src/data';

describe('stratifiedSplit', () => {
  const labels = [...new Array(70).fill(0), ...new Array(30).fill(1)];

  it('keeps class proportions in every part, covers every index once, and repeats for a seed', () => {
    const s = stratifiedSplit(labels, { fractions: [0.6, 0.2, 0.2], seed: 3 });
    expect(s.train.length).toBe(60);
    expect(s.val.length).toBe(20);
    expect(s.test.length).toBe(20);
    const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(labels.map((_, i) => i));
    const pos = (part: number[]): number => part.filter((i) => labels[i] === 1).length;
    expect(pos(s.train)).toBe(18);
    expect(pos(s.val)).toBe(6);
    expect(pos(s.test)).toBe(6);
    expect(stratifiedSplit(labels, { fractions: [0.6, 0.2, 0.2], seed: 3 })).toEqual(s);
    expect(stratifiedSplit(labels, { fractions: [0.6, 0.2, 0.2], seed: 4 }).train).not.toEqual(s.train);
  });

  it('accepts named and two-part fractions and a tensor of labels', () => {
    const t = tf.tensor1d(labels, 'int32');
    const a = stratifiedSplit(t, { fractions: { train: 0.75, test: 0.25 }, seed: 1 });
    const b = stratifiedSplit(labels, { fractions: [0.75, 0.25], seed: 1 });
    t.dispose();
    expect(a).toEqual(b);
    expect(a.val).toEqual([]);
    expect(a.train.length).toBe(75);
  });

  it('rejects fractions that do not sum to 1 and bad labels', () => {
    expect(() => stratifiedSplit(labels, { fractions: [0.5, 0.2, 0.2] })).toThrow(/'fractions'/);
    expect(() => stratifiedSplit([0, 1.5])).toThrow(/labels\[1\]/);
  });
});

describe('classWeights', () => {
  it('balanced weights equal scikit-learn compute_class_weight', () => {
    const y = [0, 0, 0, 1, 2, 2];
    // n / (K * count): 6/(3*3), 6/(3*1), 6/(3*2)
    const w = classWeights(y);
    expect(w[0]).toBeCloseTo(2 / 3, 12);
    expect(w[1]).toBeCloseTo(2, 12);
    expect(w[2]).toBeCloseTo(1, 12);
  });

  it("complement weights reproduce document 004's [3876/5218, 1342/5218]", () => {
    const y = [...new Array(1342).fill(0), ...new Array(3876).fill(1)];
    const w = classWeights(y, { mode: 'complement' });
    expect(w[0]).toBeCloseTo(3876 / 5218, 12);
    expect(w[1]).toBeCloseTo(1342 / 5218, 12);
    expect(classCounts(y)).toEqual([1342, 3876]);
  });

  it('reports a single-class dataset clearly', () => {
    expect(() => classWeights([1, 1, 1], { numClasses: 2 })).toThrow(/class 0 has no samples/);
    expect(() => classWeights([])).toThrow(/no labels/);
  });
});

describe('batching', () => {
  it('batchIndices covers every index once per epoch and honours dropRemainder', () => {
    const b = batchIndices(10, { batchSize: 4, seed: 1 });
    expect(b.map((x) => x.length)).toEqual([4, 4, 2]);
    expect(b.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchIndices(10, { batchSize: 4, dropRemainder: true }).length).toBe(2);
    expect(batchIndices(5, { batchSize: 2, shuffle: false })).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('BatchIterator reshuffles per epoch, repeats for a seed, pairs xs with ys and does not leak', () => {
    const xs = tf.tensor2d([[0], [1], [2], [3], [4], [5], [6]]);
    const ys = tf.tensor1d([0, 10, 20, 30, 40, 50, 60]);
    const before = tf.memory().numTensors;
    const it = new BatchIterator(xs, ys, { batchSize: 3, seed: 5 });
    expect(it.length).toBe(3);
    const epoch = (): number[][] => {
      const out: number[][] = [];
      for (const b of it) {
        const x = Array.from(b.xs.dataSync());
        const y = Array.from((b.ys as tf.Tensor).dataSync());
        expect(y).toEqual(x.map((v) => v * 10));
        expect(x).toEqual(b.indices);
        out.push(x);
        tf.dispose([b.xs, b.ys as tf.Tensor]);
      }
      return out;
    };
    const e1 = epoch();
    const e2 = epoch();
    expect(e1.flat().sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(e1).not.toEqual(e2);
    const again = new BatchIterator(xs, ys, { batchSize: 3, seed: 5 });
    const first: number[][] = [];
    for (const b of again) {
      first.push(b.indices);
      tf.dispose([b.xs, b.ys as tf.Tensor]);
    }
    expect(first).toEqual(e1);
    expect(tf.memory().numTensors).toBe(before);
    const rows = takeRows(xs, [6, 0]);
    expect(Array.from(rows.dataSync())).toEqual([6, 0]);
    tf.dispose([xs, ys, rows]);
  });
});
