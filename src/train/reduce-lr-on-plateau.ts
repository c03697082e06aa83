import * as tfl from '@tensorflow/tfjs-layers';
import { checkRange } from '../util/checks';
import { getLearningRate, setLearningRate } from './learning-rate';
import { BestTracker, readLog, type EpochLogs, type MonitorOptions } from './monitor';

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions extends MonitorOptions {
  /** Multiplier applied to the rate on a plateau, in (0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** Lower bound of the rate. Default 0. */
  minLr?: number;
  /** Print a line at each reduction. Default false. */
  verbose?: boolean;
}

/**
 * Reduce the optimizer's learning rate when a metric has stopped improving (004), with
 * Keras' semantics (`minDelta` default 1e-4, `cooldown`, `minLr`). The new rate is written
 * into the live optimizer with {@link setLearningRate}.
 */
export class ReduceLROnPlateau extends tfl.Callback {
  /** Rates set so far, as `[epoch, lr]` pairs. */
  readonly reductions: [number, number][] = [];
  private readonly tracker: BestTracker;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private readonly verbose: boolean;
  private wait = 0;
  private cooldownLeft = 0;

  /** @param opts see {@link ReduceLROnPlateauOptions} */
  constructor(opts: ReduceLROnPlateauOptions = {}) {
    super();
    const fn = 'ReduceLROnPlateau';
    const { factor = 0.1, patience = 10, cooldown = 0, minLr = 0, verbose = false } = opts;
    checkRange(factor, 'factor', fn, { lo: 0, hi: 1, loOpen: true, hiOpen: true });
    if (!Number.isInteger(patience) || patience < 0)
      throw new Error(`${fn}: 'patience' must be a non-negative integer; got ${patience}`);
    if (!Number.isInteger(cooldown) || cooldown < 0)
      throw new Error(`${fn}: 'cooldown' must be a non-negative integer; got ${cooldown}`);
    checkRange(minLr, 'minLr', fn, { lo: 0 });
    this.tracker = new BestTracker({ minDelta: 1e-4, ...opts }, fn);
    this.factor = factor;
    this.patience = patience;
    this.cooldown = cooldown;
    this.minLr = minLr;
    this.verbose = verbose;
  }

  /** Reset the counters. */
  override async onTrainBegin(): Promise<void> {
    this.wait = 0;
    this.cooldownLeft = 0;
    this.tracker.best = this.tracker.mode === 'min' ? Infinity : -Infinity;
  }

  /** Count epochs without improvement and cut the rate when patience runs out. */
  override async onEpochEnd(epoch: number, logs?: EpochLogs): Promise<void> {
    const value = await readLog(logs, this.tracker.monitor);
    if (value === undefined) return;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft -= 1;
      this.wait = 0;
    }
    if (this.tracker.improves(value)) {
      this.tracker.best = value;
      this.wait = 0;
    } else if (this.cooldownLeft <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = getLearningRate(this.model.optimizer);
        if (old > this.minLr) {
          const lr = Math.max(old * this.factor, this.minLr);
          setLearningRate(this.model.optimizer, lr);
          this.reductions.push([epoch, lr]);
          if (this.verbose)
            console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}`);
          this.cooldownLeft = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}
