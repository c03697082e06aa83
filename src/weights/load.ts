/**
 * `loadWeights`: any supported file into any medinets model, by layer name, with the
 * conversions the frameworks need, a report, and Keras' `by_name` strictness by default.
 * Everything is read, placed, converted and checked before the first weight is written, so
 * an error leaves the model as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { placeWeights, type Candidate, type Candidates } from './candidates';
import { channelsFirstRowsToLast, permute, sumInputChannels } from './convert';
import { WeightsError } from './errors';
import type { RawTensor } from './raw';
import { readWeightsFile, type ReadWeights, type WeightsFormat, type WeightsSource } from './read';

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /**
   * - `true` (default): every weight of the model (under `prefix`) must be in the file with
   *   its shape, else a {@link WeightsError} names the first missing or mismatched one and the
   *   model is left untouched; file tensors the model does not use (torch's
   *   `num_batches_tracked`, a classifier when the model has no top) are only reported, as
   *   Keras' `load_weights(by_name=True)` does.
   * - `false`: load what matches, report the rest (a new head, another class count).
   * - `'all'`: as `true`, and tensors the model does not use are an error too (torch's
   *   `num_batches_tracked` counters excepted: they hold no weights).
   */
  strict?: boolean | 'all';
  /**
   * Prefix of the model's layer names that the file lacks, e.g. `'resnet101/'` to load a
   * plain ResNet101 file into the ResNet trunk of a fusion model. Layers without it are not
   * considered. Default `''`.
   */
  prefix?: string;
}

/** A weight whose shape in the file differs from the model's. */
export interface ShapeMismatch {
  /** The model's weight, `layer/weight`. */
  name: string;
  /** The tensor's name in the file. */
  from: string;
  /** The model's shape. */
  expected: number[];
  /** The file's shape, after layout conversion. */
  got: number[];
}

/** What {@link loadWeights} did. */
export interface LoadWeightsReport {
  /** The file read (`<bytes>` for bytes). */
  file: string;
  /** Detected format. */
  format: WeightsFormat;
  /** Name map used: e.g. `'torchvision/timm resnet'`, `'keras'`, `'keras 2.2 auto-names'`, `'keras 3 names'`. */
  map: string;
  /** Model weights loaded, `layer/weight` (layer names with the prefix). */
  matched: string[];
  /** Model weights the file lacks (left as they were). */
  missing: string[];
  /** File tensors the model does not use, by their name in the file. */
  unexpected: string[];
  /** Weights on both sides with different shapes (left as they were). */
  mismatched: ShapeMismatch[];
}

type LayerWeight = tfl.layers.Layer['weights'][number];

