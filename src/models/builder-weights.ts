/**
 * A builder's `weights` option, through the one loader of every format (`loadWeights`):
 * `'imagenet'` (the publisher's file for this builder and variant, downloaded once into the
 * cache), a path, URL or bytes (any format the loader reads), or tensors keyed `layer/weight`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { makeRng } from '../util/random';
import { cachedWeights } from '../weights/cache';
import { imagenetWeights } from '../weights/imagenet';
import { assignWeights, type LoadWeightsReport } from '../weights/load';
import type { RawWeights } from '../weights/raw';
import { readWeightsFile, type ReadWeights, type WeightsSource } from '../weights/read';

/**
 * Which published ImageNet file a builder's trunk takes, for `weights: 'imagenet'`: the
 * table's builder name (`'ResNet50'`, `'VGG16BN'`), the ecosystem, and the prefix of the
 * trunk's layer names (a fusion model's trunks); `alpha` and `rows` select MobileNetV2's file.
 */
export interface PublishedTrunk {
  /** The builder's name in the ImageNet table. */
  builder: string;
  /** The ecosystem whose file it is. Default `'keras'`. */
  variant?: 'keras' | 'torchvision';
  /** Prefix of the trunk's layer names. Default `''`: the whole model. */
  prefix?: string;
  /** MobileNetV2's width multiplier. */
  alpha?: number;
}

/** What {@link applyWeights} needs to know of the builder. */
export interface ApplyWeightsContext {
  /** The builder, for errors. */
  fn: string;
  /** Its options' `includeTop` (default `true`) and `classes` after defaults. */
  includeTop: boolean;
  /** Classes of the top. */
  classes: number;
  /** Input height, for MobileNetV2's file. */
  rows: number;
  /** The trunks `'imagenet'` loads; empty when the builder has no published weights. */
  published: readonly PublishedTrunk[];
  /** Re-initialise the kernels the weights did not cover (the model was built with zeros). */
  reinitMissing: boolean;
  /** Seed of that re-initialisation. */
  seed: number | undefined;
}

/** A builder's `weights` option. */
export type BuilderWeights = 'imagenet' | WeightsSource | tf.NamedTensorMap;

const reports = new WeakMap<tfl.LayersModel, LoadWeightsReport>();

/**
 * The report of the weights a builder loaded through its `weights` option (see
 * `loadWeights`), or `undefined` when it was built without weights.
 * @param model A model returned by a builder.
 */
export function loadedWeightsReport(model: tfl.LayersModel): LoadWeightsReport | undefined {
  return reports.get(model);
}

/** Records `report` as the builder's load of `model` (the deprecated loaders report too). */
export function recordReport(model: tfl.LayersModel, report: LoadWeightsReport): void {
  reports.set(model, report);
}

/** Tensors keyed `layer/weight` as the loader's input, in TF.js (Keras) layout. */
export function tensorsAsRead(weights: tf.NamedTensorMap, file = '<tensors>'): ReadWeights {
  const raw: RawWeights = new Map();
  for (const [name, t] of Object.entries(weights)) {
    raw.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync()) });
  }
  return { format: 'tfjs-layers', file, weights: raw, layers: [] };
}

function reinit(model: tfl.LayersModel, report: LoadWeightsReport, seed: number | undefined): void {
  const left = new Set([...report.missing, ...report.mismatched.map((m) => m.name)]);
  const rng = makeRng(seed);
  for (const layer of model.layers) {
    for (const v of layer.weights) {
      const short = v.originalName.slice(v.originalName.lastIndexOf('/') + 1);
      if (!/kernel$/.test(short) || !left.has(`${layer.name}/${short}`)) continue;
      const value = tfl.initializers.glorotUniform({ seed: rng.int(2 ** 31 - 1) }).apply(v.shape as number[]);
      v.write(value);
      value.dispose();
    }
  }
}

// A file given to a builder loads what fits (a new head, another class count) and the rest
// gets a random start; a file of which nothing fits is a mistake, not a partial load.
function finishFile(
  model: tfl.LayersModel,
  report: LoadWeightsReport,
  ctx: ApplyWeightsContext,
): tfl.LayersModel {
  if (report.matched.length === 0) {
    throw new Error(
      `${ctx.fn}: 'weights' (${report.file}): no weight of the file fits the model (name map ` +
        `'${report.map}', ${report.unexpected.length} unused tensors); expected weights of this architecture`,
    );
  }
  reports.set(model, report);
  if (ctx.reinitMissing) reinit(model, report, ctx.seed);
  return model;
}

