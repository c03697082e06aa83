/** Backend choice and timing helpers shared by the examples. */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, type BackendReport } from 'medinets/backend';
import type { ExampleArgs } from './cli';

export async function initBackend(args: ExampleArgs): Promise<BackendReport> {
  const report = await setupBackend(args.backend ? { prefer: args.backend } : {});
  console.log(
    `backend: ${report.backend}` +
      (report.native.active
        ? `, native kernels ${report.native.simd} on ${report.native.threads} threads`
        : report.backend === 'wasm'
          ? ` on ${report.threads} threads (native kernels off: ${report.native.reason ?? 'unknown'})`
          : '') +
      (report.skipped.length
        ? ` (skipped ${report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')})`
        : ''),
  );
  return report;
}

export function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Assert the example left no tensors behind (examples double as leak checks). */
export function reportTensors(label: string, before: number): void {
  const now = tf.memory().numTensors;
  if (now !== before) console.warn(`${label}: ${now - before} tensors still allocated`);
}
