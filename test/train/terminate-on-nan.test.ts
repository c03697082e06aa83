// A NaN loss stops training: quietly as Keras's TerminateOnNaN, or with a named error.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { NonFiniteLossError, TerminateOnNaN, fitWithMixing } from '../../src/train';
import { tinyModel } from './helpers/tiny-model';

/** 12 samples in batches of 4; the third batch (samples 8-11) holds a NaN input. */
function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = Array.from({ length: 12 * 3 }, (_, i) => ((i * 7) % 11) / 11);
  xs[9 * 3 + 1] = NaN;
  const ys = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? [1, 0] : [0, 1])).flat();
  return { x: tf.tensor2d(xs, [12, 3]), y: tf.tensor2d(ys, [12, 2]) };
}

function finiteWeights(model: ReturnType<typeof tinyModel>): boolean {
  return model.getWeights().every((w) => Array.from(w.dataSync()).every(Number.isFinite));
}

describe('TerminateOnNaN', () => {
  it("'stop' ends fit after the first non-finite batch, as Keras", async () => {
    const { x, y } = data();
    const model = tinyModel();
    const cb = new TerminateOnNaN();
    const seen: number[] = [];
    const h = await model.fit(x, y, {
      epochs: 5,
      batchSize: 4,
      shuffle: false,
      callbacks: [cb, new tfl.CustomCallback({ onBatchEnd: async (b: number) => void seen.push(b) })],
    });
    expect(cb.stoppedAt).toEqual({ epoch: 0, batch: 2, loss: NaN });
    expect(seen).toEqual([0, 1, 2]); // no batch after the NaN one
    expect(h.epoch).toEqual([0]); // no epoch after it
    expect(finiteWeights(model)).toBe(false); // the NaN step itself already ran
    tf.dispose([x, y]);
    model.dispose();
  });

  it("'throw' rejects fit with a NonFiniteLossError naming epoch and batch; the model trains again after", async () => {
    const { x, y } = data();
    const model = tinyModel();
    const err = await model
      .fit(x, y, {
        epochs: 3,
        batchSize: 4,
        shuffle: false,
        callbacks: [new TerminateOnNaN({ action: 'throw' })],
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).name).toBe('NonFiniteLossError');
    expect((err as NonFiniteLossError).message).toMatch(/the loss is NaN at epoch 0, batch 2/);
    expect([(err as NonFiniteLossError).epoch, (err as NonFiniteLossError).batch]).toEqual([0, 2]);
    // fit is usable again (isTraining was reset) on clean data.
    const clean = tf.tensor2d([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [2, 3]);
    const cy = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const model2 = tinyModel();
    const h = await model2.fit(clean, cy, {
      epochs: 2,
      callbacks: [new TerminateOnNaN({ action: 'throw' })],
    });
    expect(h.epoch).toEqual([0, 1]);
    tf.dispose([x, y, clean, cy]);
    model.dispose();
    model2.dispose();
  });

  it('works with fitWithMixing, and finite losses never stop training', async () => {
    const { x, y } = data();
    const model = tinyModel();
    const cb = new TerminateOnNaN();
    const h = await fitWithMixing(model, x, y, { epochs: 4, batchSize: 4, shuffle: false, callbacks: [cb] });
    expect(cb.stoppedAt?.batch).toBe(2);
    expect(h.epoch).toEqual([0]);
    const ok = tf.slice(x, [0, 0], [8, 3]);
    const oy = tf.slice(y, [0, 0], [8, 2]);
    const m2 = tinyModel();
    const cb2 = new TerminateOnNaN({ action: 'throw' });
    const h2 = await fitWithMixing(m2, ok, oy, { epochs: 3, batchSize: 4, shuffle: false, callbacks: [cb2] });
    expect(h2.epoch).toEqual([0, 1, 2]);
    expect(cb2.stoppedAt).toBeNull();
    expect(() => new TerminateOnNaN({ action: 'warn' as 'stop' })).toThrow(
      /'action' must be 'stop' or 'throw'/,
    );
    tf.dispose([x, y, ok, oy]);
    model.dispose();
    m2.dispose();
  });
});
