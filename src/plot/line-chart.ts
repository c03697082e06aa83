/** Line charts: training curves, and a Keras `History` drawn as one. */
import { drawAxes, legend, title, type ChartOptions } from './axes';
import { PALETTE, type Color, type Figure, type Mark } from './figure';

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
