import * as tfl from '@tensorflow/tfjs-layers';
import { setLearningRate } from './learning-rate';
import type { Schedule } from './schedules';

/** Options of {@link LearningRateScheduler}. */
export interface LearningRateSchedulerOptions {
  /** Print the rate at each epoch. Default false. */
  verbose?: boolean;
  /**
   * Update before every batch with the fractional epoch `epoch + batch / steps` (smooth
   * cosine, per-iteration warm-up). Needs `steps` or `samples` and `batchSize` in the fit
   * parameters (both `model.fit` and {@link fitWithMixing} provide them). Default false.
   */
  perBatch?: boolean;
}

/**
 * Set the optimizer's learning rate from a {@link Schedule} at the start of every epoch
 * (Keras `LearningRateScheduler`), e.g. `cosineSchedule({ baseLr: 1e-4, period: 10 })` for
 * 001 or `stepDecay({ baseLr: 0.007, stepSize: 400 })` for 002. Epochs are counted from
 * `fit`'s `initialEpoch`, so a resumed run continues the schedule.
 */
export class LearningRateScheduler extends tfl.Callback {
  /** Rate set at each epoch, indexed by epoch. */
  readonly rates: number[] = [];
  private readonly schedule: Schedule;
  private readonly verbose: boolean;
  private readonly perBatch: boolean;
  private epoch = 0;

  /**
   * @param schedule epoch -> learning rate
   * @param opts see {@link LearningRateSchedulerOptions}
   */
  constructor(schedule: Schedule, opts: LearningRateSchedulerOptions = {}) {
    super();
    if (typeof schedule !== 'function')
      throw new Error(`LearningRateScheduler: 'schedule' must be a function epoch -> lr`);
    this.schedule = schedule;
    this.verbose = opts.verbose ?? false;
    this.perBatch = opts.perBatch ?? false;
  }

  private apply(at: number): number {
    const lr = this.schedule(at);
    if (!Number.isFinite(lr) || lr < 0)
      throw new Error(`LearningRateScheduler: schedule(${at}) returned ${lr}`);
    setLearningRate(this.model.optimizer, lr);
    return lr;
  }

  private get steps(): number {
    const s = Number(this.params?.['steps'] ?? 0);
    if (s > 0) return s;
    const n = Number(this.params?.['samples'] ?? 0);
    const b = Number(this.params?.['batchSize'] ?? 0);
    return n > 0 && b > 0 ? Math.ceil(n / b) : 0;
  }

  /** Apply the scheduled rate for `epoch`. */
  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    const lr = this.apply(epoch);
    this.rates[epoch] = lr;
    if (this.verbose) console.log(`Epoch ${epoch + 1}: learning rate ${lr}`);
  }

  /** With `perBatch`, apply the rate of the fractional epoch. */
  override async onBatchBegin(batch: number): Promise<void> {
    if (!this.perBatch || batch === 0) return;
    const steps = this.steps;
    if (steps > 0) this.apply(this.epoch + batch / steps);
  }
}
