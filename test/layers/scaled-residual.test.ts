// ScaledResidual: Inception-ResNet's `x + scale * r` (Keras' Lambda in InceptionResNetV2),
// as a layer that saves and loads.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ScaledResidual } from '../../src/layers';
import { roundTrip } from '../models/backbone-helpers';

describe('ScaledResidual', () => {
  it('computes x + scale * r and round-trips its scale through save -> load', async () => {
    const before = tf.memory().numTensors;
    const a = tfl.input({ shape: [2, 2, 3] });
    const b = tfl.input({ shape: [2, 2, 3] });
    const m = tfl.model({
      inputs: [a, b],
      outputs: new ScaledResidual({ scale: 0.17, name: 'block35_1' }).apply([a, b]) as tfl.SymbolicTensor,
    });
    expect(m.outputs[0].shape).toEqual([null, 2, 2, 3]);
    const loaded = await roundTrip(m);
    expect((loaded.getLayer('block35_1') as ScaledResidual).scale).toBe(0.17);
    const x = tf.randomUniform([2, 2, 2, 3], -1, 1, 'float32', 1);
    const r = tf.randomUniform([2, 2, 2, 3], -1, 1, 'float32', 2);
    const y = tf.tidy(() => (loaded.predict([x, r]) as tf.Tensor).clone());
    const xs = x.dataSync();
    const rs = r.dataSync();
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(xs[i] + 0.17 * rs[i], 6));
    const direct = tf.tidy(() => (m.predict([x, r]) as tf.Tensor).clone());
    expect(Array.from(direct.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, r, y, direct]);
    m.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a bad scale or mismatched inputs, naming the layer', () => {
    expect(() => new ScaledResidual({ scale: Number.NaN })).toThrow(/ScaledResidual: 'scale'/);
    const a = tfl.input({ shape: [2, 2, 3] });
    const b = tfl.input({ shape: [2, 2, 4] });
    expect(() => new ScaledResidual({ scale: 1 }).apply([a, b])).toThrow(/ScaledResidual: x and residual/);
    expect(() => new ScaledResidual({ scale: 1 }).apply(a)).toThrow(/ScaledResidual: expected two inputs/);
  });
});
