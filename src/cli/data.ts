/**
 * The dataset layouts `medinets train --layout` understands, read into memory-resident
 * train / validation / test splits through the library's layout readers (src/data).
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { classFolderDataset, covidCtDataset, csvDataset, ctSeriesDataset, type FileDataset } from '../data';
import { UsageError } from './args';

/** Folder layouts, as `--layout` names them. */
export const LAYOUTS = ['covid-ct', 'kermany', 'series', 'csv', 'folders'] as const;

/** One of {@link LAYOUTS}. */
export type Layout = (typeof LAYOUTS)[number];

/** What each layout expects, for `--help`. */
export const LAYOUT_HELP: Record<Layout, string> = {
  'covid-ct': 'CT_COVID/ and CT_NonCOVID/ (+ Data-split/ lists if present, else 60/15/25)',
  kermany: '{train,test}/{NORMAL,PNEUMONIA}/ (validation: 10% of train)',
  series: '<class>/<series>/<slices> (split 70/15/15 by series)',
  csv: 'a CSV file (or DIR/labels.csv) of path,label rows (split 70/15/15)',
  folders: '<class>/<images> (split 70/15/15)',
};

/** In-memory images `[n, size, size, channels]` in [0, 1] and their integer labels. */
export interface Split {
  /** Images, NHWC. */
  x: tf.Tensor4D;
  /** Labels, indices into the class names. */
  labels: Int32Array;
  /** Source file of every image. */
  paths: string[];
}

/** The three parts of a dataset and its class names. */
export interface Splits {
  /** Training part. */
  train: FileDataset;
  /** Validation part (selects the best checkpoint). */
  val: FileDataset;
  /** Held-out part `evaluate` reports on. */
  test: FileDataset;
  /** Class names in label order. */
  classNames: string[];
}

const SPLIT: [number, number, number] = [0.7, 0.15, 0.15];

/** Open `dir` in `layout` and split it with `seed` (the same seed gives the same parts). */
export async function openSplits(layout: Layout, dir: string, seed: number): Promise<Splits> {
  if (!existsSync(dir)) throw new UsageError(`medinets: --data ${dir} does not exist`);
  const named = (
    ds: FileDataset,
    parts: { train: FileDataset; val: FileDataset; test: FileDataset },
  ): Splits => ({
    ...parts,
    classNames: [...ds.classNames],
  });
  switch (layout) {
    case 'covid-ct': {
      const all = await covidCtDataset(dir);
      try {
        return named(all, {
          train: await covidCtDataset(dir, { split: 'train' }),
          val: await covidCtDataset(dir, { split: 'val' }),
          test: await covidCtDataset(dir, { split: 'test' }),
        });
      } catch {
        return named(all, all.split([0.6, 0.15, 0.25], seed));
      }
    }
    case 'kermany': {
      const root = existsSync(join(dir, 'train')) ? dir : join(dir, 'chest_xray');
      const opts = { classes: ['NORMAL', 'PNEUMONIA'], extensions: ['.jpeg', '.jpg', '.png', '.dcm'] };
      const train = await classFolderDataset(root, { ...opts, split: 'train' });
      const parts = train.split({ train: 0.9, val: 0.1 }, seed);
      return named(train, {
        train: parts.train,
        val: parts.val,
        test: await classFolderDataset(root, { ...opts, split: 'test' }),
      });
    }
    case 'series': {
      const ds = await ctSeriesDataset(dir);
      return named(ds, ds.split(SPLIT, seed));
    }
    case 'csv': {
      const file = statSync(dir).isDirectory() ? join(dir, 'labels.csv') : dir;
      const ds = await csvDataset(file);
      return named(ds, ds.split(SPLIT, seed));
    }
    case 'folders': {
      const ds = await classFolderDataset(dir);
      return named(ds, ds.split(SPLIT, seed));
    }
  }
}

/** Read every image of `ds` (in order) at `size` x `size` with `channels` channels, in [0, 1]. */
export async function loadSplit(ds: FileDataset, size: number, channels: 1 | 3): Promise<Split> {
  const xs: tf.Tensor4D[] = [];
  const labels: number[] = [];
  for await (const b of ds.batches({ size, channels, batchSize: 64, shuffle: false })) {
    xs.push(b.xs);
    labels.push(...b.items.map((i) => i.label));
    b.ys.dispose();
  }
  if (xs.length === 0) {
    return { x: tf.zeros([0, size, size, channels]) as tf.Tensor4D, labels: new Int32Array(0), paths: [] };
  }
  const x = xs.length === 1 ? (xs[0] as tf.Tensor4D) : (tf.concat(xs, 0) as tf.Tensor4D);
  if (xs.length > 1) tf.dispose(xs);
  return { x, labels: Int32Array.from(labels), paths: ds.items.map((i) => i.path) };
}
