import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { readFileBytes } from '../util/files';
import { Rng } from '../util/random';
import { batchIndices } from './batching';
import { decodeDicomNamed } from './dicom';
import { convertChannels, decodeImage } from './image';
import { type SplitFractions, type SplitIndices, stratifiedSplit } from './splits';

/** One sample of a file-backed dataset: where it is and what it is. Pixels are read lazily. */
export interface DatasetItem {
  /** Absolute (or caller-relative) file path. */
  path: string;
  /** Class index into the dataset's `classNames`. */
  label: number;
  /** Series (scan) this slice belongs to, for series-level splits and score aggregation. */
  seriesId?: string;
}

/** Options of {@link FileDataset.batches}. */
export interface StreamOptions {
  /** Output height and width (bilinear resize); a number means square. Default: no resize (all files must agree). */
  size?: number | [number, number];
  /** Output channels (1 gray, 3 RGB). Default 1. */
  channels?: 1 | 3;
  /** 'unit' divides 8/16-bit images by their maximum; 'none' keeps stored values (HU for DICOM). Default 'unit'. */
  scale?: 'unit' | 'none';
  /** Samples per batch. Default 32. */
  batchSize?: number;
  /** Shuffle the order (deterministically from `seed` and `epoch`). Default true. */
  shuffle?: boolean;
  /** Shuffle seed. Default 0. */
  seed?: number;
  /** Epoch number, mixed into the seed so each epoch has its own order. Default 0. */
  epoch?: number;
  /** Drop a last, smaller batch. Default false. */
  dropRemainder?: boolean;
  /** Batches read ahead while the current one is in use. Default 1. */
  prefetch?: number;
}

/** A batch streamed from files; the caller disposes `xs` and `ys`. */
export interface StreamBatch {
  /** `[b, height, width, channels]` float32. */
  xs: tf.Tensor4D;
  /** `[b]` int32 class indices. */
  ys: tf.Tensor1D;
  /** The samples in this batch. */
  items: DatasetItem[];
}

/** Read one file (PNG, JPEG or DICOM) into `[h, w, channels]` float32 values. */
async function loadPixels(path: string, channels: 1 | 3, scale: 'unit' | 'none'): Promise<tf.Tensor3D> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(path, 'FileDataset');
  } catch (e) {
    throw new Error(`dataset: cannot read ${path} (${(e as Error).message})`);
  }
  if (
    /\.(dcm|dicom)$/i.test(path) ||
    (bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d)
  ) {
    const d = await decodeDicomNamed('FileDataset.batches', bytes, path, {});
    const n = d.rows * d.columns;
    const gray = new Float32Array(n);
    // First frame; colour DICOM averaged to gray.
    for (let p = 0; p < n; p++) {
      let s = 0;
      for (let c = 0; c < d.samplesPerPixel; c++) s += d.pixels[p * d.samplesPerPixel + c] as number;
      gray[p] = s / d.samplesPerPixel;
    }
    const t = tf.tensor3d(gray, [d.rows, d.columns, 1]);
    if (channels === 1) return t;
    const out = tf.tile(t, [1, 1, 3]) as tf.Tensor3D;
    t.dispose();
    return out;
  }
  const img = convertChannels(decodeImage(bytes, path), channels);
  const k = scale === 'unit' ? 1 / (img.bitDepth === 16 ? 65535 : 255) : 1;
  const f = new Float32Array(img.data.length);
  for (let i = 0; i < f.length; i++) f[i] = (img.data[i] as number) * k;
  return tf.tensor3d(f, [img.height, img.width, channels]);
}

/** The parts of a {@link FileDataset.split}. */
export interface DatasetSplit {
  /** Training part. */
  train: FileDataset;
  /** Validation part (empty without a validation fraction). */
  val: FileDataset;
  /** Test part. */
  test: FileDataset;
}

/**
 * A labelled set of image files (PNG, JPEG, DICOM) streamed in batches: only the index
 * (paths and labels) is in memory; pixels are read, decoded, resized and stacked one batch
 * at a time, with the next batch read ahead. Built by the layout readers
 * ({@link classFolderDataset}, {@link covidCtDataset}, {@link ctSeriesDataset}, {@link csvDataset}).
 */
export class FileDataset {
  /**
   * @param items the samples.
   * @param classNames class names; `label` indexes into them.
   * @param source where the dataset came from, for messages.
   */
  constructor(
    readonly items: readonly DatasetItem[],
    readonly classNames: readonly string[],
    readonly source: string,
  ) {}

  /** Number of samples. */
  get size(): number {
    return this.items.length;
  }

  /** Labels of all samples, in order. */
  get labels(): number[] {
    return this.items.map((i) => i.label);
  }

  /** Samples per class. */
  counts(): number[] {
    const c = new Array<number>(this.classNames.length).fill(0);
    for (const it of this.items) c[it.label] = (c[it.label] as number) + 1;
    return c;
  }

