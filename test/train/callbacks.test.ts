import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EarlyStopping,
  HistoryLogger,
  LearningRateScheduler,
  ProgressBar,
  ReduceLROnPlateau,
  getLearningRate,
  stepDecay,
} from '../../src/train';
import { resolveMode } from '../../src/train/monitor';
import { fillWeights, firstWeight, tinyModel } from './helpers/tiny-model';

const tmp = mkdtempSync(join(tmpdir(), 'medinets-cb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('resolveMode', () => {
  it('infers direction from the name', () => {
    expect(resolveMode('val_loss', 'auto')).toBe('min');
    expect(resolveMode('val_acc', 'auto')).toBe('max');
    expect(resolveMode('val_f1', 'auto')).toBe('max');
    expect(resolveMode('val_auc', 'min')).toBe('min');
  });
});

describe('EarlyStopping on a scripted loss sequence', () => {
  it('stops after `patience` epochs without improvement and restores the best weights', async () => {
    const model = tinyModel();
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    es.setModel(model);
    const before = tf.memory().numTensors;
    await es.onTrainBegin();
    const losses = [1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.3];
    let stoppedAt = -1;
    for (let e = 0; e < losses.length; e++) {
      fillWeights(model, e); // weights mark the epoch
      await es.onEpochEnd(e, { val_loss: tf.scalar(losses[e] as number) as tf.Scalar });
      if (model.stopTraining) {
        stoppedAt = e;
        break;
      }
    }
    expect(stoppedAt).toBe(4);
    expect(es.stoppedEpoch).toBe(4);
    expect(es.bestEpoch).toBe(2);
    expect(es.best).toBe(0.5);
    expect(firstWeight(model)).toBe(4);
    await es.onTrainEnd();
    expect(firstWeight(model)).toBe(2);
    // the snapshot is freed; only the scalars the test created remain
    expect(tf.memory().numTensors).toBe(before + 5);
  });

  it('max mode, minDelta and a missing key', async () => {
    const model = tinyModel();
    const es = new EarlyStopping({ monitor: 'val_acc', patience: 1, minDelta: 0.05 });
    es.setModel(model);
    await es.onTrainBegin();
    await es.onEpochEnd(0, { val_acc: 0.6 });
    await es.onEpochEnd(1, { val_acc: 0.62 }); // below minDelta: no improvement
    expect(model.stopTraining).toBe(true);
    expect(es.best).toBe(0.6);
    const es2 = new EarlyStopping({ monitor: 'val_nope' });
    es2.setModel(tinyModel());
    await es2.onEpochEnd(0, { loss: 1 });
    expect(es2.stoppedEpoch).toBe(-1);
  });

  it('really stops model.fit', async () => {
    const model = tinyModel(tf.train.sgd(0));
    const x = tf.randomUniform([8, 3], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
    const es = new EarlyStopping({ monitor: 'loss', patience: 1 });
    const h = await model.fit(x, y, {
      epochs: 10,
      batchSize: 4,
      verbose: 0,
      shuffle: false,
      callbacks: [es],
    });
    expect(h.epoch.length).toBe(2); // lr 0: loss never improves after epoch 0
    tf.dispose([x, y]);
  });
});

describe('ReduceLROnPlateau', () => {
  it('divides the live rate after `patience` flat epochs, honours cooldown and minLr', async () => {
    const model = tinyModel(tf.train.adam(1e-2));
    const cb = new ReduceLROnPlateau({
      monitor: 'val_loss',
      factor: 0.5,
      patience: 2,
      cooldown: 1,
      minLr: 2e-3,
    });
    cb.setModel(model);
    await cb.onTrainBegin();
    const seq = [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
    const lrs: number[] = [];
    for (let e = 0; e < seq.length; e++) {
      await cb.onEpochEnd(e, { val_loss: seq[e] as number });
      lrs.push(getLearningRate(model.optimizer));
    }
    // Keras semantics: the cooldown epoch resets the counter but is already counted out,
    // so reductions at 3, 5, 7; the third is clamped at minLr and then nothing changes.
    expect(cb.reductions.map(([e]) => e)).toEqual([3, 5, 7]);
    expect(lrs[2]).toBeCloseTo(1e-2);
    expect(lrs[3]).toBeCloseTo(5e-3);
    expect(lrs[5]).toBeCloseTo(2.5e-3);
    expect(lrs[7]).toBeCloseTo(2e-3);
    expect(lrs[10]).toBeCloseTo(2e-3);
  });
});

describe('LearningRateScheduler', () => {
  it('sets the rate at each epoch begin, inside model.fit', async () => {
    const opt = tf.train.sgd(1);
    const model = tinyModel(opt);
    const x = tf.randomUniform([4, 3], 0, 1, 'float32', 2);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
    const sched = new LearningRateScheduler(stepDecay({ baseLr: 0.1, stepSize: 2 }));
    const seen: number[] = [];
    await model.fit(x, y, {
      epochs: 5,
      verbose: 0,
      callbacks: [
        sched,
        new tfl.CustomCallback({ onEpochEnd: async () => void seen.push(getLearningRate(opt)) }),
      ],
    });
    expect(seen.map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    tf.dispose([x, y]);
  });
});

describe('LearningRateScheduler per batch', () => {
  it('uses the fractional epoch before each batch', async () => {
    const opt = tf.train.sgd(1);
    const model = tinyModel(opt);
    const sched = new LearningRateScheduler((e) => e, { perBatch: true });
    sched.setModel(model);
    sched.setParams({ epochs: 2, samples: 8, batchSize: 2 });
    const seen: number[] = [];
    for (let e = 0; e < 2; e++) {
      await sched.onEpochBegin(e);
      for (let b = 0; b < 4; b++) {
        await sched.onBatchBegin(b);
        seen.push(getLearningRate(opt));
      }
    }
    expect(seen).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75]);
  });
});

describe('HistoryLogger', () => {
  it('writes CSV rows and a JSON history', async () => {
    const model = tinyModel();
    const csv = new HistoryLogger({ path: join(tmp, 'h', 'history.csv') });
    const json = new HistoryLogger({ path: join(tmp, 'h', 'history.json'), logLearningRate: false });
    for (const cb of [csv, json]) {
      cb.setModel(model);
      await cb.onTrainBegin();
      await cb.onEpochEnd(0, { loss: 1.5, val_loss: tf.scalar(2) as tf.Scalar });
      await cb.onEpochEnd(1, { loss: 1.25, val_loss: 1.75 });
    }
    const lines = readFileSync(join(tmp, 'h', 'history.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('epoch,loss,val_loss,lr');
    expect(lines[2]).toBe('1,1.25,1.75,0.1');
    const h = JSON.parse(readFileSync(join(tmp, 'h', 'history.json'), 'utf8'));
    expect(h).toEqual({ epoch: [0, 1], loss: [1.5, 1.25], val_loss: [2, 1.75] });
  });
});

describe('ProgressBar', () => {
  function sink(isTTY: boolean): { out: string[]; stream: { write: (s: string) => void; isTTY: boolean } } {
    const out: string[] = [];
    return { out, stream: { write: (s: string) => void out.push(s), isTTY } };
  }
  it('plain lines when not a TTY', async () => {
    const { out, stream } = sink(false);
    const bar = new ProgressBar({ stream });
    bar.setParams({ epochs: 2, samples: 8, batchSize: 4 });
    await bar.onEpochBegin(0);
    await bar.onBatchEnd(0, { loss: 1 });
    await bar.onEpochEnd(0, { loss: 0.5, val_loss: 0.25 });
    expect(out.length).toBe(1);
    expect(out[0]).toMatch(/^Epoch 1\/2 \d+s loss 0\.5000 val_loss 0\.2500\n$/);
    expect(out.join('').includes('\u001b') || out.join('').includes('\r')).toBe(false);
  });
  it('a redrawn bar on a TTY', async () => {
    const { out, stream } = sink(true);
    const bar = new ProgressBar({ stream, width: 10, throttleMs: 0 });
    bar.setParams({ epochs: 3, samples: 8, batchSize: 4 });
    await bar.onEpochBegin(1);
    await bar.onBatchEnd(0, { loss: 1 });
    await bar.onBatchEnd(1, { loss: 0.75 });
    expect(out[0]).toContain('Epoch 2/3 [====>-----] 1/2');
    expect(out[1]).toContain('[==========] 2/2');
    expect(out[1]?.startsWith('\r')).toBe(true);
    expect(bar.renderBar(0, 4, 0, {})).toContain('[----------] 0/4 ETA ?');
  });
});
