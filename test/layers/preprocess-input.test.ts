// preprocessInput / PreprocessInput against keras.applications' _preprocess_numpy_input
// (transcribed in test/fixtures/layers/make_preprocess_input.py) for caffe, tf and torch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PreprocessInput, preprocessInput, type PreprocessMode } from '../../src/layers';
import { predict, roundTrip } from '../models/backbone-helpers';

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/layers/preprocess_input.json'), 'utf8'),
) as Record<string, number[]> & { shape: number[] };
const MODES: PreprocessMode[] = ['caffe', 'tf', 'torch'];

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('preprocessInput', () => {
  it.each(MODES)("mode '%s' equals Keras' formula", (mode) => {
    const before = tf.memory().numTensors;
    const x = tf.tensor(fixture.x as number[], fixture.shape);
    const y = preprocessInput(x, mode);
    expect(y.shape).toEqual(fixture.shape);
    expect(maxAbs(y.dataSync(), fixture[mode] as number[])).toBeLessThan(1e-4);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('as a layer: same values, and the mode survives save -> load', async () => {
    const inp = tfl.input({ shape: [3, 4, 3] });
    const m = tfl.model({
      inputs: inp,
      outputs: new PreprocessInput({ mode: 'torch', name: 'pre' }).apply(inp) as tfl.SymbolicTensor,
    });
    const loaded = await roundTrip(m);
    expect((loaded.getLayer('pre') as PreprocessInput).mode).toBe('torch');
    expect(loaded.getLayer('pre').trainableWeights).toEqual([]);
    const x = tf.tensor4d(fixture.x as number[], fixture.shape as [number, number, number, number]);
    const y = predict(loaded, x);
    expect(maxAbs(y.dataSync(), fixture.torch as number[])).toBeLessThan(1e-4);
    tf.dispose([x, y]);
    m.dispose();
    loaded.dispose();
  });

  it('names the function and argument on bad input', () => {
    const x = tf.zeros([1, 2, 2, 1]);
    expect(() => preprocessInput(x, 'caffe')).toThrow(/preprocessInput: mode 'caffe' needs 3 RGB channels/);
    expect(() => preprocessInput(x, 'keras' as PreprocessMode)).toThrow(
      /preprocessInput: 'mode' must be one of/,
    );
    expect(() => new PreprocessInput({ mode: 'x' as PreprocessMode })).toThrow(/PreprocessInput: 'mode'/);
    const t = preprocessInput(x, 'tf');
    expect(Array.from(t.dataSync())).toEqual([-1, -1, -1, -1]);
    tf.dispose([x, t]);
  });
});
