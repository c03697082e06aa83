/**
 * A Keras-style callback that scores the validation set with medinets' metrics after every
 * epoch, so `model.fit` logs and history carry AUC, F1, ... like the source papers report.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { type EvaluateOptions, type MetricName, METRIC_NAMES, evaluateMatrices } from './evaluate';
import type { Matrix } from './input';

/** Short aliases accepted in `metrics` besides the {@link MetricName}s. */
const ALIASES: Record<string, MetricName> = { ap: 'averagePrecision', acc: 'accuracy', roc_auc: 'auc' };

/** Options of {@link MetricsCallback}. */
export interface MetricsCallbackOptions extends EvaluateOptions {
  /** `[x, y]`: inputs (a tensor, or one per model input) and labels (`[n]`, `[n, 1]` or one-hot `[n, K]`). */
  validationData: [tf.Tensor | tf.Tensor[], tf.Tensor];
  /** Metric names, e.g. `['auc', 'f1']` (also `'ap'`, `'acc'`). */
  metrics: ReadonlyArray<MetricName | 'ap' | 'acc' | 'roc_auc'>;
  /** Batch size for prediction. Default 32. */
  batchSize?: number;
  /** Prefix of the log keys. Default `'val_'` (so `val_auc`, `val_f1`). */
  prefix?: string;
  /** Which model output holds the class scores when the model has several. Default 0. */
  outputIndex?: number;
}

/**
 * Computes metrics on `validationData` at each epoch end and writes them into the epoch logs
 * (keys `prefix + name`), so they appear in `History.history` and in later callbacks
 * (EarlyStopping / checkpointing on `val_auc` must come after this callback in the list).
 * @example
 * await model.fit(x, y, { epochs: 20, callbacks: [new MetricsCallback({ validationData: [xv, yv], metrics: ['auc', 'f1'] })] });
 */
export class MetricsCallback extends tfl.Callback {
  private readonly opts: MetricsCallbackOptions;
  private readonly names: MetricName[];
  /** The metrics of every epoch so far, in order (also written into the fit logs). */
  readonly epochs: Array<Record<string, number>> = [];

  /** Create the callback; options are validated here. */
  constructor(options: MetricsCallbackOptions) {
    super();
    const fn = 'MetricsCallback';
    if (!options || !Array.isArray(options.validationData) || options.validationData.length !== 2) {
      throw new Error(`${fn}: 'validationData' must be [x, y]`);
    }
    if (!Array.isArray(options.metrics) || options.metrics.length === 0)
      throw new Error(`${fn}: 'metrics' must be a non-empty array`);
    this.names = options.metrics.map((m) => ALIASES[m] ?? (m as MetricName));
    for (const m of this.names) checkOneOf(m, METRIC_NAMES, 'metrics', fn);
    checkPositiveInt(options.batchSize ?? 32, 'batchSize', fn);
    this.opts = options;
  }

  /** Score the validation set and add the results to `logs`. */
  override async onEpochEnd(_epoch: number, logs?: tfl.Logs): Promise<void> {
    const [x, y] = this.opts.validationData;
    const out = this.model.predict(x, { batchSize: this.opts.batchSize ?? 32 });
    const outputs = Array.isArray(out) ? out : [out];
    const idx = this.opts.outputIndex ?? 0;
    const scoresT = outputs[idx];
    if (!scoresT) {
      tf.dispose(outputs);
      throw new Error(
        `MetricsCallback: 'outputIndex' ${idx} is out of range; the model has ${outputs.length} outputs`,
      );
    }
    const scores = toMatrix2(scoresT);
    tf.dispose(outputs);
    const labels = toMatrix2(y);
    const result = evaluateMatrices(labels, scores, this.names, this.opts);
    const prefix = this.opts.prefix ?? 'val_';
    const named: Record<string, number> = {};
    this.opts.metrics.forEach((alias, i) => (named[alias] = result[this.names[i] as MetricName] as number));
    this.epochs.push(named);
    if (logs) for (const [k, v] of Object.entries(named)) logs[prefix + k] = v;
  }
}

function toMatrix2(t: tf.Tensor): Matrix {
  const data = Float64Array.from(t.dataSync() as ArrayLike<number>);
  const rows = t.shape[0] ?? 1;
  return { data, rows, cols: rows === 0 ? 1 : data.length / rows };
}
