import * as tf from '@tensorflow/tfjs-core';
import { INK, LABEL, TICK, drawAxes, legend, textHeight, title, type ChartOptions } from './plot-axes';
import { PALETTE, textWidth, toColor, type Color, type Figure, type Mark } from './plot-figure';

export type { ChartOptions } from './plot-axes';

/** One curve of a {@link lineChart}. */
export interface LineSeries {
  /** Legend entry. */
  name: string;
  /** Values. */
  y: number[];
  /** Abscissae; default `1, 2, ...` (epochs). */
  x?: number[];
  /** Colour; default from {@link PALETTE}. */
  color?: Color;
  /** Draw dashed. */
  dashed?: boolean;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions extends ChartOptions {
  /** Curves. */
  series: LineSeries[];
  /** X axis title. Default `'epoch'`. */
  xLabel?: string;
  /** Y axis title. */
  yLabel?: string;
  /** Fixed y range; default the data's range. */
  yRange?: [number, number];
}

function finite(v: number[]): number[] {
  return v.filter(Number.isFinite);
}

/** Line chart of training curves (loss / metric per epoch), as a renderer-independent {@link Figure}. */
export function lineChart(opts: LineChartOptions): Figure {
  const { series, width = 640, height = 420, xLabel = 'epoch', yLabel } = opts;
  if (!Array.isArray(series) || series.length === 0)
    throw new Error(`lineChart: 'series' must be a non-empty array`);
  const xs = series.map((s) => s.x ?? s.y.map((_, i) => i + 1));
  const allX = finite(xs.flat());
  const allY = finite(series.flatMap((s) => s.y));
  const marks: Mark[] = [];
  const top = title(marks, width, opts.title);
  const lo = Math.min(...allY, Infinity);
  const hi = Math.max(...allY, -Infinity);
  // 5% headroom so curves do not run along the frame.
  const yRange = opts.yRange ?? [lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05];
  const f = drawAxes(
    marks,
    { width, height, top },
    { range: [Math.min(...allX), Math.max(...allX)], label: xLabel, integer: !series.some((s) => s.x) },
    { range: allY.length ? yRange : [0, 1], label: yLabel },
  );
  const entries: { name: string; color: Color; dash?: number }[] = [];
  series.forEach((s, k) => {
    const color = s.color ?? (PALETTE[k % PALETTE.length] as Color);
    const pts: number[] = [];
    const flush = (): void => {
      if (pts.length >= 4)
        marks.push({ kind: 'line', points: pts.splice(0), color, width: 2, dash: s.dashed ? 6 : undefined });
      else if (pts.length === 2) {
        const [px, py] = pts.splice(0) as [number, number];
        marks.push({ kind: 'rect', x: px - 2, y: py - 2, w: 4, h: 4, fill: color });
      }
    };
    s.y.forEach((v, i) => {
      if (Number.isFinite(v)) pts.push(f.sx((xs[k] as number[])[i] as number), f.sy(v));
      else flush();
    });
    flush();
    entries.push({ name: s.name, color, dash: s.dashed ? 6 : undefined });
  });
  legend(marks, f, entries);
  return { width, height, marks };
}

/** Options of {@link historyChart}. */
export interface HistoryChartOptions extends ChartOptions {
  /** Keys to draw; default every key except `epoch`, `lr`, `batch`, `size`. */
  keys?: string[];
  /** Y axis title. */
  yLabel?: string;
}

/**
 * Curves from a training history (`History.history`, {@link fitWithMixing}'s result,
 * a {@link HistoryLogger}'s JSON): one line per key, `val_*` keys dashed in their training
 * key's colour.
 */
export function historyChart(history: Record<string, number[]>, opts: HistoryChartOptions = {}): Figure {
  const keys = opts.keys ?? Object.keys(history).filter((k) => !['epoch', 'lr', 'batch', 'size'].includes(k));
  const base = [...new Set(keys.map((k) => k.replace(/^val_/, '')))];
  const series: LineSeries[] = keys.map((k) => {
    const b = k.replace(/^val_/, '');
    const ep = history['epoch'];
    return {
      name: k,
      y: history[k] ?? [],
      x: ep && ep.length === (history[k] ?? []).length ? ep.map((e) => e + 1) : undefined,
      color: PALETTE[base.indexOf(b) % PALETTE.length],
      dashed: k.startsWith('val_'),
    };
  });
  return lineChart({ ...opts, series });
}

/** One ROC curve. */
export interface RocChartCurve {
  /** False-positive rates, ascending, from 0 to 1. */
  fpr: number[];
  /** True-positive rates at the same thresholds. */
  tpr: number[];
  /** Legend name. Default `'ROC'`. */
  name?: string;
  /** Area under the curve for the legend; default the trapezoidal area of (fpr, tpr). */
  auc?: number;
  /** Colour. */
  color?: Color;
}

/** Alias of {@link RocChartCurve}, the name the examples first used. */
export type RocCurve = RocChartCurve;

/** Options of {@link rocChart}. */
export interface RocChartOptions extends ChartOptions {
  /** Curves, e.g. from `metrics`' ROC function. */
  curves: RocChartCurve[];
}

/** Trapezoidal area under (x, y) with x ascending. */
export function trapezoidArea(x: number[], y: number[]): number {
  let a = 0;
  for (let i = 1; i < Math.min(x.length, y.length); i++) {
    a += (((x[i] as number) - (x[i - 1] as number)) * ((y[i] as number) + (y[i - 1] as number))) / 2;
  }
  return a;
}

/** ROC curve(s) with the chance diagonal and the AUC in the legend (003). */
export function rocChart(opts: RocChartOptions): Figure {
  const { curves, width = 520, height = 480 } = opts;
  if (!Array.isArray(curves) || curves.length === 0)
    throw new Error(`rocChart: 'curves' must be a non-empty array`);
  const marks: Mark[] = [];
  const top = title(marks, width, opts.title ?? 'ROC curve');
  const f = drawAxes(
    marks,
    { width, height, top },
    { range: [0, 1], label: 'False positive rate' },
    { range: [0, 1], label: 'True positive rate' },
  );
  marks.push({
    kind: 'line',
    points: [f.sx(0), f.sy(0), f.sx(1), f.sy(1)],
    color: '#999999',
    width: 1,
    dash: 5,
  });
  const entries: { name: string; color: Color }[] = [];
  curves.forEach((c, k) => {
    if (c.fpr.length !== c.tpr.length || c.fpr.length < 2)
      throw new Error(`rocChart: curve ${k} needs fpr and tpr of equal length >= 2`);
    const color = c.color ?? (PALETTE[k % PALETTE.length] as Color);
    const pts = c.fpr.flatMap((v, i) => [f.sx(v), f.sy(c.tpr[i] as number)]);
    marks.push({ kind: 'line', points: pts, color, width: 2 });
    const auc = c.auc ?? trapezoidArea(c.fpr, c.tpr);
    entries.push({ name: `${c.name ?? 'ROC'} (AUC = ${auc.toFixed(3)})`, color });
  });
  legend(marks, f, entries, 'bottom-right');
  return { width, height, marks };
}

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

/** Pixels for {@link imageGrid}: raw samples, or a `[height, width, channels]` tensor. */
export interface GridPixels {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
  /** Row-major samples: bytes 0-255, or floats in [0, 1]. */
  data: Uint8Array | Uint8ClampedArray | Float32Array;
}

/** One cell of {@link imageGrid}. */
export interface GridImage {
  /** The image: a Grad-CAM overlay, a slice, a feature map... */
  pixels: GridPixels | tf.Tensor3D;
  /** Caption under the image (e.g. `'COVID 0.93'`). */
  caption?: string;
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions extends ChartOptions {
  /** Images, in reading order. */
  images: GridImage[];
  /** Images per row. Default `ceil(sqrt(n))`. */
  columns?: number;
  /** Side of each cell's image in pixels. Default 160. */
  cellSize?: number;
}

function toRgba(p: GridPixels | tf.Tensor3D): { w: number; h: number; rgba: Uint8Array } {
  let g: GridPixels;
  if (p instanceof tf.Tensor) {
    const [h, w, c] = p.shape;
    if (c !== 1 && c !== 3 && c !== 4)
      throw new Error(`imageGrid: tensor images need 1, 3 or 4 channels; got ${c}`);
    const data = p.dataSync();
    // Float tensors above 1 are taken as 0-255.
    let max = 0;
    for (let i = 0; i < data.length; i++) max = Math.max(max, data[i] as number);
    g = {
      width: w,
      height: h,
      channels: c,
      data: max > 1 ? Uint8Array.from(data, (v) => Math.round(v)) : Float32Array.from(data),
    };
  } else g = p;
  const n = g.width * g.height;
  if (g.data.length !== n * g.channels)
    throw new Error(`imageGrid: pixel data has ${g.data.length} samples, expected ${n * g.channels}`);
  const scale = g.data instanceof Float32Array ? 255 : 1;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 4; c++) {
      const src = g.channels === 1 ? (c < 3 ? 0 : -1) : c < g.channels ? c : -1;
      out[i * 4 + c] =
        src < 0
          ? 255
          : Math.round(Math.min(255, Math.max(0, (g.data[i * g.channels + src] as number) * scale)));
    }
  }
  return { w: g.width, h: g.height, rgba: out };
}

