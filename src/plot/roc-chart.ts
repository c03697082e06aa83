/** ROC curves with the chance diagonal and each curve's AUC in the legend. */
import { auc } from '../metrics/ranking';
import { drawAxes, legend, title, type ChartOptions } from './axes';
import { PALETTE, type Color, type Figure, type Mark } from './figure';

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
    const area = c.auc ?? auc(c.fpr, c.tpr);
    entries.push({ name: `${c.name ?? 'ROC'} (AUC = ${area.toFixed(3)})`, color });
  });
  legend(marks, f, entries, 'bottom-right');
  return { width, height, marks };
}
