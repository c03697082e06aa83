// Browser twin of wasm-threads.ts (see tsup.config.ts). In a page, tfjs-backend-wasm loads its
// threaded binary by itself when the page is cross-origin isolated (served with
// `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`),
// and its worker pool is sized by the browser: nothing here patches Node's `Worker` or `os`.
import * as tf from '@tensorflow/tfjs-core';
import { checkIntRange } from '../util/checks';
import type * as node from './wasm-threads';

export type { WasmThreadsOptions, WasmThreadsReport } from './wasm-threads';

interface WasmBackendLike {
  wasm?: { tfjs?: { getThreadsCount?: () => number } };
}

/** Every logical core the browser reports (`navigator.hardwareConcurrency`), at most 8. */
export const defaultWasmThreads: typeof node.defaultWasmThreads = () => {
  const n =
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(8, n));
};

/**
 * Report whether the wasm backend can run threads in this page: only when it is
 * cross-origin isolated. The thread count itself is tfjs-backend-wasm's (its
 * `setThreadsCount`, called by the app before the backend initialises).
 * @throws Error when `threads` is not an integer from 1 to 8.
 */
export const enableWasmThreads: typeof node.enableWasmThreads = async (options = {}) => {
  const threads = options.threads ?? defaultWasmThreads();
  checkIntRange(threads, 1, 8, 'threads', 'enableWasmThreads');
  if (threads === 1) return { threads };
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
    return {
      threads: 1,
      reason:
        'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
    };
  }
  return { threads };
};

/** The threads the initialised wasm backend uses (1 before it is initialised or when it is not). */
export const wasmThreadsInUse: typeof node.wasmThreadsInUse = () => {
  const registry = (tf.engine() as unknown as { registry: Record<string, WasmBackendLike> }).registry;
  return registry?.wasm?.wasm?.tfjs?.getThreadsCount?.() ?? 1;
};
