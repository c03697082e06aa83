import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCheckpoint, loadCheckpoint, restoreOptimizer, saveCheckpoint } from '../../src/train';
import { fillWeights, firstWeight, tinyModel } from './helpers/tiny-model';

const root = mkdtempSync(join(tmpdir(), 'medinets-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips predictions, state and optimizer slots', async () => {
    const x = tf.randomUniform([6, 3], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0], 'int32'), 2);
    const model = tinyModel(tf.train.adam(0.05));
    await model.fit(x, y, { epochs: 2, verbose: 0, shuffle: false });
    const dir = join(root, 'rt');
    await saveCheckpoint(model, dir, { state: { epoch: 2, best: 0.5 } });
    const { model: back, state } = await loadCheckpoint(dir);
    expect(state).toEqual({ epoch: 2, best: 0.5 });
    const p1 = model.predict(x) as tf.Tensor;
    const p2 = back.predict(x) as tf.Tensor;
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
    // One more identical step from the restored optimizer gives identical weights.
    back.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
    await back.fit(x, y, { epochs: 1, verbose: 0, shuffle: false, batchSize: 6 }); // creates slots
    expect(await restoreOptimizer(back.optimizer, dir)).toBe(true);
    back.setWeights(model.getWeights());
    await model.fit(x, y, { epochs: 1, verbose: 0, shuffle: false, batchSize: 6 });
    await back.fit(x, y, { epochs: 1, verbose: 0, shuffle: false, batchSize: 6 });
    const a = model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = back.getWeights().map((w) => Array.from(w.dataSync()));
    a.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - (b[i]?.[j] as number))).toBeLessThan(1e-6)));
    await expect(restoreOptimizer(tf.train.sgd(1), dir)).rejects.toThrow(/Adam/);
    tf.dispose([x, y, p1, p2]);
  });

  it('a crash mid-write (SIGKILL in a child process) leaves the previous checkpoint loadable', async () => {
    const dir = join(root, 'crash');
    const model = tinyModel();
    fillWeights(model, 7);
    await saveCheckpoint(model, dir, { state: { epoch: 3 } });
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'helpers', 'crash-save.ts'), dir],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(child.signal).toBe('SIGKILL');
    // The dead writer's temporary directory is still there, the target is untouched.
    expect(readdirSync(root).some((n) => n.startsWith('crash.tmp-'))).toBe(true);
    const { model: back, state } = await loadCheckpoint(dir);
    expect(state.epoch).toBe(3);
    expect(firstWeight(back)).toBe(7);
    // The next save sweeps the dead writer's leftovers.
    fillWeights(model, 8);
    await saveCheckpoint(model, dir, { state: { epoch: 4 } });
    expect(readdirSync(root).filter((n) => n.startsWith('crash.'))).toEqual([]);
    expect(firstWeight((await loadCheckpoint(dir)).model)).toBe(8);
  });

  it('an error thrown mid-write cleans up and keeps the previous checkpoint', async () => {
    const dir = join(root, 'throw');
    const model = tinyModel();
    fillWeights(model, 1);
    await saveCheckpoint(model, dir, { state: { epoch: 1 } });
    fillWeights(model, 2);
    await expect(
      saveCheckpoint(model, dir, {
        state: { epoch: 2 },
        onFileWritten: (f) => {
          if (f === 'model.json') throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(root).filter((n) => n.startsWith('throw.'))).toEqual([]);
    const { model: back, state } = await loadCheckpoint(dir);
    expect([state.epoch, firstWeight(back)]).toEqual([1, 1]);
  });

  it('recovers when the crash fell between the two renames', async () => {
    const dir = join(root, 'swap');
    const model = tinyModel();
    fillWeights(model, 5);
    await saveCheckpoint(model, dir, { state: { epoch: 5 } });
    renameSync(dir, `${dir}.old-123-abc`); // moved aside, new one never arrived
    const { model: back, state } = await loadCheckpoint(dir);
    expect([state.epoch, firstWeight(back)]).toEqual([5, 5]);
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    await expect(loadCheckpoint(join(root, 'nothing'))).rejects.toThrow(/no checkpoint/);
  });
});

describe('ModelCheckpoint', () => {
  it('saves best by the monitored metric and last every epoch', async () => {
    const dir = join(root, 'mc');
    const model = tinyModel();
    const mc = new ModelCheckpoint({ dir, monitor: 'val_acc' });
    mc.setModel(model);
    const accs = [0.5, 0.7, 0.6, 0.8, 0.75];
    for (let e = 0; e < accs.length; e++) {
      fillWeights(model, e);
      await mc.onEpochEnd(e, { loss: 1 - (accs[e] as number), val_acc: accs[e] as number });
    }
    expect(mc.saves).toBe(3);
    expect(mc.bestEpoch).toBe(3);
    const best = await loadCheckpoint(mc.bestDir);
    expect(firstWeight(best.model)).toBe(3);
    expect(best.state).toMatchObject({ epoch: 4, best: 0.8, bestEpoch: 3, monitor: 'val_acc' });
    const last = await loadCheckpoint(mc.lastDir);
    expect(firstWeight(last.model)).toBe(4);
    expect(last.state.history?.['val_acc']).toEqual(accs);
  });
});
