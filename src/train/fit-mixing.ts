import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt, checkRange, checkSameBatch } from '../util/checks';
import { makeRng } from '../util/random';

/**
 * A batch mixer: takes a batch of images `[batch, height, width, channels]` and one-hot
 * labels `[batch, classes]`, returns mixed images and soft labels of the same shapes.
 * Any function of this shape works, e.g. `(x, y, seed) => mixup(x, y, { alpha: 0.4, seed })`
 * or `cutmix`; extra fields of the result (lambda, index...) are ignored. The returned
 * tensors are disposed after the step (unless they are the inputs themselves).
 */
export type BatchMixer = (x: tf.Tensor, y: tf.Tensor, seed: number) => MixedBatch;

/** A mixed batch, as a mixer returns it. */
export interface MixedBatch {
  /** Mixed images `[batch, height, width, channels]`. */
  x: tf.Tensor;
  /** Mixed (soft) labels `[batch, classes]`. */
  y: tf.Tensor;
}

/**
 * An object that mixes batches with its own seeded state, such as `augment`'s `Mixer`
 * (timm-style mixup / CutMix switch): `apply(x, y)` returns mixed `{ x, y }`.
 */
export interface MixerLike {
  /** Mix one batch `[batch, height, width, channels]` with its labels `[batch, classes]`. */
  apply(x: tf.Tensor4D, y: tf.Tensor): MixedBatch;
}

/** Options of {@link fitWithMixing}. */
export interface FitWithMixingOptions {
  /** Batch mixer (mixup, CutMix...): a {@link BatchMixer} function or a {@link MixerLike} object. Without one this is a plain seeded training loop. */
  mixer?: BatchMixer | MixerLike;
  /** Probability that a batch is mixed (timm's `mixup_prob`). Default 1. */
  mixProbability?: number;
  /** Last epoch (exclusive), as `model.fit`. Default 1. */
  epochs?: number;
  /** First epoch, for resumed runs. Default 0. */
  initialEpoch?: number;
  /** Batch size. Default 32. */
  batchSize?: number;
  /** Shuffle the samples every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling and of the mixer seeds. Default 0. */
  seed?: number;
  /** Held-out `[x, y]` evaluated (unmixed) after every epoch into `val_*` logs. */
  validationData?: [tf.Tensor, tf.Tensor];
  /** tfjs-layers callbacks (EarlyStopping, ModelCheckpoint, ProgressBar...). */
  callbacks?: tfl.Callback[];
}

/** What {@link fitWithMixing} returns: per-epoch logs, as `History.history`. */
export interface MixingHistory {
  /** Epoch indices run. */
  epoch: number[];
  /** One array per log key (`loss`, `acc`, `val_loss`...). */
  history: Record<string, number[]>;
}

/**
 * Train a compiled model with batch mixing as thesis 001 does: each batch is mixed
 * (`x = lam x_i + (1 - lam) x_j`, `y = lam y_i + (1 - lam) y_j` for mixup; a pasted box for
 * CutMix) and the compiled loss is taken against the mixed labels — for cross-entropy
 * identical to 001's `lam L(y_a) + (1 - lam) L(y_b)`. Compile with a loss that accepts soft
 * labels (categorical or binary cross-entropy, {@link labelSmoothedCrossEntropy}), not a sparse one.
 * Drives tfjs-layers callbacks like `model.fit` (stopTraining, params, epoch/batch hooks).
 * `x`: `[samples, height, width, channels]`; `y`: `[samples, classes]`.
 */
export async function fitWithMixing(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  opts: FitWithMixingOptions = {},
): Promise<MixingHistory> {
  const fn = 'fitWithMixing';
  const {
    mixer,
    mixProbability = 1,
    epochs = 1,
    initialEpoch = 0,
    batchSize = 32,
    shuffle = true,
    seed = 0,
    validationData,
    callbacks = [],
  } = opts;
  checkSameBatch(x, y, 'x', 'y', fn);
  checkPositiveInt(batchSize, 'batchSize', fn);
  checkPositiveInt(epochs, 'epochs', fn);
  checkRange(mixProbability, 'mixProbability', fn, { lo: 0, hi: 1 });
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0)
    throw new Error(`${fn}: 'initialEpoch' must be a non-negative integer`);
  if (!model.optimizer) throw new Error(`${fn}: 'model' must be compiled first`);
  if (validationData)
    checkSameBatch(validationData[0], validationData[1], 'validationData[0]', 'validationData[1]', fn);

  const n = x.shape[0] as number;
  const steps = Math.ceil(n / batchSize);
  const rng = makeRng(seed);
  const names = model.metricsNames;
  const list = new tfl.CallbackList(callbacks);
  list.setModel(model);
  list.setParams({
    epochs,
    initialEpoch,
    samples: n,
    steps,
    batchSize,
    verbose: 0,
    doValidation: !!validationData,
    metrics: names,
  });
  const out: MixingHistory = { epoch: [], history: {} };
  model.stopTraining = false;
  await list.onTrainBegin();
  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    await list.onEpochBegin(epoch);
    const order = Array.from({ length: n }, (_, i) => i);
    if (shuffle) rng.shuffle(order);
    const sums: number[] = names.map(() => 0);
    let seen = 0;
    for (let b = 0; b < steps; b++) {
      const idx = order.slice(b * batchSize, (b + 1) * batchSize);
      await list.onBatchBegin(b, { batch: b, size: idx.length });
      const it = tf.tensor1d(idx, 'int32');
      const bx = tf.gather(x, it);
      const by = tf.gather(y, it);
      let mx = bx;
      let my = by;
      const mixSeed = rng.int(2 ** 31);
      let extra: unknown[] = [];
      if (mixer && rng.bernoulli(mixProbability)) {
        const res = typeof mixer === 'function' ? mixer(bx, by, mixSeed) : mixer.apply(bx as tf.Tensor4D, by);
        ({ x: mx, y: my } = res);
        extra = Object.values(res);
      }
      const r = await model.trainOnBatch(mx, my);
      const vals = Array.isArray(r) ? r : [r];
      // Free everything the mixer returned (mixed x, y, a mask...) but never the batch itself.
      const own = new Set<tf.Tensor>([bx, by]);
      const made = [mx, my, ...extra].filter((t): t is tf.Tensor => t instanceof tf.Tensor && !own.has(t));
      tf.dispose([...new Set(made)]);
      tf.dispose([it, bx, by]);
      const logs: Record<string, number> = { batch: b, size: idx.length };
      names.forEach((k, i) => {
        logs[k] = vals[i] as number;
        sums[i] = (sums[i] as number) + (vals[i] as number) * idx.length;
      });
      seen += idx.length;
      await list.onBatchEnd(b, logs);
      if (model.stopTraining) break;
    }
    const epochLogs: Record<string, number> = {};
    names.forEach((k, i) => (epochLogs[k] = (sums[i] as number) / Math.max(seen, 1)));
    if (validationData) {
      const ev = model.evaluate(validationData[0], validationData[1], { batchSize });
      const evs = Array.isArray(ev) ? ev : [ev];
      names.forEach((k, i) => (epochLogs[`val_${k}`] = (evs[i] as tf.Scalar).dataSync()[0] as number));
      tf.dispose(evs);
    }
    await list.onEpochEnd(epoch, epochLogs);
    out.epoch.push(epoch);
    for (const [k, v] of Object.entries(epochLogs)) (out.history[k] ??= []).push(v);
    if (model.stopTraining) break;
  }
  await list.onTrainEnd();
  return out;
}
