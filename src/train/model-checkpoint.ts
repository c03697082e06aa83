import * as tfl from '@tensorflow/tfjs-layers';
import { saveCheckpoint, type CheckpointState } from './checkpoint-io';
import { BestTracker, resolveLogs, type EpochLogs, type MonitorOptions } from './monitor';

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions extends MonitorOptions {
  /** Directory receiving `best/` (and `last/`). */
  dir: string;
  /** Also write `last/` after every epoch, for {@link resumeFrom}. Default true. */
  saveLast?: boolean;
  /** Store optimizer slots too, so a resumed run continues exactly. Default true. */
  includeOptimizer?: boolean;
  /** Best value of a previous run being resumed (see {@link resumeFrom}). Default none. */
  initialBest?: number;
  /** History of a previous run being resumed, continued in `state.json`. */
  initialHistory?: Record<string, number[]>;
  /** Print a line when a new best is saved. Default false. */
  verbose?: boolean;
}

/**
 * Save the best model by a monitored metric (000 "keep the best checkpoint", 003
 * `ModelCheckpoint(save_best_only=True)`) into `dir/best/`, and the latest into
 * `dir/last/` for resuming. Every write is atomic (see {@link saveCheckpoint}): a crash
 * mid-write never leaves a broken checkpoint. Each checkpoint carries `state.json`
 * ({@link CheckpointState}: completed epochs, best value, history).
 */
export class ModelCheckpoint extends tfl.Callback {
  /** Epoch (0-based) of the best checkpoint, or -1. */
  bestEpoch = -1;
  /** Number of times `best/` was written. */
  saves = 0;
  private readonly tracker: BestTracker;
  private readonly dir: string;
  private readonly saveLast: boolean;
  private readonly includeOptimizer: boolean;
  private readonly verbose: boolean;
  private history: Record<string, number[]>;
  private warned = false;

  /** @param opts see {@link ModelCheckpointOptions} */
  constructor(opts: ModelCheckpointOptions) {
    super();
    if (!opts || typeof opts.dir !== 'string' || opts.dir === '') {
      throw new Error(`ModelCheckpoint: 'dir' must be a non-empty path`);
    }
    this.tracker = new BestTracker(opts, 'ModelCheckpoint', opts.initialBest);
    this.dir = opts.dir;
    this.saveLast = opts.saveLast ?? true;
    this.includeOptimizer = opts.includeOptimizer ?? true;
    this.verbose = opts.verbose ?? false;
    this.history = structuredClone(opts.initialHistory ?? {});
  }

  /** Best monitored value so far. */
  get best(): number {
    return this.tracker.best;
  }

  /** Path of the best checkpoint. */
  get bestDir(): string {
    return `${this.dir.replace(/[\\/]+$/, '')}/best`; // '/' works on Windows too
  }

  /** Path of the latest checkpoint. */
  get lastDir(): string {
    return `${this.dir.replace(/[\\/]+$/, '')}/last`;
  }

  /** Save `best/` on improvement and `last/` every epoch. */
  override async onEpochEnd(epoch: number, logs?: EpochLogs): Promise<void> {
    const values = await resolveLogs(logs);
    for (const [k, v] of Object.entries(values)) (this.history[k] ??= []).push(v);
    const value = values[this.tracker.monitor];
    const improved = value !== undefined && this.tracker.improves(value);
    if (improved) {
      this.tracker.best = value;
      this.bestEpoch = epoch;
    }
    const state: CheckpointState = {
      epoch: epoch + 1,
      monitor: this.tracker.monitor,
      best: Number.isFinite(this.tracker.best) ? this.tracker.best : undefined,
      bestEpoch: this.bestEpoch,
      logs: values,
      history: this.history,
    };
    if (improved) {
      await saveCheckpoint(this.model, this.bestDir, { state, includeOptimizer: this.includeOptimizer });
      this.saves += 1;
      if (this.verbose)
        console.log(
          `Epoch ${epoch + 1}: ${this.tracker.monitor} improved to ${value}; saved ${this.bestDir}`,
        );
    } else if (value === undefined && !this.warned) {
      this.warned = true;
      console.warn(`ModelCheckpoint: '${this.tracker.monitor}' is not in the logs; only 'last' is saved`);
    }
    if (this.saveLast)
      await saveCheckpoint(this.model, this.lastDir, { state, includeOptimizer: this.includeOptimizer });
  }
}
