import { checkOneOf } from '../util/checks';

/** Hyper-parameter values to try, one list per name (003: learning rate, batch size, optimizer, weights). */
export type SearchSpace = Record<string, readonly unknown[]>;

/** One combination of a {@link SearchSpace}. */
export type Trial = Record<string, unknown>;

/** A finished trial. */
export interface TrialResult {
  /** Position in the enumeration order. */
  index: number;
  /** The hyper-parameters tried. */
  params: Trial;
  /** Metrics returned by `trainEval` (empty when it failed). */
  metrics: Record<string, number>;
  /** The selection score (NaN when failed or missing). */
  score: number;
  /** Error message when the trial threw and `onError` is `'skip'`. */
  error?: string;
}

/** Options of {@link gridSearch}. */
export interface GridSearchOptions {
  /** Values to try per hyper-parameter. */
  space: SearchSpace;
  /** Train and evaluate one combination; return its validation metrics. */
  trainEval: (params: Trial, index: number) => Promise<Record<string, number>> | Record<string, number>;
  /** Metric name to select by, or a function of the metrics. Default `'f1'` (003). */
  select?: string | ((metrics: Record<string, number>) => number);
  /** Whether the score is maximised or minimised. Default `'max'`. */
  mode?: 'max' | 'min';
  /** `'throw'` (default) stops at a failing trial; `'skip'` records the error and goes on. */
  onError?: 'throw' | 'skip';
  /** Called after each trial (progress reporting). */
  onTrial?: (result: TrialResult) => void | Promise<void>;
}

/** Outcome of {@link gridSearch}. */
export interface GridSearchResult {
  /** The best trial by the selection score. */
  best: TrialResult;
  /** Every trial, in enumeration order. */
  results: TrialResult[];
}

/** All combinations of `space`, the last key varying fastest. */
export function gridTrials(space: SearchSpace): Trial[] {
  const keys = Object.keys(space);
  let out: Trial[] = [{}];
  for (const k of keys) {
    const vals = space[k] as readonly unknown[];
    if (!Array.isArray(vals) || vals.length === 0)
      throw new Error(`gridSearch: 'space.${k}' must be a non-empty array`);
    out = out.flatMap((t) => vals.map((v) => ({ ...t, [k]: v })));
  }
  return out;
}

/**
 * Exhaustive grid search (003 selects learning rate, batch size, optimizer and pretrained
 * weights by F1). Trials run one after another in a fixed order; ties keep the earlier
 * trial; trials whose score is NaN never win.
 */
export async function gridSearch(opts: GridSearchOptions): Promise<GridSearchResult> {
  const fn = 'gridSearch';
  const { space, trainEval, select = 'f1', mode = 'max', onError = 'throw', onTrial } = opts;
  if (typeof trainEval !== 'function') throw new Error(`${fn}: 'trainEval' must be a function`);
  checkOneOf(mode, ['max', 'min'] as const, 'mode', fn);
  checkOneOf(onError, ['throw', 'skip'] as const, 'onError', fn);
  const score = (m: Record<string, number>): number => {
    const v = typeof select === 'function' ? select(m) : m[select];
    return typeof v === 'number' ? v : NaN;
  };
  const trials = gridTrials(space);
  const results: TrialResult[] = [];
  let best: TrialResult | undefined;
  for (let i = 0; i < trials.length; i++) {
    const params = trials[i] as Trial;
    let r: TrialResult;
    try {
      const metrics = await trainEval(params, i);
      r = { index: i, params, metrics, score: score(metrics) };
      if (Number.isNaN(r.score) && typeof select === 'string') {
        throw new Error(
          `${fn}: trainEval returned no '${select}' metric (got ${Object.keys(metrics).join(', ') || 'none'})`,
        );
      }
    } catch (e) {
      if (onError === 'throw') throw e;
      r = { index: i, params, metrics: {}, score: NaN, error: (e as Error).message };
    }
    results.push(r);
    if (!Number.isNaN(r.score) && (!best || (mode === 'max' ? r.score > best.score : r.score < best.score)))
      best = r;
    if (onTrial) await onTrial(r);
  }
  if (!best) throw new Error(`${fn}: every trial failed; first error: ${results[0]?.error ?? 'unknown'}`);
  return { best, results };
}
