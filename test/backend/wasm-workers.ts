import * as tf from '@tensorflow/tfjs-core';
import { disableNativeKernels, setupBackend } from '../../src/backend';
import { useRelaxedSimd, wasmSimd, type SimdKernels } from '../../src/backend/kernels/wasm-simd';

/**
 * The wasm backend's SIMD kernels with their workers, for the tests of the module's products:
 * the plain product (XNNPACK's bits) whatever the engine (the relaxed one has its own child
 * process), the threaded binary (a shared heap, which the workers need) on 2 threads, the addon
 * off. The workers start asynchronously: this waits for them, and throws when there are none
 * (every test of a split between threads would run on one).
 */
export async function plainWasmWithWorkers(): Promise<SimdKernels> {
  useRelaxedSimd(false);
  const report = await setupBackend({ prefer: 'wasm', threads: 2, native: false });
  if (report.threads !== 2) throw new Error(`the wasm backend runs ${report.threads} threads, not 2`);
  disableNativeKernels();
  const simd = wasmSimd(tf.backend());
  if (simd == null) throw new Error('the wasm SIMD kernels are not running');
  const until = Date.now() + 30_000;
  while (simd.gemmWorkers().ready < simd.gemmWorkers().started && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
  const { started, ready } = simd.gemmWorkers();
  if (started < 1 || ready !== started)
    throw new Error(`the products' workers: ${ready} of ${started} ready`);
  return simd;
}
