import * as tfl from '@tensorflow/tfjs-layers';
import { setLearningRate } from './learning-rate';
import type { Schedule } from './schedules';

/** Options of {@link LearningRateScheduler}. */
export interface LearningRateSchedulerOptions {
  /** Print the rate at each epoch. Default false. */
  verbose?: boolean;
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

  /**
   * @param schedule epoch -> learning rate
   * @param opts see {@link LearningRateSchedulerOptions}
   */
  constructor(schedule: Schedule, opts: LearningRateSchedulerOptions = {}) {
    super();
    if (typeof schedule !== 'function') throw new Error(`LearningRateScheduler: 'schedule' must be a function epoch -> lr`);
    this.schedule = schedule;
    this.verbose = opts.verbose ?? false;
  }

  /** Apply the scheduled rate for `epoch`. */
  override async onEpochBegin(epoch: number): Promise<void> {
    const lr = this.schedule(epoch);
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`LearningRateScheduler: schedule(${epoch}) returned ${lr}`);
    setLearningRate(this.model.optimizer, lr);
    this.rates[epoch] = lr;
    if (this.verbose) console.log(`Epoch ${epoch + 1}: learning rate ${lr}`);
  }
}
