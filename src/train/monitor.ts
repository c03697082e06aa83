import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkRange } from '../util/checks';

/** Logs as tfjs-layers hands them to callbacks: numbers, or scalars not yet read. */
export type EpochLogs = { [key: string]: number | tf.Scalar };

/** Direction of improvement of a monitored quantity; `'auto'` infers it from the name. */
export type MonitorMode = 'auto' | 'min' | 'max';

const MAX_HINTS = [
  'acc',
  'auc',
  'f1',
  'precision',
  'recall',
  'iou',
  'dice_coef',
  'fmeasure',
  'specificity',
  'sensitivity',
];

/**
 * @internal Resolve `'auto'`: quantities whose name contains `loss` or `error` are minimised;
 * accuracy, AUC, F1, precision, recall, IoU... are maximised; anything else is minimised.
 */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  const m = monitor.toLowerCase();
  if (m.includes('loss') || m.includes('error')) return 'min';
  return MAX_HINTS.some((h) => m.includes(h)) ? 'max' : 'min';
}

/** Read one entry of `logs` as a number (reading a scalar tensor if need be); undefined when absent. */
export async function readLog(logs: EpochLogs | undefined, key: string): Promise<number | undefined> {
  const v = logs?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  return (await v.data())[0];
}

/** Every entry of `logs` as plain numbers. */
export async function resolveLogs(logs: EpochLogs | undefined): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(logs ?? {})) {
    const v = await readLog(logs, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Options shared by the callbacks that watch a metric. */
export interface MonitorOptions {
  /** Log key to watch, e.g. `'val_loss'` (default), `'val_acc'`, `'loss'`. */
  monitor?: string;
  /**
   * Improvement direction. Default `'auto'`: keys containing `loss` or `error` are minimised;
   * accuracy, AUC, F1, precision, recall, IoU... maximised; anything else minimised.
   */
  mode?: MonitorMode;
  /** An improvement must beat the best by more than this. Default 0. */
  minDelta?: number;
}

/** @internal Tracks the best value of a monitored quantity, for the callbacks. */
export class BestTracker {
  /** Log key watched. */
  readonly monitor: string;
  /** Resolved direction. */
  readonly mode: 'min' | 'max';
  /** Required margin of improvement (non-negative). */
  readonly minDelta: number;
  /** Best value seen (or the initial reference). */
  best: number;

  /**
   * @param opts monitor options
   * @param fn name of the owning callback, for error messages
   * @param initial starting reference value (default +-Infinity)
   */
  constructor(opts: MonitorOptions, fn: string, initial?: number) {
    const { monitor = 'val_loss', mode = 'auto', minDelta = 0 } = opts;
    if (typeof monitor !== 'string' || monitor === '')
      throw new Error(`${fn}: 'monitor' must be a non-empty string`);
    checkOneOf(mode, ['auto', 'min', 'max'] as const, 'mode', fn);
    checkRange(minDelta, 'minDelta', fn, { lo: 0 });
    this.monitor = monitor;
    this.mode = resolveMode(monitor, mode);
    this.minDelta = minDelta;
    this.best = initial ?? (this.mode === 'min' ? Infinity : -Infinity);
  }

  /** Whether `value` improves on the best by more than `minDelta`. */
  improves(value: number): boolean {
    if (Number.isNaN(value)) return false;
    return this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }
}