/** A grid of images with captions (Grad-CAM overlays, 001 / 003 feature maps). */
export function imageGrid(opts: ImageGridOptions): Figure {
  const { images, cellSize = 160 } = opts;
  if (!Array.isArray(images) || images.length === 0)
    throw new Error(`imageGrid: 'images' must be a non-empty array`);
  const cols = opts.columns ?? Math.ceil(Math.sqrt(images.length));
  const rows = Math.ceil(images.length / cols);
  const capH = images.some((i) => i.caption) ? textHeight(TICK) + 10 : 0;
  const gap = 10;
  const marks: Mark[] = [];
  const width = opts.width ?? cols * (cellSize + gap) + gap;
  const top = title(marks, width, opts.title);
  const height = opts.height ?? top + rows * (cellSize + capH + gap) + gap;
  images.forEach((img, k) => {
    const { w, h, rgba } = toRgba(img.pixels);
    const s = cellSize / Math.max(w, h);
    const cx = gap + (k % cols) * (cellSize + gap);
    const cy = top + Math.floor(k / cols) * (cellSize + capH + gap);
    const dw = w * s;
    const dh = h * s;
    marks.push({
      kind: 'image',
      x: cx + (cellSize - dw) / 2,
      y: cy + (cellSize - dh) / 2,
      w: dw,
      h: dh,
      srcWidth: w,
      srcHeight: h,
      rgba,
    });
    if (img.caption)
      marks.push({
        kind: 'text',
        x: cx + cellSize / 2,
        y: cy + cellSize + 4 + textHeight(TICK) / 2,
        text: img.caption,
        size: TICK,
        color: INK,
        anchor: 'middle',
      });
  });
  return { width, height, marks };
}