const shortName = (v: LayerWeight): string => v.originalName.slice(v.originalName.lastIndexOf('/') + 1);
const same = (a: readonly number[], b: readonly (number | null)[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Converts a candidate to the layout of `v` of `layer`, or returns it unchanged. */
function convert(c: Candidate, layer: tfl.layers.Layer, v: LayerWeight, placed: Candidates): RawTensor {
  let t = c.raw;
  if (c.layout === 'torch') {
    if (t.shape.length === 4) {
      // OIHW -> HWIO; a depthwise [C, 1, kh, kw] -> [kh, kw, C, 1].
      t = permute(t, layer.getClassName() === 'DepthwiseConv2D' ? [2, 3, 0, 1] : [2, 3, 1, 0]);
    } else if (t.shape.length === 2) {
      t = permute(t, [1, 0]);
      if (placed.vggChannels !== undefined && layer.name.endsWith('fc1')) {
        t = channelsFirstRowsToLast(t, placed.vggChannels);
      }
    }
  }
  const target = v.shape;
  if (t.shape.length === 4 && target.length === 4 && target[2] === 1 && t.shape[2] === 3) {
    const summed = sumInputChannels(t);
    if (same(summed.shape, target)) return summed;
  }
  return t;
}

/**
 * Sets `model`'s weights from tensors already read (see {@link loadWeights}); synchronous.
 * @param model The model to load into.
 * @param read A file's tensors, from `readWeightsFile`.
 * @param options Strictness and prefix.
 * @param fn The public function, for error messages.
 * @param tolerated Model weights (`layer/weight`) that may be missing or mismatched even when
 *   strict (a builder's new head on published weights); reported all the same.
 */
export function assignWeights(
  model: tfl.LayersModel,
  read: ReadWeights,
  options: LoadWeightsOptions = {},
  fn = 'loadWeights',
  tolerated: (name: string) => boolean = () => false,
): LoadWeightsReport {
  const { strict = true, prefix = '' } = options;
  if (strict !== true && strict !== false && strict !== 'all') {
    throw new WeightsError(fn, read.file, `'strict' must be true, false or 'all'; got ${String(strict)}`);
  }
  const layers = model.layers.filter((l) => l.name.startsWith(prefix) && l.weights.length > 0);
  const placed = placeWeights(read, new Set(layers.map((l) => l.name.slice(prefix.length))));
  const report: LoadWeightsReport = {
    file: read.file,
    format: read.format,
    map: placed.map,
    matched: [],
    missing: [],
    unexpected: [...placed.unplaced],
    mismatched: [],
  };
  const used = new Set<string>();
  const writes: [LayerWeight, RawTensor][] = [];
  for (const layer of layers) {
    const ours = layer.name.slice(prefix.length);
    for (const v of layer.weights) {
      const short = shortName(v);
      const c =
        placed.byName.get(`${ours}/${short}`) ??
        (short === 'depthwise_kernel' ? placed.byName.get(`${ours}/kernel`) : undefined);
      const name = `${layer.name}/${short}`;
      if (c === undefined) {
        report.missing.push(name);
        continue;
      }
      used.add(c.from);
      const t = convert(c, layer, v, placed);
      if (!same(t.shape, v.shape)) {
        report.mismatched.push({ name, from: c.from, expected: [...(v.shape as number[])], got: t.shape });
        continue;
      }
      writes.push([v, t]);
      report.matched.push(name);
    }
  }
  for (const c of placed.byName.values()) if (!used.has(c.from)) report.unexpected.push(c.from);
  if (strict !== false) {
    const missing = report.missing.filter((n) => !tolerated(n));
    if (missing.length > 0) {
      throw new WeightsError(
        fn,
        read.file,
        `the file lacks ${missing.length} weight(s) of the model, first '${missing[0]}' ` +
          `(name map '${report.map}'); expected a checkpoint of this architecture, or pass strict: false`,
      );
    }
    const mismatched = report.mismatched.filter((x) => !tolerated(x.name));
    const m = mismatched[0];
    if (m !== undefined) {
      throw new WeightsError(
        fn,
        read.file,
        `'${m.from}' has shape [${m.got}] but the model's '${m.name}' expects [${m.expected}] ` +
          `(${mismatched.length} mismatch(es)); pass strict: false to load only what matches`,
      );
    }
    const extra = report.unexpected.filter((k) => !k.endsWith('num_batches_tracked'));
    if (strict === 'all' && extra.length > 0) {
      throw new WeightsError(
        fn,
        read.file,
        `${extra.length} tensor(s) the model does not use, first '${extra[0]}' (strict: 'all')`,
      );
    }
  }
  for (const [v, t] of writes) {
    // TF.js keeps the array it is given: a view into the file's bytes (readers return aligned
    // float32 as views) is copied, so the model neither aliases nor retains the file.
    const own = t.data.byteLength === t.data.buffer.byteLength ? t.data : t.data.slice();
    const value = tf.tensor(own, t.shape, 'float32');
    v.write(value);
    value.dispose();
  }
  return report;
}

/**
 * Loads a weights file into `model` by layer name and returns what matched.
 *
 * Formats, detected from the content: PyTorch checkpoints as `torch.save` writes them (zip or
 * legacy pickle; a bare `state_dict`, `{state_dict}` or `{model}`; fp32/fp16/bf16), safetensors,
 * Keras HDF5 (`save_weights`, `model.save`, the keras.applications files) and the TF.js layers
 * format (`model.json` + shards, quantised or not). PyTorch names from torchvision and timm
 * (ResNet, DenseNet, VGG, Inception-v3) map to medinets' Keras-style names; Keras 2.2 auto-names
 * (`conv2d_1`, ...) map to the model's. Layouts are converted (OIHW -> HWIO, `[out, in]` ->
 * `[in, out]`, torchvision VGG's channel-first flatten), and an RGB stem is summed for a
 * 1-channel model.
 *
 * @example
 * ```ts
 * const model = ResNet50({ variant: 'torchvision', classes: 1000, classifierActivation: 'linear' });
 * const report = await loadWeights(model, 'resnet50-0676ba61.pth');
 * ```
 * @param model The model to load into; unchanged if an error is thrown.
 * @param source A file path, a directory (holding `model.json` or one weights file), a
 *   `file://` or http(s) URL, or the file's bytes.
 * @param options Strictness (default: the model's weights must all be there) and prefix.
 * @returns The report: matched, missing, unexpected and mismatched tensors.
 */
export async function loadWeights(
  model: tfl.LayersModel,
  source: WeightsSource,
  options: LoadWeightsOptions = {},
): Promise<LoadWeightsReport> {
  const read = await readWeightsFile(source, 'loadWeights');
  return assignWeights(model, read, options, 'loadWeights');
}
