/**
 * `npm run bench -- --simd-ab [nets] [--rounds=4] [--steps=3]`: the wasm-only training step
 * (no addon) with medinets' WebAssembly SIMD kernels (wasm/*.c) against the same step with
 * them off (the JS kernels and tfjs' optimizer update), in one process on one model, the two
 * sides alternated over the rounds (the order turns each round); each side's best median is
 * printed with the speed-up. Cheaper than `--table --configs=wasm,wasm-js` (no PyTorch, no
 * child processes), so usable on a busy machine; the load average is printed.
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { setupBackend } from '../src/backend';
import { useWasmSimd, wasmSimdStatus } from '../src/backend/kernels/wasm-simd';
import { prepareNet } from './table';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Runs the A/B for each net and prints one line per net. */
export async function benchSimdAB(names: string[], rounds: number, steps: number): Promise<void> {
  const r = await setupBackend({ prefer: 'wasm', native: false });
  const status = wasmSimdStatus(tf.backend());
  if (!status.active)
    throw new Error(`bench --simd-ab: the SIMD kernels are not active: ${status.reason ?? ''}`);
  console.log(
    `wasm only (XNNPACK on ${r.threads} threads): train step with / without medinets' SIMD kernels; load average ${os.loadavg()[0]?.toFixed(1) ?? '?'}`,
  );
  for (const name of names) {
    const { model, x, y } = prepareNet(name);
    const best = { simd: Infinity, js: Infinity };
    for (let k = 0; k < rounds; k++) {
      for (const side of k % 2 === 0 ? (['simd', 'js'] as const) : (['js', 'simd'] as const)) {
        useWasmSimd(side === 'simd');
        await model.trainOnBatch(x, y); // warm-up of this side's kernels
        const ts: number[] = [];
        for (let s = 0; s < steps; s++) {
          const t0 = performance.now();
          await model.trainOnBatch(x, y);
          ts.push(performance.now() - t0);
        }
        best[side] = Math.min(best[side], median(ts) / 1000);
      }
    }
    useWasmSimd(true);
    console.log(
      `  ${name.padEnd(12)} SIMD ${best.simd.toFixed(3)} s   JS ${best.js.toFixed(3)} s   speed-up ${(best.js / best.simd).toFixed(3)}x   (${(100 * (1 - best.simd / best.js)).toFixed(1)} % of the step; load ${os.loadavg()[0]?.toFixed(1) ?? '?'})`,
    );
    tf.dispose([x, y]);
    model.optimizer?.dispose();
    model.dispose();
  }
}
