/**
 * Loading the documents' real datasets for `--data` into memory-resident splits, through the
 * library's layout readers (src/data). Layouts are documented in each example's README.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { classFolderDataset, covidCtDataset, ctSeriesDataset, type FileDataset } from 'medinets/data';
import type { Split } from './classify';

/** Read every image of a dataset (in order), resized to `size` x `size`, 1 (or 3) channels, [0, 1]. */
export async function loadAll(ds: FileDataset, size: number, channels: 1 | 3 = 1): Promise<Split> {
  const xs: tf.Tensor4D[] = [];
  const labels: number[] = [];
  for await (const b of ds.batches({ size, channels, batchSize: 64, shuffle: false })) {
    xs.push(b.xs);
    labels.push(...b.items.map((i) => i.label));
    b.ys.dispose();
  }
  const x = xs.length === 1 ? (xs[0] as tf.Tensor4D) : (tf.concat(xs, 0) as tf.Tensor4D);
  if (xs.length > 1) tf.dispose(xs);
  return { x, labels: Int32Array.from(labels) };
}

/**
 * COVID-CT (UCSD-AI4H; 349 COVID / 397 non-COVID images): the published train/val/test lists
 * when `Data-split/` is present, else a stratified 60/15/25 split. Label 1 = COVID.
 */
export async function loadCovidCt(
  dir: string,
  size: number,
  seed: number,
): Promise<{ train: Split; val: Split; test: Split }> {
  let parts: { train: FileDataset; val: FileDataset; test: FileDataset };
  try {
    parts = {
      train: await covidCtDataset(dir, { split: 'train' }),
      val: await covidCtDataset(dir, { split: 'val' }),
      test: await covidCtDataset(dir, { split: 'test' }),
    };
  } catch {
    parts = (await covidCtDataset(dir)).split([0.6, 0.15, 0.25], seed);
  }
  return {
    train: await loadAll(parts.train, size),
    val: await loadAll(parts.val, size),
    test: await loadAll(parts.test, size),
  };
}

/** A split of CT slices that remembers each slice's series, for series-level scores. */
export interface SeriesSplit extends Split {
  seriesOfSlice: string[];
}

/**
 * MIA-COV19D-style series folders (`root/<class>/<series>/<slices>`), split 75/25 by series
 * (stratified), RGB pixels in [0, 255] (the fusion model preprocesses them each backbone's
 * way, as document 000's Keras backbones expect). With MIA-COV19D's folder
 * names `covid` / `non-covid`, label 1 = COVID; otherwise the class folders in sorted order.
 */
export async function loadSeriesFolders(
  dir: string,
  size: number,
  seed: number,
): Promise<{ train: SeriesSplit; val: SeriesSplit }> {
  const mia = existsSync(join(dir, 'covid')) && existsSync(join(dir, 'non-covid'));
  const ds = await ctSeriesDataset(dir, mia ? { classes: ['non-covid', 'covid'] } : {});
  const parts = ds.split([0.75, 0.25], seed);
  const load = async (ds: FileDataset): Promise<SeriesSplit> => {
    const s = await loadAll(ds, size, 3);
    const x = tf.tidy(() => tf.mul(s.x, 255) as tf.Tensor4D);
    s.x.dispose();
    return { x, labels: s.labels, seriesOfSlice: ds.items.map((i) => i.seriesId ?? i.path) };
  };
  const val = parts.val.size ? parts.val : parts.test;
  return { train: await load(parts.train), val: await load(val) };
}

/**
 * Kermany et al.'s chest_xray tree (`{train,test}/{NORMAL,PNEUMONIA}/*.jpeg`; `dir` may be
 * the folder holding `train` or its parent). The published `val` folder has only 16 images,
 * so validation is a stratified `valFraction` of `train`; `test` gives the metrics.
 * Labels: NORMAL = 0, PNEUMONIA = 1.
 */
export async function loadKermany(
  dir: string,
  size: number,
  seed: number,
  valFraction = 0.1,
  channels: 1 | 3 = 1,
): Promise<{ train: Split; val: Split; test: Split }> {
  const root = existsSync(join(dir, 'train')) ? dir : join(dir, 'chest_xray');
  const opts = { classes: ['NORMAL', 'PNEUMONIA'], extensions: ['.jpeg', '.jpg', '.png'] };
  const parts = (await classFolderDataset(root, { ...opts, split: 'train' })).split(
    { train: 1 - valFraction, val: valFraction },
    seed,
  );
  const test = await classFolderDataset(root, { ...opts, split: 'test' });
  return {
    train: await loadAll(parts.train, size, channels),
    val: await loadAll(parts.val, size, channels),
    test: await loadAll(test, size, channels),
  };
}
