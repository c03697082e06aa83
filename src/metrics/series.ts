/**
 * Series-level aggregation: many slice predictions per CT series (or per patient) reduced to
 * one prediction per series before scoring (MIA-COV19D protocol).
 */
import { checkOneOf } from '../util/checks';
import { argmaxRows } from './evaluate';
import { type ArrayLike1D, type ArrayLike2D, toMatrix } from './input';

/** Options of {@link aggregateSeries}. */
export interface AggregateSeriesOptions {
  /**
   * `'mean'` (default): average slice scores; `'max'`: maximum per class; `'vote'`: each slice
   * votes for its predicted class and the series score is the fraction of votes per class.
   */
  reduce?: 'mean' | 'max' | 'vote';
  /** Threshold turning one-column scores into votes and predictions. Default 0.5. */
  threshold?: number;
  /** Slice labels; when given, every slice of a series must carry the same label. */
  yTrue?: ArrayLike1D;
}

/** One entry per series, in order of first appearance. */
export interface SeriesAggregate<S> {
  /** The series identifiers. */
  ids: Array<string | number>;
  /** Aggregated scores: `number[]` for one-column input, `[series][K]` rows otherwise. */
  scores: S;
  /** Predicted label per series (score >= threshold, or argmax). */
  predicted: number[];
  /** Number of slices per series. */
  counts: number[];
  /** Label per series when `yTrue` was given. */
  yTrue?: number[];
}

/** Aggregate `[n]` slice scores (one column, e.g. sigmoid outputs) per series. */
export function aggregateSeries(
  scores: ArrayLike<number>,
  seriesIds: ArrayLike<string | number>,
  options?: AggregateSeriesOptions,
): SeriesAggregate<number[]>;
/** Aggregate `[n, K]` slice scores (nested arrays or a tensor of any rank <= 2) per series; scores are rows. */
export function aggregateSeries(
  scores: ArrayLike2D,
  seriesIds: ArrayLike<string | number>,
  options?: AggregateSeriesOptions,
): SeriesAggregate<number[][]>;
export function aggregateSeries(
  scores: ArrayLike1D | ArrayLike2D,
  seriesIds: ArrayLike<string | number>,
  options: AggregateSeriesOptions = {},
): SeriesAggregate<number[] | number[][]> {
  const fn = 'aggregateSeries';
  const reduce = options.reduce ?? 'mean';
  checkOneOf(reduce, ['mean', 'max', 'vote'], 'reduce', fn);
  const threshold = options.threshold ?? 0.5;
  const oneD = !('shape' in (scores as object)) && typeof (scores as ArrayLike<unknown>)[0] !== 'object';
  const m = toMatrix(scores, 'scores', fn);
  if (seriesIds.length !== m.rows)
    throw new Error(`${fn}: 'seriesIds' has ${seriesIds.length} entries for ${m.rows} score rows`);
  const labels = options.yTrue === undefined ? undefined : toMatrix(options.yTrue, 'yTrue', fn).data;
  if (labels && labels.length !== m.rows)
    throw new Error(`${fn}: 'yTrue' has ${labels.length} entries for ${m.rows} score rows`);
  const k = m.cols;
  const votes =
    reduce === 'vote' ? (k === 1 ? m.data.map((s) => (s >= threshold ? 1 : 0)) : argmaxRows(m)) : undefined;
  const index = new Map<string | number, number>();
  const ids: Array<string | number> = [];
  const acc: number[][] = [];
  const counts: number[] = [];
  const yTrue: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    const id = seriesIds[i] as string | number;
    let s = index.get(id);
    if (s === undefined) {
      s = ids.length;
      index.set(id, s);
      ids.push(id);
      acc.push(new Array<number>(k).fill(reduce === 'max' ? -Infinity : 0));
      counts.push(0);
      if (labels) yTrue.push(labels[i] as number);
    } else if (labels && yTrue[s] !== labels[i]) {
      throw new Error(`${fn}: series '${id}' has slices labelled ${yTrue[s]} and ${labels[i]}`);
    }
    counts[s]! += 1;
    const row = acc[s] as number[];
    for (let j = 0; j < k; j++) {
      const v = m.data[i * k + j] as number;
      if (reduce === 'max') row[j] = Math.max(row[j] as number, v);
      else if (reduce === 'mean') row[j]! += v;
      else if (k === 1) row[0]! += votes![i] as number;
      else if (votes![i] === j) row[j]! += 1;
    }
  }
  if (reduce !== 'max') acc.forEach((row, s) => row.forEach((v, j) => (row[j] = v / (counts[s] as number))));
  const predicted =
    k === 1
      ? acc.map((r) => ((r[0] as number) >= threshold ? 1 : 0))
      : Array.from(argmaxRows({ data: Float64Array.from(acc.flat()), rows: acc.length, cols: k }));
  const out: SeriesAggregate<number[] | number[][]> = {
    ids,
    scores: oneD ? acc.map((r) => r[0] as number) : acc,
    predicted,
    counts,
  };
  if (labels) out.yTrue = yTrue;
  return out;
}
