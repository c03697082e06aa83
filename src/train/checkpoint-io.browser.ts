// Browser twin of checkpoint-io.ts (see tsup.config.ts): checkpoints are folders on disk with
// crash-safe swaps, which a page cannot make. In the browser save with
// `model.save('indexeddb://name')` or `'downloads://name'` instead.
import type * as node from './checkpoint-io';

export type { CheckpointState, LoadedCheckpoint, SaveCheckpointOptions } from './checkpoint-io';

function needsNode(caller: string): never {
  throw new Error(
    `${caller}: checkpoint folders need Node's file system; in the browser use model.save('indexeddb://name') or 'downloads://name'`,
  );
}

/** Throws in the browser: see the module comment. */
export const saveCheckpoint: typeof node.saveCheckpoint = async () => needsNode('saveCheckpoint');

/** Throws in the browser: see the module comment. */
export const loadCheckpoint: typeof node.loadCheckpoint = async () => needsNode('loadCheckpoint');

/** Throws in the browser: see the module comment. */
export const restoreOptimizer: typeof node.restoreOptimizer = async () => needsNode('restoreOptimizer');
