/**
 * Scoring a trained classifier on a split: class probabilities, the metric table, the ROC
 * curve (two classes) and the confusion matrix, as Markdown, JSON and PNG figures.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { classificationReportData, confusionMatrix, evaluateScores, rocAuc, rocCurve } from '../metrics';
import { confusionMatrixChart, rocChart, saveFigure } from '../plot';

/** Class probabilities `[n, classes]` of a softmax head, or `[1 - p, p]` of a one-unit sigmoid head. */
export function predictProbs(model: tfl.LayersModel, x: tf.Tensor4D, batchSize = 32): number[][] {
  const n = x.shape[0];
  const rows: number[][] = [];
  for (let i = 0; i < n; i += batchSize) {
    const p = tf.tidy(() => {
      const xb = tf.slice(x, [i, 0, 0, 0], [Math.min(batchSize, n - i), -1, -1, -1]);
      const y = model.predict(xb) as tf.Tensor;
      return tf.reshape(y, [y.shape[0] as number, -1]);
    });
    const k = p.shape[1] as number;
    const v = p.dataSync();
    for (let r = 0; r < (p.shape[0] as number); r++) {
      const row = Array.from(v.subarray(r * k, (r + 1) * k));
      rows.push(k === 1 ? [1 - (row[0] as number), row[0] as number] : row);
    }
    p.dispose();
  }
  return rows;
}

/** The index of the largest entry. */
export function argmax(row: number[]): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if ((row[j] as number) > (row[best] as number)) best = j;
  return best;
}

/** What {@link assess} found. */
export interface Assessment {
  /** Metric name -> value (accuracy, macro F1; with two classes also precision, recall, specificity, F1, AUC). */
  metrics: Record<string, number>;
  /** Confusion matrix, rows = true class. */
  confusion: number[][];
  /** Figures written. */
  figures: string[];
  /** The metric table and confusion matrix as Markdown. */
  markdown: string;
}

/** Score `model` on `x` / `labels`, write `roc.png` (two classes) and `confusion_matrix.png` to `outDir`. */
export async function assess(
  model: tfl.LayersModel,
  x: tf.Tensor4D,
  labels: Int32Array,
  classNames: string[],
  outDir: string,
  title: string,
): Promise<Assessment> {
  const probs = predictProbs(model, x);
  const k = classNames.length;
  const pred = Int32Array.from(probs, argmax);
  const report = classificationReportData(labels, pred, {
    numClasses: k,
    targetNames: classNames,
    zeroDivision: 0,
  });
  const metrics: Record<string, number> = {
    accuracy: labels.length ? pred.filter((p, i) => p === labels[i]).length / labels.length : NaN,
    macro_f1: report.macroAvg.f1,
  };
  const figures: string[] = [];
  const both = new Set(labels).size === 2;
  if (k === 2) {
    const scores = Float32Array.from(probs, (r) => r[1] as number);
    Object.assign(
      metrics,
      evaluateScores(labels, scores, ['precision', 'recall', 'specificity', 'f1'], {
        threshold: 0.5,
        zeroDivision: 0,
      }),
    );
    metrics.auc = both ? rocAuc(labels, scores) : NaN;
    if (both) {
      const r = rocCurve(labels, scores);
      const curve = { fpr: Array.from(r.fpr), tpr: Array.from(r.tpr), name: title, auc: metrics.auc };
      figures.push(
        await saveFigure(rocChart({ title: `${title}: ROC`, curves: [curve] }), join(outDir, 'roc.png')),
      );
    }
  }
  const confusion = confusionMatrix(labels, pred, { labels: classNames.map((_, i) => i) });
  if (labels.length) {
    figures.push(
      await saveFigure(
        confusionMatrixChart({ title: `${title}: confusion matrix`, matrix: confusion, labels: classNames }),
        join(outDir, 'confusion_matrix.png'),
      ),
    );
  }
  const names = Object.keys(metrics);
  const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');
  const markdown = [
    `| n | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
    `| ${labels.length} | ${names.map((m) => fmt(metrics[m] as number)).join(' | ')} |`,
    '',
    `Confusion matrix (rows: true class; columns: predicted):`,
    '',
    `| | ${classNames.join(' | ')} |`,
    `| --- | ${classNames.map(() => '---').join(' | ')} |`,
    ...confusion.map((row, i) => `| ${classNames[i]} | ${row.join(' | ')} |`),
  ].join('\n');
  return { metrics, confusion, figures, markdown };
}
