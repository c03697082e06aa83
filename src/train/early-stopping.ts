import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BestTracker, readLog, type EpochLogs, type MonitorOptions } from './monitor';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions extends MonitorOptions {
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** Stop as well unless the quantity beats this value. Default none. */
  baseline?: number;
  /** Put back the weights of the best epoch when training ends. Default false. */
  restoreBestWeights?: boolean;
  /** Print a line when stopping. Default false. */
  verbose?: boolean;
}

/**
 * Stop training when a monitored quantity stops improving (003 stops on validation loss;
 * 004 uses it with ReduceLROnPlateau). Unlike tfjs-layers' own `earlyStopping`, this one
 * implements `restoreBestWeights`: it keeps a copy of the weights of the best epoch and
 * writes them back into the model at the end of training (as Keras 3 does, whether or not
 * training stopped early). A missing monitored key is reported once, not crashed on.
 */
export class EarlyStopping extends tfl.Callback {
  /** Epoch (0-based) at which training was stopped, or -1. */
  stoppedEpoch = -1;
  /** Epoch (0-based) of the best value, or -1. */
  bestEpoch = -1;
  private readonly tracker: BestTracker;
  private readonly patience: number;
  private readonly baseline: number | undefined;
  private readonly restore: boolean;
  private readonly verbose: boolean;
  private wait = 0;
  private bestWeights: tf.Tensor[] | null = null;
  private warned = false;

  /** @param opts see {@link EarlyStoppingOptions} */
  constructor(opts: EarlyStoppingOptions = {}) {
    super();
    const { patience = 0, baseline, restoreBestWeights = false, verbose = false } = opts;
    if (!Number.isInteger(patience) || patience < 0) {
      throw new Error(`EarlyStopping: 'patience' must be a non-negative integer; got ${patience}`);
    }
    this.tracker = new BestTracker(opts, 'EarlyStopping', baseline);
    this.patience = patience;
    this.baseline = baseline;
    this.restore = restoreBestWeights;
    this.verbose = verbose;
  }

  /** Best value seen so far. */
  get best(): number {
    return this.tracker.best;
  }

  /** Reset the counters for a new `fit`. */
  override async onTrainBegin(): Promise<void> {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.bestEpoch = -1;
    this.tracker.best = this.baseline ?? (this.tracker.mode === 'min' ? Infinity : -Infinity);
    this.dropSnapshot();
  }

  /** Compare the epoch's monitored value with the best and stop when patience runs out. */
  override async onEpochEnd(epoch: number, logs?: EpochLogs): Promise<void> {
    const value = await readLog(logs, this.tracker.monitor);
    if (value === undefined) {
      if (!this.warned)
        console.warn(`EarlyStopping: '${this.tracker.monitor}' is not in the logs; not stopping`);
      this.warned = true;
      return;
    }
    this.wait += 1;
    if (this.tracker.improves(value)) {
      this.tracker.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restore) this.snapshot();
      return;
    }
    // As Keras: the first epoch's weights are a fallback even when a baseline was never beaten.
    if (this.restore && this.bestWeights === null) this.snapshot();
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
      if (this.verbose)
        console.log(`Epoch ${epoch + 1}: early stopping (best ${this.tracker.monitor} ${this.best})`);
    }
  }

  /** Restore the best weights if asked to, and free the copy. */
  override async onTrainEnd(): Promise<void> {
    if (this.restore && this.bestWeights !== null) {
      this.model.setWeights(this.bestWeights);
      if (this.verbose) console.log(`EarlyStopping: restored weights of epoch ${this.bestEpoch + 1}`);
    }
    this.dropSnapshot();
  }

  private snapshot(): void {
    this.dropSnapshot();
    this.bestWeights = this.model.getWeights().map((w) => tf.clone(w));
  }

  private dropSnapshot(): void {
    if (this.bestWeights) tf.dispose(this.bestWeights);
    this.bestWeights = null;
  }
}
