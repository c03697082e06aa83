// Browser twin of resume.ts (see tsup.config.ts): resuming reads a checkpoint folder on disk.
import type * as node from './resume';

export type { ResumedRun, ResumeOptions } from './resume';

/** Throws in the browser: checkpoint folders need Node's file system. */
export const resumeFrom: typeof node.resumeFrom = async () => {
  throw new Error(
    "resumeFrom: checkpoint folders need Node's file system; in the browser load a model saved with model.save('indexeddb://name')",
  );
};
