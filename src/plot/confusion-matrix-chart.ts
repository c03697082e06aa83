/** Confusion-matrix heat maps with counts (and optionally row rates) in the cells. */
import { INK, LABEL, TICK, textHeight, title, type ChartOptions } from './axes';
import { textWidth, toColor, type Color, type Figure, type Mark } from './figure';

/** Options of {@link confusionMatrixChart}. */
export interface ConfusionMatrixChartOptions extends ChartOptions {
  /** Counts, `matrix[true][predicted]`. */
  matrix: number[][];
  /** Class names; default `0, 1, ...`. */
  labels?: string[];
  /** Colour by row-normalised rates and print them under the counts. Default false. */
  normalize?: boolean;
}

/** White-to-blue ramp for heat maps, t in [0, 1]. */
function blues(t: number): Color {
  const a = [247, 251, 255];
  const b = [8, 48, 107];
  const k = Math.min(1, Math.max(0, t));
  return toColor(a[0]! + (b[0]! - a[0]!) * k, a[1]! + (b[1]! - a[1]!) * k, a[2]! + (b[2]! - a[2]!) * k);
}

/** Confusion-matrix heat map with the count in each cell (004). */
export function confusionMatrixChart(opts: ConfusionMatrixChartOptions): Figure {
  const { matrix, normalize = false } = opts;
  const k = matrix.length;
  if (k === 0 || matrix.some((r) => !Array.isArray(r) || r.length !== k)) {
    throw new Error(`confusionMatrixChart: 'matrix' must be a non-empty square array`);
  }
  const labels = opts.labels ?? matrix.map((_, i) => String(i));
  if (labels.length !== k) throw new Error(`confusionMatrixChart: 'labels' must have ${k} entries`);
  const rowSums = matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const maxCount = Math.max(...matrix.flat(), 1);
  const value = (i: number, j: number): number =>
    normalize ? matrix[i]![j]! / Math.max(rowSums[i]!, 1) : matrix[i]![j]! / maxCount;
  const labW = Math.max(...labels.map((l) => textWidth(l, TICK)));
  const left = 20 + textHeight(LABEL) + 10 + labW + 10;
  const bottom = 20 + textHeight(LABEL) + 10 + textHeight(TICK) + 10;
  const cell = Math.max(60, Math.min(110, 480 / k));
  const width =
    opts.width ?? Math.max(left + k * cell + 20, textWidth(opts.title ?? 'Confusion matrix', 16) + 40);
  const marks: Mark[] = [];
  const top = title(marks, width, opts.title ?? 'Confusion matrix');
  const height = opts.height ?? top + k * cell + bottom;
  const size = Math.min((width - left - 20) / k, (height - top - bottom) / k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const t = value(i, j);
      const x = left + j * size;
      const y = top + i * size;
      marks.push({ kind: 'rect', x, y, w: size, h: size, fill: blues(t), stroke: '#ffffff' });
      const color = t > 0.5 ? '#ffffff' : INK;
      const count = String(matrix[i]![j]);
      if (normalize) {
        marks.push({
          kind: 'text',
          x: x + size / 2,
          y: y + size / 2 - 10,
          text: count,
          size: LABEL,
          color,
          anchor: 'middle',
        });
        marks.push({
          kind: 'text',
          x: x + size / 2,
          y: y + size / 2 + 10,
          text: `${(t * 100).toFixed(1)}%`,
          size: TICK,
          color,
          anchor: 'middle',
        });
      } else {
        marks.push({
          kind: 'text',
          x: x + size / 2,
          y: y + size / 2,
          text: count,
          size: LABEL,
          color,
          anchor: 'middle',
        });
      }
    }
    marks.push({
      kind: 'text',
      x: left - 8,
      y: top + i * size + size / 2,
      text: labels[i]!,
      size: TICK,
      color: INK,
      anchor: 'end',
    });
    marks.push({
      kind: 'text',
      x: left + i * size + size / 2,
      y: top + k * size + 10 + textHeight(TICK) / 2,
      text: labels[i]!,
      size: TICK,
      color: INK,
      anchor: 'middle',
    });
  }
  marks.push({
    kind: 'text',
    x: left + (k * size) / 2,
    y: top + k * size + 20 + textHeight(TICK) + textHeight(LABEL) / 2,
    text: 'Predicted',
    size: LABEL,
    color: INK,
    anchor: 'middle',
  });
  marks.push({
    kind: 'text',
    x: 20 + textHeight(LABEL) / 2,
    y: top + (k * size) / 2,
    text: 'True',
    size: LABEL,
    color: INK,
    anchor: 'middle',
    vertical: true,
  });
  return { width, height, marks };
}
