/**
 * The train -> evaluate -> plot steps every classification example shares, built from the
 * library's public pieces (train: fitWithMixing, callbacks, plots; metrics: evaluateScores,
 * rocCurve, confusionMatrix).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import {
  confusionMatrix,
  evaluateScores,
  rocAuc,
  rocCurve,
  youdenThreshold,
  type MetricName,
} from 'medinets/metrics';
import { fitWithMixing, type FitWithMixingOptions } from 'medinets/train';
import { confusionMatrixChart, historyChart, rocChart, saveFigure, type RocCurve } from 'medinets/plot';

/** A labelled set: images NHWC and integer labels. */
export interface Split {
  x: tf.Tensor4D;
  labels: Int32Array;
  masks?: tf.Tensor4D;
}

export function oneHot(labels: Int32Array, classes: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as tf.Tensor2D);
}

/** Take rows of a split (by index list), as new tensors. */
export function subset(s: Split, idx: number[]): Split {
  const ix = tf.tensor1d(idx, 'int32');
  const out: Split = {
    x: tf.gather(s.x, ix) as tf.Tensor4D,
    labels: Int32Array.from(idx.map((i) => s.labels[i] as number)),
    masks: s.masks ? (tf.gather(s.masks, ix) as tf.Tensor4D) : undefined,
  };
  ix.dispose();
  return out;
}

export function disposeSplit(s: Split): void {
  s.x.dispose();
  s.masks?.dispose();
}

/** Positive-class probability for a 1-unit sigmoid or a K-unit softmax head. */
export function predictScores(model: tfl.LayersModel, x: tf.Tensor4D, batchSize = 32): Float32Array {
  const n = x.shape[0];
  const out: number[] = [];
  let cols = 1;
  for (let i = 0; i < n; i += batchSize) {
    const p = tf.tidy(() => {
      const xb = tf.slice(x, [i, 0, 0, 0], [Math.min(batchSize, n - i), -1, -1, -1]);
      return model.predict(xb, { batchSize }) as tf.Tensor;
    });
    cols = p.shape[p.shape.length - 1] ?? 1;
    out.push(...p.dataSync());
    p.dispose();
  }
  if (cols === 1) return Float32Array.from(out);
  // Positive class = 1 for the binary tasks of the documents.
  return Float32Array.from({ length: n }, (_, r) => out[r * cols + 1] as number);
}

export const TABLE_METRICS: MetricName[] = ['accuracy', 'precision', 'recall', 'specificity', 'f1', 'auc'];

export interface Evaluation {
  metrics: Record<string, number>;
  scores: Float32Array;
  roc: RocCurve;
  confusion: number[][];
}

export function evaluateBinary(
  model: tfl.LayersModel,
  test: Split,
  name: string,
  threshold = 0.5,
): Evaluation {
  const scores = predictScores(model, test.x);
  const metrics = evaluateScores(test.labels, scores, TABLE_METRICS, { threshold, zeroDivision: 0 });
  const bothClasses = new Set(test.labels).size === 2;
  const r = bothClasses ? rocCurve(test.labels, scores) : { fpr: [0, 1], tpr: [0, 1], thresholds: [] };
  const auc = bothClasses ? rocAuc(test.labels, scores) : NaN;
  const pred = Int32Array.from(scores, (s) => (s >= threshold ? 1 : 0));
  const confusion = confusionMatrix(test.labels, pred, { labels: [0, 1] });
  return { metrics, scores, roc: { fpr: Array.from(r.fpr), tpr: Array.from(r.tpr), name, auc }, confusion };
}

/**
 * A decision threshold chosen on the validation split: the Youden-optimal cut (max
 * sensitivity + specificity - 1), placed midway between that validation score and the next
 * lower one so the validation decisions are unchanged but test scores get a margin. Falls
 * back to 0.5 when the split lacks a class.
 */
export function validationThreshold(model: tfl.LayersModel, val: Split): number {
  if (new Set(val.labels).size < 2) return 0.5;
  const scores = predictScores(model, val.x);
  const t = youdenThreshold(val.labels, scores).threshold;
  if (!Number.isFinite(t) || t > 1) return 0.5;
  let below = -Infinity;
  for (const v of scores) if (v < t && v > below) below = v;
  return Number.isFinite(below) ? (t + below) / 2 : t;
}

export interface TrainOptions extends Omit<FitWithMixingOptions, 'validationData'> {
  classes: number;
}

/** Train on one-hot labels with fitWithMixing (mixer optional); returns history and seconds. */
export async function trainClassifier(
  model: tfl.LayersModel,
  train: Split,
  val: Split | undefined,
  opts: TrainOptions,
): Promise<{ history: Record<string, number[]>; seconds: number }> {
  const { classes, ...fitOpts } = opts;
  const y =
    classes === 1
      ? tf.tensor2d(Array.from(train.labels), [train.labels.length, 1])
      : oneHot(train.labels, classes);
  const yv = val
    ? classes === 1
      ? tf.tensor2d(Array.from(val.labels), [val.labels.length, 1])
      : oneHot(val.labels, classes)
    : undefined;
  const t0 = performance.now();
  try {
    const h = await fitWithMixing(model, train.x, y, {
      ...fitOpts,
      validationData: val && yv && val.labels.length > 0 ? [val.x, yv] : undefined,
    });
    return { history: h.history, seconds: (performance.now() - t0) / 1000 };
  } finally {
    y.dispose();
    yv?.dispose();
  }
}

/** Loss curves, ROC curves (one per model) and the best model's confusion matrix. */
export async function savePlots(
  outDir: string,
  histories: Record<string, Record<string, number[]>>,
  evals: Record<string, Evaluation>,
  best: string,
): Promise<string[]> {
  const files: string[] = [];
  for (const [name, h] of Object.entries(histories)) {
    files.push(
      await saveFigure(
        historyChart(h, { title: `${name}: training curves` }),
        join(outDir, `curves_${name}.png`),
      ),
    );
  }
  files.push(
    await saveFigure(
      rocChart({ title: 'ROC on the test split', curves: Object.values(evals).map((e) => e.roc) }),
      join(outDir, 'roc.png'),
    ),
  );
  const b = evals[best];
  if (b) {
    files.push(
      await saveFigure(
        confusionMatrixChart({
          title: `${best}: confusion matrix`,
          matrix: b.confusion,
          labels: ['negative', 'positive'],
        }),
        join(outDir, 'confusion_matrix.png'),
      ),
    );
  }
  return files;
}
