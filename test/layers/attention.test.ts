import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AttentionGate,
  ChannelSE,
  ECA,
  ECAsE,
  ecaKernelSize,
  SCSE,
  SpatialSE,
  SqueezeExcite,
} from '../../src/layers';
import {
  expectGradsReachAllWeights,
  expectNoLeak,
  expectSaveLoadIdentical,
  maxAbsDiff,
  randn,
} from './helpers';

type Ctor = new (opts: Record<string, unknown>) => tfl.layers.Layer;
const CLASSES: Record<string, Ctor> = {
  SqueezeExcite: SqueezeExcite as unknown as Ctor,
  ChannelSE: ChannelSE as unknown as Ctor,
  SpatialSE: SpatialSE as unknown as Ctor,
  SCSE: SCSE as unknown as Ctor,
  ECA: ECA as unknown as Ctor,
  ECAsE: ECAsE as unknown as Ctor,
};

interface Arr {
  shape: number[];
  data: number[];
}
interface Fixture {
  x: Arr;
  cases: { layer: string; options: Record<string, unknown>; weights: Arr[]; y: Arr }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/layers/attention.json', import.meta.url), 'utf8'),
) as Fixture;

describe('ecaKernelSize', () => {
  it('follows t = int(|log2 C + 1| / 2), odd, at least 3', () => {
    expect(ecaKernelSize(1)).toBe(3);
    expect(ecaKernelSize(16)).toBe(3);
    expect(ecaKernelSize(64)).toBe(3);
    expect(ecaKernelSize(128)).toBe(5);
    expect(ecaKernelSize(256)).toBe(5);
    expect(ecaKernelSize(512)).toBe(5);
    expect(ecaKernelSize(2048)).toBe(7);
    expect(() => ecaKernelSize(0)).toThrow(/channels/);
  });
});

describe('attention layers match PyTorch', () => {
  for (const c of fixture.cases) {
    it(`${c.layer} ${JSON.stringify(c.options)}`, () => {
      const x = tf.tensor(fixture.x.data, fixture.x.shape);
      const layer = new CLASSES[c.layer](c.options);
      tf.dispose(layer.apply(x) as tf.Tensor);
      const ws = c.weights.map((w) => tf.tensor(w.data, w.shape));
      layer.setWeights(ws);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(c.y.shape);
      expect(maxAbsDiff(y, c.y.data)).toBeLessThan(1e-5);
      tf.dispose([x, y, ...ws]);
      layer.dispose();
    });
  }
});

const MAKERS: [string, () => tfl.layers.Layer][] = [
  ['SqueezeExcite', () => new SqueezeExcite({ reduction: 4, seed: 1 })],
  ['ChannelSE', () => new ChannelSE({ reduction: 4, minChannels: 2, seed: 2 })],
  ['SpatialSE', () => new SpatialSE({ seed: 3 })],
  ['SCSE', () => new SCSE({ reduction: 4, seed: 4 })],
  ['SCSE max no bias', () => new SCSE({ combine: 'max', useBias: false, seed: 5 })],
  ['ECA', () => new ECA({ seed: 6 })],
  ['ECA avgmax k5', () => new ECA({ pooling: 'avgmax', kernelSize: 5, seed: 7 })],
  ['ECAsE', () => new ECAsE({ seed: 8 })],
  ['ECAsE max', () => new ECAsE({ combine: 'max', pooling: 'max', seed: 9 })],
];

describe.each(MAKERS)('%s', (_name, make) => {
  it('keeps odd input shapes', () => {
    const layer = make();
    const x = randn([3, 7, 5, 9], 1);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([3, 7, 5, 9]);
    expect(layer.computeOutputShape([null, 7, 5, 9])).toEqual([null, 7, 5, 9]);
    tf.dispose([x, y]);
  });

  it('passes gradients to every trainable weight', () => {
    const layer = make();
    const x = randn([2, 5, 3, 12], 2);
    expectGradsReachAllWeights(layer, x);
    x.dispose();
  });

  it('leaks no tensors', () => {
    const layer = make();
    const x = randn([2, 5, 3, 12], 3);
    expectNoLeak(layer, x);
    x.dispose();
  });

  it('saves and loads with identical predictions', async () => {
    await expectSaveLoadIdentical(make, [[5, 7, 12]]);
  });

  it('rejects a wrong rank and a wrong channel count', () => {
    const layer = make();
    const x3 = tf.zeros([2, 5, 12]);
    expect(() => layer.apply(x3)).toThrow(/ndim=4|4-D/);
    const x = tf.zeros([1, 3, 3, 12]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const x8 = tf.zeros([1, 3, 3, 8]);
    expect(() => layer.apply(x8)).toThrow(/12/);
    tf.dispose([x3, x, x8]);
  });
});

describe('option validation', () => {
  it('names the bad option', () => {
    expect(() => new SqueezeExcite({ reduction: 0 })).toThrow(/reduction/);
    expect(() => new SCSE({ combine: 'mul' as 'add' })).toThrow(/combine/);
    expect(() => new ECA({ kernelSize: 4 })).toThrow(/kernelSize/);
    expect(() => new ECA({ pooling: 'sum' as 'avg' })).toThrow(/pooling/);
    expect(() => new ECAsE({ kernelSize: 0 })).toThrow(/kernelSize/);
  });
});

describe('the AttentionGate base', () => {
  // The config keys each layer wrote before the shared base: saved models depend on them.
  const KEYS: [() => tfl.layers.Layer, string[]][] = [
    [() => new SqueezeExcite({ seed: 1 }), ['reduction', 'minChannels', 'useBias', 'seed']],
    [() => new ChannelSE({}), ['reduction', 'minChannels', 'useBias']],
    [() => new SpatialSE({ seed: 2 }), ['useBias', 'seed']],
    [() => new SCSE({}), ['reduction', 'minChannels', 'useBias', 'combine']],
    [() => new ECA({ kernelSize: 5 }), ['gamma', 'beta', 'pooling', 'kernelSize']],
    [() => new ECAsE({ seed: 3 }), ['gamma', 'beta', 'pooling', 'combine', 'useBias', 'seed']],
  ];
  it('keeps every gate config as it was (no new key unless `channels` is given)', () => {
    const base = Object.keys(new SpatialSE({}).getConfig()).filter((k) => k !== 'useBias');
    for (const [make, own] of KEYS) {
      const layer = make();
      expect(layer).toBeInstanceOf(AttentionGate);
      expect(Object.keys(layer.getConfig()).sort()).toEqual([...base, ...own].sort());
    }
  });

  it('takes `channels` first: checked at build, in the config, and ECA sizes its kernel early', async () => {
    const eca = new ECA({ channels: 256 });
    expect(eca.effectiveKernelSize).toBe(5); // before build, from C = 256
    expect(new ECA({}).effectiveKernelSize).toBeNull();
    const cfg = new SCSE({ channels: 12, reduction: 4 }).getConfig();
    const own = Object.keys(cfg).slice(Object.keys(cfg).indexOf('channels'));
    expect(own).toEqual(['channels', 'reduction', 'minChannels', 'useBias', 'combine']);
    expect(cfg.channels).toBe(12);
    const layer = new SCSE({ channels: 12 });
    const x8 = tf.zeros([1, 3, 3, 8]);
    expect(() => layer.apply(x8)).toThrow(/SCSE: input must have 12 channels \(the 'channels' option\)/);
    expect(() => new SpatialSE({ channels: 0 })).toThrow(/'channels'/);
    await expectSaveLoadIdentical(() => new ECAsE({ channels: 12, seed: 4 }), [[5, 7, 12]]);
    x8.dispose();
  });
});
