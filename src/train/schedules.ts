import { checkPositiveInt, checkRange } from '../util/checks';

/** A learning-rate schedule: the rate to use during `epoch` (0-based). Pure. */
export type Schedule = (epoch: number) => number;

/** Options of {@link cosineSchedule}. */
export interface CosineScheduleOptions {
  /** Rate at epoch 0. */
  baseLr: number;
  /** Half-cosine length in epochs. Default 10 (001: "cosine scheduling with a period of 10"). */
  period?: number;
  /** Floor of the schedule. Default 0. */
  minLr?: number;
  /**
   * `false` (default): PyTorch `CosineAnnealingLR(T_max=period)`, which after `period`
   * epochs climbs back up (a cosine of period `2 * period`); `true`: warm restarts
   * (SGDR, PyTorch `CosineAnnealingWarmRestarts(T_0=period)`), jumping back to `baseLr`
   * every `period` epochs.
   */
  restarts?: boolean;
}

/**
 * Cosine annealing (Loshchilov & Hutter, SGDR, 2017):
 * `lr(e) = minLr + (baseLr - minLr) (1 + cos(pi t / period)) / 2`, with `t = e` or, with
 * restarts, `t = e mod period`.
 */
export function cosineSchedule(opts: CosineScheduleOptions): Schedule {
  const fn = 'cosineSchedule';
  const { baseLr, period = 10, minLr = 0, restarts = false } = opts;
  checkRange(baseLr, 'baseLr', fn, { lo: 0 });
  checkPositiveInt(period, 'period', fn);
  checkRange(minLr, 'minLr', fn, { lo: 0, hi: baseLr });
  return (epoch) => {
    const t = restarts ? epoch % period : epoch;
    return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * t) / period))) / 2;
  };
}

/** Options of {@link stepDecay}. */
export interface StepDecayOptions {
  /** Rate at epoch 0. */
  baseLr: number;
  /** Epochs between decays (002: 400). */
  stepSize: number;
  /** Multiplier at each step. Default 0.5 (002 halves the rate). */
  factor?: number;
}

/** Step decay, PyTorch `StepLR`: `lr(e) = baseLr * factor^floor(e / stepSize)`. */
export function stepDecay(opts: StepDecayOptions): Schedule {
  const fn = 'stepDecay';
  const { baseLr, stepSize, factor = 0.5 } = opts;
  checkRange(baseLr, 'baseLr', fn, { lo: 0 });
  checkPositiveInt(stepSize, 'stepSize', fn);
  checkRange(factor, 'factor', fn, { lo: 0 });
  return (epoch) => baseLr * Math.pow(factor, Math.floor(epoch / stepSize));
}

/** Options of {@link withWarmup}. */
export interface WarmupOptions {
  /** Warm-up length in epochs. */
  epochs: number;
  /** Fraction of the target rate at epoch 0. Default 0.1. */
  startFactor?: number;
}

/**
 * Linear warm-up in front of a schedule (Goyal et al., 2017): for `e < epochs`,
 * `lr(e) = after(0) (startFactor + (1 - startFactor) e / epochs)` (PyTorch `LinearLR`);
 * afterwards `after(e - epochs)`, so the wrapped schedule starts when warm-up ends
 * (as PyTorch `SequentialLR`). Pass a number for a constant rate after warm-up.
 */
export function withWarmup(after: Schedule | number, opts: WarmupOptions): Schedule {
  const fn = 'withWarmup';
  const { epochs, startFactor = 0.1 } = opts;
  checkPositiveInt(epochs, 'epochs', fn);
  checkRange(startFactor, 'startFactor', fn, { lo: 0, hi: 1 });
  const next: Schedule = typeof after === 'number' ? () => after : after;
  return (epoch) =>
    epoch < epochs ? next(0) * (startFactor + ((1 - startFactor) * epoch) / epochs) : next(epoch - epochs);
}
