/**
 * Stopping on a NaN or infinite loss (Keras `TerminateOnNaN`): once a batch's loss is not
 * finite, every later step only spreads NaN through the weights, so training stops there —
 * quietly (`model.stopTraining`, as Keras) or with a {@link NonFiniteLossError}.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { readLog, type EpochLogs } from './monitor';

/** Thrown by {@link TerminateOnNaN} with `action: 'throw'`: where the loss stopped being finite. */
export class NonFiniteLossError extends Error {
  /** Epoch (0-based) of the batch. */
  readonly epoch: number;
  /** Batch (0-based, within the epoch). */
  readonly batch: number;
  /** The loss value: NaN, Infinity or -Infinity. */
  readonly loss: number;

  /**
   * @param epoch epoch (0-based) of the batch.
   * @param batch batch index within the epoch.
   * @param loss the non-finite loss value.
   */
  constructor(epoch: number, batch: number, loss: number) {
    super(`TerminateOnNaN: the loss is ${loss} at epoch ${epoch}, batch ${batch}; training stopped`);
    this.name = 'NonFiniteLossError';
    this.epoch = epoch;
    this.batch = batch;
    this.loss = loss;
  }
}

/** Options of {@link TerminateOnNaN}. */
export interface TerminateOnNaNOptions {
  /**
   * `'stop'` (default): set `model.stopTraining`, so `fit` returns normally after that batch
   * (Keras's behaviour; {@link TerminateOnNaN.stoppedAt} says where). `'throw'`: `fit` rejects
   * with a {@link NonFiniteLossError}.
   */
  action?: 'stop' | 'throw';
  /** Print a line when stopping. Default false. */
  verbose?: boolean;
}

/**
 * Stops training at the first batch whose loss is NaN or infinite. Works with `model.fit`,
 * `fitDataset` and {@link fitWithMixing}.
 */
export class TerminateOnNaN extends tfl.Callback {
  /** Where training was stopped, or null. */
  stoppedAt: {
    /** The epoch (from 0) of the first non-finite loss. */
    epoch: number;
    /** The batch (from 0, within that epoch) of the first non-finite loss. */
    batch: number;
    /** The loss value seen there (NaN or ±Infinity). */
    loss: number;
  } | null = null;
  private readonly action: 'stop' | 'throw';
  private readonly verbose: boolean;
  private epoch = 0;

  /** @param opts see {@link TerminateOnNaNOptions} */
  constructor(opts: TerminateOnNaNOptions = {}) {
    super();
    const { action = 'stop', verbose = false } = opts;
    if (action !== 'stop' && action !== 'throw') {
      throw new Error(`TerminateOnNaN: 'action' must be 'stop' or 'throw'; got '${String(action)}'`);
    }
    this.action = action;
    this.verbose = verbose;
  }

  /** Reset for a new `fit`. */
  override async onTrainBegin(): Promise<void> {
    this.stoppedAt = null;
  }

  /** Remember the epoch, for the report. */
  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
  }

  /** Check the batch's loss. */
  override async onBatchEnd(batch: number, logs?: EpochLogs): Promise<void> {
    const loss = await readLog(logs, 'loss');
    if (loss === undefined || Number.isFinite(loss)) return;
    this.stoppedAt = { epoch: this.epoch, batch, loss };
    if (this.verbose) console.log(`TerminateOnNaN: loss ${loss} at epoch ${this.epoch}, batch ${batch}`);
    if (this.action === 'throw') throw new NonFiniteLossError(this.epoch, batch, loss);
    if (this.model) this.model.stopTraining = true;
  }
}
