import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadCheckpoint, restoreOptimizer, type CheckpointState } from './checkpoint-io';
import type { ModelCheckpointOptions } from './model-checkpoint';

/** Options of {@link resumeFrom}. */
export interface ResumeOptions {
  /** Compile the restored model with these arguments and put the saved optimizer state back. */
  compile?: tfl.ModelCompileArgs;
}

/** A run restored by {@link resumeFrom}. */
export interface ResumedRun {
  /** The model with the last checkpoint's weights (compiled when `compile` was given). */
  model: tfl.LayersModel;
  /** Pass as `initialEpoch` to `fit` / {@link fitWithMixing}: the number of completed epochs. */
  initialEpoch: number;
  /** The checkpoint's saved state. */
  state: CheckpointState;
  /** Whether optimizer slots were restored. */
  optimizerRestored: boolean;
  /** Options to continue a {@link ModelCheckpoint} seamlessly (`initialBest`, `initialHistory`). */
  checkpoint: Pick<ModelCheckpointOptions, 'initialBest' | 'initialHistory'>;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Resume training from the last checkpoint a {@link ModelCheckpoint} wrote to `dir`
 * (`dir/last`, or `dir` itself if it is a checkpoint). The epoch counter saved beside the
 * weights becomes `initialEpoch`, so schedules and logs continue where they stopped:
 * ```ts
 * const run = await resumeFrom('ckpt', { compile: { optimizer: tf.train.adam(1e-4), loss } });
 * await run.model.fit(x, y, { epochs: 20, initialEpoch: run.initialEpoch,
 *   callbacks: [new ModelCheckpoint({ dir: 'ckpt', ...run.checkpoint })] });
 * ```
 */
export async function resumeFrom(dir: string, opts: ResumeOptions = {}): Promise<ResumedRun> {
  const last = join(dir, 'last');
  const { model, state } = await loadCheckpoint((await isDir(last)) ? last : dir);
  let optimizerRestored = false;
  if (opts.compile) {
    model.compile(opts.compile);
    optimizerRestored = await restoreOptimizer(model.optimizer, (await isDir(last)) ? last : dir);
  }
  return {
    model,
    initialEpoch: state.epoch,
    state,
    optimizerRestored,
    checkpoint: { initialBest: state.best, initialHistory: state.history },
  };
}
