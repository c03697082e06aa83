// ChannelAffine: a fixed per-channel x * scale + offset (torchvision Inception-v3's
// transform_input), serialisable.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ChannelAffine } from '../../src/layers';
import { roundTrip } from '../models/backbone-helpers';

describe('ChannelAffine', () => {
  it('maps each channel as x * scale + offset and round-trips its options', async () => {
    const before = tf.memory().numTensors;
    const x = tfl.input({ shape: [2, 2, 3] });
    const layer = new ChannelAffine({ scale: [2, 0.5, -1], offset: [1, 0, 0.25], name: 'affine' });
    const m = tfl.model({ inputs: x, outputs: layer.apply(x) as tfl.SymbolicTensor });
    expect(m.countParams()).toBe(0);
    const loaded = await roundTrip(m);
    expect((loaded.getLayer('affine') as ChannelAffine).offset).toEqual([1, 0, 0.25]);
    const v = tf.randomUniform([1, 2, 2, 3], -1, 1, 'float32', 4);
    const y = tf.tidy(() => (loaded.predict(v) as tf.Tensor).clone());
    const vs = v.dataSync();
    Array.from(y.dataSync()).forEach((g, i) => {
      const c = i % 3;
      expect(g).toBeCloseTo(vs[i] * [2, 0.5, -1][c] + [1, 0, 0.25][c], 6);
    });
    tf.dispose([v, y]);
    m.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options and a wrong channel count, naming the layer and option', () => {
    expect(() => new ChannelAffine({ scale: [], offset: [] })).toThrow(/ChannelAffine: 'scale'/);
    expect(() => new ChannelAffine({ scale: [1, 2], offset: [0] })).toThrow(/ChannelAffine: 'offset'/);
    const x = tfl.input({ shape: [4, 4, 1] });
    expect(() => new ChannelAffine({ scale: [1, 1, 1], offset: [0, 0, 0] }).apply(x)).toThrow(
      /ChannelAffine: expected 3 channels/,
    );
  });
});
