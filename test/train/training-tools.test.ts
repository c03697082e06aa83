import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EarlyStopping,
  ModelCheckpoint,
  fitWithMixing,
  freezeLayers,
  gridSearch,
  gridTrials,
  overfitOneBatch,
  resumeFrom,
  selectLayers,
  trainOnly,
  unfreezeLayers,
  type BatchMixer,
} from '../../src/train';
import { tinyModel } from './helpers/tiny-model';

const root = mkdtempSync(join(tmpdir(), 'medinets-tools-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function data(n = 16, seed = 4): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 3], -1, 1, 'float32', seed) as tf.Tensor2D;
    const lab = tf.cast(tf.greater(tf.sum(x, 1), 0), 'int32') as tf.Tensor1D;
    return { x, y: tf.oneHot(lab, 2) as tf.Tensor2D };
  });
}

// A mixup stand-in with the augment helper's call shape: fixed lambda, reversed partner.
const halfMix: BatchMixer = (x, y) =>
  tf.tidy(() => ({
    x: tf.add(tf.mul(x, 0.7), tf.mul(tf.reverse(x, 0), 0.3)),
    y: tf.add(tf.mul(y, 0.7), tf.mul(tf.reverse(y, 0), 0.3)),
  }));

describe('fitWithMixing', () => {
  it('trains on mixed batches, drives callbacks, is seeded and leak-free', async () => {
    const { x, y } = data();
    const run = async (): Promise<number[]> => {
      const model = tinyModel(tf.train.adam(0.05));
      const mixed: number[] = [];
      const mixer: BatchMixer = (bx, by, seed) => {
        mixed.push(seed);
        return halfMix(bx, by, seed);
      };
      const before = tf.memory().numTensors;
      const h = await fitWithMixing(model, x, y, {
        mixer,
        epochs: 3,
        batchSize: 4,
        seed: 9,
        validationData: [x, y],
      });
      expect(tf.memory().numTensors).toBe(before + 8); // Adam's two slots per weight, created lazily
      expect(h.epoch).toEqual([0, 1, 2]);
      expect(Object.keys(h.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
      expect(mixed.length).toBe(12);
      // mixed targets keep loss above zero, yet it falls
      expect(h.history['loss']![2]).toBeLessThan(h.history['loss']![0]!);
      return h.history['loss']!;
    };
    expect(await run()).toEqual(await run());
    tf.dispose([x, y]);
  });

  it('honours EarlyStopping and initialEpoch', async () => {
    const { x, y } = data();
    const model = tinyModel(tf.train.sgd(0));
    const h = await fitWithMixing(model, x, y, {
      epochs: 10,
      initialEpoch: 2,
      batchSize: 8,
      shuffle: false,
      callbacks: [new EarlyStopping({ monitor: 'loss', patience: 1 })],
    });
    expect(h.epoch).toEqual([2, 3]);
    await expect(fitWithMixing(model, x, tf.zeros([3, 2]), {})).rejects.toThrow(/batch size/);
    tf.dispose([x, y]);
  });
});

describe('freezing', () => {
  function nested(): tfl.LayersModel {
    const inner = tfl.sequential({
      name: 'backbone',
      layers: [
        tfl.layers.dense({ units: 4, inputShape: [3], name: 'b1' }),
        tfl.layers.dense({ units: 4, name: 'b2' }),
      ],
    });
    const input = tfl.input({ shape: [3] });
    const h = inner.apply(input) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, name: 'head' }).apply(h) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: out });
  }
  it('selects by name, index, RegExp and predicate; freeze/unfreeze change trainable weights', () => {
    const m = nested();
    expect(selectLayers(m, /^b/, { deep: true }).map((l) => l.name)).toEqual(['backbone', 'b1', 'b2']);
    expect(selectLayers(m, -1)[0]?.name).toBe('head');
    expect(() => selectLayers(m, 'nope')).toThrow(/no layer named 'nope'/);
    expect(freezeLayers(m, 'backbone')).toBe(1);
    expect(m.trainableWeights.map((w) => w.name.split('/')[0])).toEqual(['head', 'head']);
    unfreezeLayers(m, (l) => l.name === 'backbone');
    expect(m.trainableWeights.length).toBe(6);
    // 002-style: train only b2 and the head, deep inside the backbone
    expect(trainOnly(m, ['b2', 'head'], { deep: true })).toBe(2);
    expect(m.trainableWeights.map((w) => w.name.split('/')[0]).sort()).toEqual(['b2', 'b2', 'head', 'head']);
  });
});

