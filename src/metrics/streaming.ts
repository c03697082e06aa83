/**
 * A streaming accumulator: feed labels and scores batch by batch (e.g. while iterating a large
 * evaluation set), compute exact metrics at the end.
 */
import { countMatrix } from './confusion';
import {
  type EvaluateOptions,
  type MetricName,
  METRIC_NAMES,
  evaluateMatrices,
  labelsFrom,
  predictLabels,
} from './evaluate';
import { type ArrayLike1D, type ArrayLike2D, type Matrix, toMatrix } from './input';

/** Options of {@link MetricsAccumulator}. */
export interface AccumulatorOptions extends EvaluateOptions {
  /** Metrics returned by `compute()` when none are named. Default: all of them. */
  metrics?: readonly MetricName[];
}

class Growable {
  data = new Float64Array(1024);
  length = 0;

  push(values: Float64Array): void {
    if (this.length + values.length > this.data.length) {
      const next = new Float64Array(Math.max(this.data.length * 2, this.length + values.length));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Accumulates `(yTrue, scores)` batches and computes the same numbers as the one-shot functions
 * on the concatenated data. Scores are kept (n x K doubles) because ranking metrics such as AUC
 * need every score; tensors passed to `update` are read and may be disposed right after.
 * @example
 * const acc = new MetricsAccumulator({ metrics: ['auc', 'f1'] });
 * for (const [x, y] of batches) acc.update(y, model.predict(x) as tf.Tensor);
 * acc.compute(); // { auc: ..., f1: ... }
 */
export class MetricsAccumulator {
  private readonly options: AccumulatorOptions;
  private readonly labels = new Growable();
  private readonly scores = new Growable();
  private labelCols = 0;
  private scoreCols = 0;

  /** Create an empty accumulator. */
  constructor(options: AccumulatorOptions = {}) {
    this.options = options;
  }

  /** Number of samples seen so far. */
  get count(): number {
    return this.scoreCols === 0 ? 0 : this.scores.length / this.scoreCols;
  }

  /**
   * Add a batch.
   * @param yTrue `[b]` labels or `[b, K]` one-hot labels.
   * @param scores `[b]`, `[b, 1]` or `[b, K]` scores; every batch must have the same K.
   */
  update(yTrue: ArrayLike1D | ArrayLike2D, scores: ArrayLike1D | ArrayLike2D): void {
    const fn = 'MetricsAccumulator.update';
    const t = toMatrix(yTrue, 'yTrue', fn);
    const s = toMatrix(scores, 'scores', fn);
    if (t.rows !== s.rows) throw new Error(`${fn}: 'yTrue' has ${t.rows} samples but 'scores' has ${s.rows}`);
    if (this.scoreCols !== 0 && (s.cols !== this.scoreCols || t.cols !== this.labelCols)) {
      throw new Error(
        `${fn}: batch has ${s.cols} score / ${t.cols} label columns; earlier batches had ${this.scoreCols} / ${this.labelCols}`,
      );
    }
    this.labelCols = t.cols;
    this.scoreCols = s.cols;
    this.labels.push(t.data);
    this.scores.push(s.data);
  }

  private matrices(): [Matrix, Matrix] {
    if (this.count === 0) throw new Error('MetricsAccumulator.compute: no samples; call update() first');
    return [
      { data: this.labels.view(), rows: this.count, cols: this.labelCols },
      { data: this.scores.view(), rows: this.count, cols: this.scoreCols },
    ];
  }

  /** Metrics over every sample seen; same values as {@link evaluateScores} on the concatenation. */
  compute(metrics: readonly MetricName[] = this.options.metrics ?? METRIC_NAMES): Record<string, number> {
    const [t, s] = this.matrices();
    return evaluateMatrices(t, s, metrics, this.options);
  }

  /** Confusion matrix (rows = true class) of the thresholded / argmax predictions so far. */
  confusionMatrix(): number[][] {
    const [t, s] = this.matrices();
    const k = Math.max(2, s.cols);
    return countMatrix(
      labelsFrom(t),
      predictLabels(s, this.options.threshold ?? 0.5),
      Array.from({ length: k }, (_, i) => i),
    );
  }

  /** Forget every sample. */
  reset(): void {
    this.labels.length = 0;
    this.scores.length = 0;
    this.labelCols = 0;
    this.scoreCols = 0;
  }
}
