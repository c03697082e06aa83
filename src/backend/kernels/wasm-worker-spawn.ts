// Node: a worker of the wasm pool (wasm-pool.ts) is a worker_threads Worker evaluating the body
// from a string (no file: nothing is written to disk), unref'd so it never keeps the process alive.
// The browser twin (wasm-worker-spawn.browser.ts) starts a Web Worker from a Blob URL instead.
import { Worker } from 'node:worker_threads';

/**
 * Start a worker running `body` (the source of one function taking `data`) with `data`
 * (structured-cloned: a WebAssembly.Module, a shared memory, SharedArrayBuffers); false when
 * it cannot be started. It lives as long as the process, which it never keeps alive.
 */
export function spawnWorker(body: string, data: Record<string, unknown>): boolean {
  try {
    const w = new Worker(`(${body})(require('node:worker_threads').workerData);`, {
      eval: true,
      workerData: data,
    });
    w.unref();
    // a worker that dies (out of memory) leaves its jobs unanswered: the pool's caller then
    // waits; failures inside a job are reported through the control block instead
    w.on('error', () => undefined);
    return true;
  } catch {
    return false;
  }
}

/**
 * Workers of the products' pool beside the calling thread, for XNNPACK's `threads`: in Node as
 * many threads as XNNPACK's (setupBackend's `threads`, every core by default).
 */
export function poolWorkers(threads: number): number {
  return Math.max(0, threads - 1);
}