describe('overfitOneBatch', () => {
  it('memorises a small batch and restores the weights; flags a frozen model', async () => {
    const { x, y } = data(8, 5);
    const model = tinyModel(tf.train.adam(0.1), 3);
    const w0 = Array.from(model.getWeights()[0]!.dataSync());
    const r = await overfitOneBatch(model, { x, y }, { steps: 300, targetLoss: 0.05 });
    expect(r.converged).toBe(true);
    expect(r.finalLoss).toBeLessThan(r.initialLoss);
    expect(Array.from(model.getWeights()[0]!.dataSync())).toEqual(w0);
    const frozen = tinyModel(tf.train.sgd(0.1));
    frozen.layers.forEach((l) => (l.trainable = false));
    frozen.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    await expect(overfitOneBatch(frozen, { x, y })).rejects.toThrow(/no trainable weights/);
    const slow = tinyModel(tf.train.sgd(1e-6));
    expect((await overfitOneBatch(slow, { x, y }, { steps: 5 })).converged).toBe(false);
    tf.dispose([x, y]);
  });
});

describe('gridSearch', () => {
  it('enumerates the grid and picks the best F1', async () => {
    expect(gridTrials({ lr: [1, 2], bs: [16, 32] })).toEqual([
      { lr: 1, bs: 16 },
      { lr: 1, bs: 32 },
      { lr: 2, bs: 16 },
      { lr: 2, bs: 32 },
    ]);
    const f1 = (p: Record<string, unknown>): number =>
      1 - Math.abs(Math.log10(p['lr'] as number) + 4) / 10 - (p['bs'] === 16 ? 0 : 0.05);
    const seen: number[] = [];
    const { best, results } = await gridSearch({
      space: { lr: [1e-3, 1e-4, 1e-5], bs: [16, 32], opt: ['adam', 'sgd'] },
      trainEval: async (p) => ({ f1: f1(p) - (p['opt'] === 'sgd' ? 0.01 : 0), loss: 1 }),
      onTrial: (r) => void seen.push(r.index),
    });
    expect(results.length).toBe(12);
    expect(seen).toEqual([...Array(12).keys()]);
    expect(best.params).toEqual({ lr: 1e-4, bs: 16, opt: 'adam' });
    const low = await gridSearch({
      space: { a: [3, 1, 2] },
      trainEval: (p) => ({ loss: p['a'] as number }),
      select: 'loss',
      mode: 'min',
    });
    expect(low.best.params).toEqual({ a: 1 });
    const skipped = await gridSearch({
      space: { a: [1, 2] },
      onError: 'skip',
      trainEval: (p) => {
        if (p['a'] === 2) throw new Error('OOM');
        return { f1: 0.5 };
      },
    });
    expect(skipped.results[1]?.error).toBe('OOM');
    await expect(gridSearch({ space: { a: [1] }, trainEval: () => ({ acc: 1 }) })).rejects.toThrow(/'f1'/);
  });
});

describe('resumeFrom', () => {
  it('2 epochs + resume 2 epochs = 4 epochs straight (weights, optimizer, epoch counter)', async () => {
    const { x, y } = data(12, 6);
    const fit = (m: tfl.LayersModel, epochs: number, initialEpoch = 0, cbs: tfl.Callback[] = []) =>
      m.fit(x, y, { epochs, initialEpoch, batchSize: 4, shuffle: false, verbose: 0, callbacks: cbs });
    const straight = tinyModel(tf.train.adam(0.05), 11);
    await fit(straight, 4);
    const dir = join(root, 'resume');
    const first = tinyModel(tf.train.adam(0.05), 11);
    await fit(first, 2, 0, [new ModelCheckpoint({ dir, monitor: 'loss' })]);
    const run = await resumeFrom(dir, {
      compile: { optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
    });
    expect(run.initialEpoch).toBe(2);
    expect(run.optimizerRestored).toBe(true);
    expect(run.checkpoint.initialHistory?.['loss']?.length).toBe(2);
    const h = await fit(run.model, 4, run.initialEpoch, [
      new ModelCheckpoint({ dir, monitor: 'loss', ...run.checkpoint }),
    ]);
    expect(h.epoch).toEqual([2, 3]);
    const a = straight.getWeights().flatMap((w) => Array.from(w.dataSync()));
    const b = run.model.getWeights().flatMap((w) => Array.from(w.dataSync()));
    a.forEach((v, i) => expect(Math.abs(v - (b[i] as number))).toBeLessThan(1e-5));
    const again = await resumeFrom(dir);
    expect(again.initialEpoch).toBe(4);
    expect(again.state.history?.['loss']?.length).toBe(4);
    tf.dispose([x, y]);
  });
});