async function loadImagenet(model: tfl.LayersModel, ctx: ApplyWeightsContext): Promise<tfl.LayersModel> {
  const { fn } = ctx;
  if (ctx.published.length === 0) {
    throw new Error(`${fn}: weights: 'imagenet' is not published for this builder; give a file path instead`);
  }
  const whole = ctx.published.length === 1 && (ctx.published[0].prefix ?? '') === '';
  // The published top has 1000 classes. Keras refuses another count; loading by name, the
  // trunk loads all the same and the new head starts at random, which is what fine-tuning
  // on a medical task wants (the report lists the head as missing or mismatched).
  const publishedTop = whole && ctx.includeTop && ctx.classes === 1000;
  const newHead = whole && ctx.includeTop && ctx.classes !== 1000;
  const reports: LoadWeightsReport[] = [];
  for (const t of ctx.published) {
    const variant = t.variant ?? 'keras';
    const entry = imagenetWeights(t.builder, {
      variant,
      includeTop: publishedTop,
      alpha: t.alpha,
      rows: ctx.rows,
    });
    if (entry === undefined) {
      throw new Error(
        `${fn}: weights: 'imagenet' has no published ${variant} file for ${t.builder}` +
          (t.alpha === undefined ? '' : ` with alpha ${t.alpha}`),
      );
    }
    const path = await cachedWeights(entry, {}, fn);
    const read = await readWeightsFile(path, fn);
    const prefix = t.prefix ?? '';
    reports.push(
      assignWeights(
        model,
        read,
        { strict: true, prefix },
        fn,
        (name) => newHead && name.startsWith('predictions/'),
      ),
    );
  }
  const report = reports.length === 1 ? reports[0] : mergeReports(reports);
  recordReport(model, report);
  if (ctx.reinitMissing && !publishedTop) reinit(model, missingOutside(model, report), ctx.seed);
  return model;
}

// Several trunks' loads as one report.
function mergeReports(rs: LoadWeightsReport[]): LoadWeightsReport {
  return {
    file: rs.map((r) => r.file).join(', '),
    format: rs[0].format,
    map: rs.map((r) => r.map).join(', '),
    matched: rs.flatMap((r) => r.matched),
    missing: rs.flatMap((r) => r.missing),
    unexpected: rs.flatMap((r) => r.unexpected),
    mismatched: rs.flatMap((r) => r.mismatched),
  };
}

// The weights outside the loaded trunks (a new head): the ones to re-initialise.
function missingOutside(model: tfl.LayersModel, report: LoadWeightsReport): LoadWeightsReport {
  const loaded = new Set(report.matched);
  const missing: string[] = [];
  for (const layer of model.layers) {
    for (const v of layer.weights) {
      const name = `${layer.name}/${v.originalName.slice(v.originalName.lastIndexOf('/') + 1)}`;
      if (!loaded.has(name)) missing.push(name);
    }
  }
  return { ...report, missing, mismatched: [] };
}

/**
 * Applies a builder's `weights` option to the model it built: nothing, tensors
 * (synchronously), or `'imagenet'` / a path / a URL / bytes (a Promise of the model).
 * @param model The model just built.
 * @param weights The option's value.
 * @param ctx What the builder knows: its name, top, input size and published trunks.
 */
export function applyWeights(
  model: tfl.LayersModel,
  weights: BuilderWeights | undefined,
  ctx: ApplyWeightsContext,
): tfl.LayersModel | Promise<tfl.LayersModel> {
  if (weights === undefined) return model;
  if (weights === 'imagenet') return loadImagenet(model, ctx);
  if (typeof weights === 'string' || weights instanceof Uint8Array || weights instanceof ArrayBuffer) {
    return readWeightsFile(weights, ctx.fn).then((read) =>
      finishFile(model, assignWeights(model, read, { strict: false }, ctx.fn), ctx),
    );
  }
  if (typeof weights !== 'object' || weights === null) {
    throw new Error(
      `${ctx.fn}: 'weights' must be 'imagenet', a path, a URL, bytes or tensors keyed 'layer/weight'; got ${String(weights)}`,
    );
  }
  return finishFile(model, assignWeights(model, tensorsAsRead(weights), { strict: false }, ctx.fn), ctx);
}
