// The L2Normalize layer: unit-length vectors along an axis, serialisable under its old className.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as blocks from '../../src/blocks';
import { L2Normalize } from '../../src/layers';
import { predict, roundTrip } from '../models/backbone-helpers';

describe('L2Normalize', () => {
  it('normalises along the last axis, maps zero to zero and round-trips its config', async () => {
    const before = tf.memory().numTensors;
    const x = tfl.input({ shape: [2, 3] });
    const m = tfl.model({
      inputs: x,
      outputs: new L2Normalize({ name: 'l2', epsilon: 1e-8 }).apply(x) as tfl.SymbolicTensor,
    });
    const loaded = await roundTrip(m);
    expect((loaded.getLayer('l2') as L2Normalize).epsilon).toBe(1e-8);
    const v = tf.tensor3d([
      [
        [1, 2, 2],
        [0, 0, 0],
      ],
    ]);
    const y = predict(loaded, v);
    const got = Array.from(y.dataSync());
    const want = [1 / 3, 2 / 3, 2 / 3, 0, 0, 0];
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
    tf.dispose([v, y]);
    m.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new L2Normalize({ epsilon: 0 })).toThrow(/L2Normalize: 'epsilon'/);
  });

  it('keeps its serialization className and stays importable from medinets/blocks (deprecated)', () => {
    // Saved models name the class 'L2Normalize'; it must not change with the move to layers/.
    expect(L2Normalize.className).toBe('L2Normalize');
    expect(new L2Normalize().getClassName()).toBe('L2Normalize');
    expect(blocks.L2Normalize).toBe(L2Normalize);
  });
});
