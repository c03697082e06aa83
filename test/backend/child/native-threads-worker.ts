// One worker_thread of native-threads-child.ts: computes the work `iterations` times while
// the other workers do the same, and posts every result.
import { parentPort, workerData } from 'node:worker_threads';
import { setup, work } from './native-threads-work';

const { threads, iterations } = workerData as { threads: number; iterations: number };
await setup(threads);
const results: Uint32Array[][] = [];
for (let i = 0; i < iterations; i++) results.push(work());
parentPort?.postMessage(results);
