/**
 * `--data` loader of example 004: Kermany et al.'s chest_xray tree
 * (`chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg`), read with the library's
 * class-per-folder dataset and held in memory at one size (gray, [0, 1]).
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { classFolderDataset, type FileDataset } from '../../src/data';
import type { Split } from '../common/classify';

const CLASSES = ['NORMAL', 'PNEUMONIA'];

/** Decode every image of `ds` at `size`x`size`x1 into one tensor, in dataset order. */
async function materialize(ds: FileDataset, size: number): Promise<Split> {
  const parts: tf.Tensor4D[] = [];
  const labels: number[] = [];
  for await (const b of ds.batches({ size, channels: 1, batchSize: 64, shuffle: false, prefetch: 2 })) {
    parts.push(b.xs);
    labels.push(...b.items.map((i) => i.label));
    b.ys.dispose();
    process.stderr.write(`\rreading ${ds.source}: ${labels.length}/${ds.size}`);
  }
  process.stderr.write('\n');
  const x = parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts, 0);
  if (parts.length > 1) tf.dispose(parts);
  return { x, labels: Int32Array.from(labels) };
}

/**
 * Train / validation / test splits of chest_xray at `dir` (the folder holding `train` and
 * `test`, or its parent `chest_xray`). The published `val` folder has only 16 images, so the
 * validation part is a stratified 10% of `train`; `test` (624 images) gives the metrics.
 */
export async function loadChestXray(
  dir: string,
  size: number,
  seed: number,
): Promise<{ train: Split; val: Split; test: Split }> {
  const root = existsSync(join(dir, 'train')) ? dir : join(dir, 'chest_xray');
  const trainAll = await classFolderDataset(root, {
    split: 'train',
    classes: CLASSES,
    extensions: ['.jpeg', '.jpg', '.png'],
  });
  const test = await classFolderDataset(root, {
    split: 'test',
    classes: CLASSES,
    extensions: ['.jpeg', '.jpg', '.png'],
  });
  const parts = trainAll.split({ train: 0.9, val: 0.1 }, seed);
  return {
    train: await materialize(parts.train, size),
    val: await materialize(parts.val, size),
    test: await materialize(test, size),
  };
}
