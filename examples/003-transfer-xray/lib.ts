/**
 * Reading a class-per-folder chest X-ray tree (Kermany et al. 2018, "Chest X-Ray Images
 * (Pneumonia)": `train/NORMAL`, `train/PNEUMONIA`, `test/...`) into the in-memory splits the
 * example trains on. Local to 003; a candidate for `examples/common/datasets.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { classFolderDataset, stratifiedSplit, type FileDataset } from '../../src/data';
import { disposeSplit, subset, type Split } from '../common/classify';

const CLASSES = ['NORMAL', 'PNEUMONIA'];

/** Every image of `ds`, resized to `size` x `size`, gray, scaled to [0, 1]. */
async function readAll(ds: FileDataset, size: number): Promise<Split> {
  const xs: tf.Tensor4D[] = [];
  const labels: number[] = [];
  for await (const b of ds.batches({ size, channels: 1, scale: 'unit', batchSize: 64, shuffle: false })) {
    xs.push(b.xs);
    labels.push(...b.ys.dataSync());
    b.ys.dispose();
  }
  const x = xs.length === 1 ? (xs[0] as tf.Tensor4D) : (tf.concat(xs, 0) as tf.Tensor4D);
  if (xs.length > 1) tf.dispose(xs);
  return { x, labels: Int32Array.from(labels) };
}

/**
 * `dir/train` (85% train, 15% validation, stratified: the published `val` folder holds only
 * 16 images) and `dir/test`, classes NORMAL = 0, PNEUMONIA = 1.
 */
export async function loadKermanyFolders(
  dir: string,
  size: number,
  seed: number,
): Promise<{ train: Split; val: Split; test: Split }> {
  const trainDs = await classFolderDataset(dir, { split: 'train', classes: CLASSES });
  const testDs = await classFolderDataset(dir, { split: 'test', classes: CLASSES });
  const all = await readAll(trainDs, size);
  const sp = stratifiedSplit(all.labels, { fractions: [0.85, 0.15], seed });
  const train = subset(all, sp.train);
  const val = subset(all, sp.val.length ? sp.val : sp.test);
  disposeSplit(all);
  return { train, val, test: await readAll(testDs, size) };
}
