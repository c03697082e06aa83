// Browser twin of wasm-worker-spawn.ts (see tsup.config.ts): a Web Worker from a Blob URL,
// sent its data by postMessage. A page whose CSP refuses blob: workers gets false (the caller
// then computes alone). The URL stays valid: the worker loads it asynchronously.
import type * as node from './wasm-worker-spawn';

interface WebWorker {
  postMessage(data: unknown): void;
}
interface WorkerGlobals {
  Worker?: new (url: string) => WebWorker;
  Blob?: new (parts: string[], opts: { type: string }) => object;
  URL?: { createObjectURL(b: object): string };
}

/** See wasm-worker-spawn.ts. */
export const spawnWorker: typeof node.spawnWorker = (body, data) => {
  const g = globalThis as WorkerGlobals;
  if (g.Worker == null || g.Blob == null || g.URL == null) return false;
  try {
    const url = g.URL.createObjectURL(
      new g.Blob([`self.onmessage = function (ev) { (${body})(ev.data); };`], { type: 'text/javascript' }),
    );
    new g.Worker(url).postMessage(data);
    return true;
  } catch {
    return false;
  }
};

/**
 * See wasm-worker-spawn.ts. In a page tfjs' threaded binary caps XNNPACK at half the logical
 * cores; the products' pool takes every core (at most 8), since XNNPACK waits while they run.
 */
export const poolWorkers: typeof node.poolWorkers = (threads) => {
  const cores =
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(0, Math.max(threads, Math.min(8, cores)) - 1);
};