  /** The samples at `indices`, as a new dataset. */
  subset(indices: readonly number[]): FileDataset {
    return new FileDataset(
      indices.map((i) => this.items[i] as DatasetItem),
      this.classNames,
      this.source,
    );
  }

  /**
   * Stratified train/val/test split (see {@link stratifiedSplit}). When the samples carry
   * `seriesId`s the split is made over series (each labelled by its slices' class), so no
   * scan leaks across parts.
   */
  split(fractions: SplitFractions, seed = 0): DatasetSplit {
    let parts: SplitIndices;
    if (this.items.some((i) => i.seriesId !== undefined)) {
      const series = new Map<string, number[]>();
      this.items.forEach((it, k) => {
        const id = it.seriesId ?? `#${k}`;
        const list = series.get(id);
        if (list) list.push(k);
        else series.set(id, [k]);
      });
      const ids = [...series.keys()];
      const sp = stratifiedSplit(
        ids.map((id) => (this.items[(series.get(id) as number[])[0] as number] as DatasetItem).label),
        { fractions, seed },
      );
      const expand = (idx: number[]): number[] =>
        idx.flatMap((s) => series.get(ids[s] as string) as number[]);
      parts = { train: expand(sp.train), val: expand(sp.val), test: expand(sp.test) };
    } else parts = stratifiedSplit(this.labels, { fractions, seed });
    return { train: this.subset(parts.train), val: this.subset(parts.val), test: this.subset(parts.test) };
  }

  /** Number of batches {@link batches} yields with these options. */
  batchCount(options: Pick<StreamOptions, 'batchSize' | 'dropRemainder'> = {}): number {
    const b = options.batchSize ?? 32;
    return options.dropRemainder ? Math.floor(this.size / b) : Math.ceil(this.size / b);
  }

  /**
   * Stream one epoch of batches. Each batch's files are read and decoded while the previous
   * batch is being used (`prefetch` batches ahead).
   */
  async *batches(options: StreamOptions = {}): AsyncGenerator<StreamBatch> {
    const {
      channels = 1,
      scale = 'unit',
      batchSize = 32,
      shuffle = true,
      seed = 0,
      epoch = 0,
      dropRemainder = false,
      prefetch = 1,
    } = options;
    checkOneOf(scale, ['unit', 'none'], 'scale', 'FileDataset.batches');
    checkPositiveInt(batchSize, 'batchSize', 'FileDataset.batches');
    if (channels !== 1 && channels !== 3)
      throw new Error(`FileDataset.batches: 'channels' must be 1 or 3; got ${channels}`);
    const size: [number, number] | null =
      options.size === undefined
        ? null
        : typeof options.size === 'number'
          ? [options.size, options.size]
          : options.size;
    const order = batchIndices(
      this.size,
      { batchSize, shuffle, dropRemainder },
      new Rng(seed * 1000003 + epoch),
    );
    const load = async (idx: number[]): Promise<StreamBatch> => {
      const items = idx.map((i) => this.items[i] as DatasetItem);
      const settled = await Promise.allSettled(items.map((it) => loadPixels(it.path, channels, scale)));
      const pix = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      let xs: tf.Tensor4D;
      try {
        if (failed) throw failed.reason;
        xs = tf.tidy(() => {
          const first = pix[0] as tf.Tensor3D;
          const resized = pix.map((p, k) => {
            if (size) return tf.image.resizeBilinear(p, size, false, true);
            if (p.shape[0] !== first.shape[0] || p.shape[1] !== first.shape[1]) {
              throw new Error(
                `FileDataset.batches: ${items[k]?.path} is ${p.shape[0]}x${p.shape[1]} but ${items[0]?.path} is ${first.shape[0]}x${first.shape[1]}; pass 'size' to resize`,
              );
            }
            return p;
          });
          return tf.stack(resized) as tf.Tensor4D;
        });
      } finally {
        tf.dispose(pix);
      }
      return {
        xs,
        ys: tf.tensor1d(
          items.map((i) => i.label),
          'int32',
        ),
        items,
      };
    };
    const queue: Array<Promise<StreamBatch>> = [];
    let next = 0;
    const fill = (): void => {
      while (queue.length <= Math.max(0, prefetch) && next < order.length) {
        const p = load(order[next++] as number[]);
        // A rejected read-ahead is surfaced when its turn comes, not as an unhandled rejection.
        p.catch(() => undefined);
        queue.push(p);
      }
    };
    try {
      fill();
      while (queue.length) {
        const batch = await (queue.shift() as Promise<StreamBatch>);
        fill();
        yield batch;
      }
    } finally {
      // Dispose batches read ahead but never handed out (early break or error).
      for (const p of queue) p.then((b) => tf.dispose([b.xs, b.ys])).catch(() => undefined);
    }
  }
}
