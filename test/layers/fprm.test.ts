import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { FPRM, type FPRMOptions } from '../../src/layers';
import {
  expectGradsReachAllWeights,
  expectNoLeak,
  expectSaveLoadIdentical,
  maxAbsDiff,
  randn,
} from './helpers';

const maps = (): tf.Tensor[] => [randn([2, 9, 7, 5], 1), randn([2, 5, 4, 8], 2), randn([2, 3, 2, 16], 3)];

describe('FPRM', () => {
  it('resizes every map to the target size and projects to `filters`', () => {
    const xs = maps();
    const cases: [FPRMOptions, number[]][] = [
      [{ filters: 6 }, [2, 9, 7, 6]],
      [{ filters: 4, targetIndex: 1, fusion: 'concat' }, [2, 5, 4, 4]],
      [{ filters: 3, targetIndex: 2, interpolation: 'nearest', eca: false }, [2, 3, 2, 3]],
    ];
    for (const [opts, want] of cases) {
      const layer = new FPRM(opts);
      const y = layer.apply(xs) as tf.Tensor;
      expect(y.shape).toEqual(want);
      expect(layer.computeOutputShape(xs.map((x) => x.shape))).toEqual(want);
      y.dispose();
    }
    const single = new FPRM({ filters: 2 });
    const y1 = single.apply(xs[0]) as tf.Tensor;
    expect(y1.shape).toEqual([2, 9, 7, 2]);
    tf.dispose([...xs, y1]);
  });

  for (const fusion of ['sum', 'concat'] as const) {
    it(`equals the same graph built from stock tfjs layers (${fusion}, inference)`, () => {
      const F = 4;
      const x = [randn([2, 6, 5, 3], 4), randn([2, 6, 5, 7], 5)];
      const layer = new FPRM({ filters: F, fusion, eca: false, seed: 1 });
      tf.dispose(layer.apply(x) as tf.Tensor);
      // Non-trivial BN statistics, so the inference path is really checked.
      layer.setWeights(
        layer.weights.map((w, i) =>
          /variance/.test(w.name)
            ? tf.randomUniform(w.shape as number[], 0.5, 2, 'float32', i)
            : tf.randomUniform(w.shape as number[], -1, 1, 'float32', i),
        ),
      );
      const ins = [tfl.input({ shape: [6, 5, 3] }), tfl.input({ shape: [6, 5, 7] })];
      const stock: tfl.layers.Layer[] = [];
      const convBnRelu = (t: tfl.SymbolicTensor, k: number): tfl.SymbolicTensor => {
        const conv = tfl.layers.conv2d({ filters: F, kernelSize: k, padding: 'same', useBias: false });
        const bn = tfl.layers.batchNormalization({ epsilon: 1e-3 });
        stock.push(conv, bn);
        return tfl.layers.reLU().apply(bn.apply(conv.apply(t))) as tfl.SymbolicTensor;
      };
      const p = ins.map((t) => convBnRelu(t, 1));
      const f =
        fusion === 'sum'
          ? (tfl.layers.add().apply(p) as tfl.SymbolicTensor)
          : convBnRelu(tfl.layers.concatenate().apply(p) as tfl.SymbolicTensor, 1);
      const out = tfl.layers.add().apply([f, convBnRelu(f, 3)]) as tfl.SymbolicTensor;
      const ref = tfl.model({ inputs: ins, outputs: out });
      // Copy by name: the stock layers were created in the order proj0, proj1, [fuse], refine.
      const byName = new Map(layer.weights.map((w) => [w.name.split('/').pop()!, w.read()]));
      const prefixes = ['proj0', 'proj1', ...(fusion === 'concat' ? ['fuse'] : []), 'refine'];
      prefixes.forEach((p, i) => {
        stock[2 * i].setWeights([byName.get(`${p}_kernel`)!]);
        const bn = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((s) =>
          byName.get(`${p}_bn_${s}`)!,
        );
        stock[2 * i + 1].setWeights(bn);
      });
      expect(stock.length).toBe(2 * prefixes.length);
      const y = layer.apply(x) as tf.Tensor;
      const yr = ref.predict(x) as tf.Tensor;
      expect(maxAbsDiff(y, yr)).toBeLessThan(1e-5);
      tf.dispose([...x, y, yr]);
    });
  }

  it('passes gradients to every trainable weight', () => {
    const xs = maps();
    expectGradsReachAllWeights(new FPRM({ filters: 4, fusion: 'concat', seed: 2 }), xs);
    expectGradsReachAllWeights(new FPRM({ filters: 4, seed: 3 }), xs);
    tf.dispose(xs);
  });

  it('updates moving statistics only when training', () => {
    const xs = maps();
    const layer = new FPRM({ filters: 3, momentum: 0.5 });
    tf.dispose(layer.apply(xs) as tf.Tensor);
    const mm = layer.weights.find((w) => w.name.includes('refine_bn_moving_mean'))!;
    const before = mm.read().arraySync() as number[];
    tf.dispose(layer.apply(xs) as tf.Tensor);
    expect(mm.read().arraySync()).toEqual(before);
    tf.dispose(layer.apply(xs, { training: true }) as tf.Tensor);
    expect(maxAbsDiff(mm.read(), before)).toBeGreaterThan(0);
    expect(layer.trainableWeights.some((w) => w.name.includes('moving'))).toBe(false);
    tf.dispose(xs);
  });

  it('leaks no tensors, training or not', () => {
    const xs = maps();
    expectNoLeak(new FPRM({ filters: 4, fusion: 'concat' }), xs);
    tf.dispose(xs);
  });

  it('saves and loads with identical predictions', async () => {
    await expectSaveLoadIdentical(
      () => new FPRM({ filters: 4, fusion: 'concat', targetIndex: 1 }),
      [
        [9, 7, 5],
        [5, 4, 8],
      ],
    );
    await expectSaveLoadIdentical(
      () => new FPRM({ filters: 3, interpolation: 'nearest' }),
      [
        [5, 5, 2],
        [3, 3, 6],
      ],
    );
  });

  it('rejects bad options, ranks, counts and channels', () => {
    expect(() => new FPRM({ filters: 0 })).toThrow(/filters/);
    expect(() => new FPRM({ filters: 2, fusion: 'mean' as 'sum' })).toThrow(/fusion/);
    expect(() => new FPRM({ filters: 2, momentum: 1 })).toThrow(/momentum/);
    const xs = maps();
    expect(() => new FPRM({ filters: 2, targetIndex: 3 }).apply(xs)).toThrow(/targetIndex/);
    const x3 = tf.zeros([2, 5, 5]);
    expect(() => new FPRM({ filters: 2 }).apply([xs[0], x3])).toThrow(/4-D/);
    const layer = new FPRM({ filters: 2 });
    tf.dispose(layer.apply(xs) as tf.Tensor);
    expect(() => layer.apply(xs.slice(0, 2))).toThrow(/3 input maps/);
    const bad = randn([2, 5, 4, 9], 9);
    expect(() => layer.apply([xs[0], bad, xs[2]])).toThrow(/8 channels/);
    tf.dispose([...xs, x3, bad]);
  });
});
