// The one-pass ClipByValue gradient (MedinetsClipGrad, native and JS) equals tfjs' own
// gradient formula, where(logicalAnd(greaterEqual(x, lo), lessEqual(x, hi)), dy, zerosLike(dy)),
// evaluated by tfjs' cpu kernels, bit for bit: both bounds, negative zero, NaN, bounds that
// round to float32; and it is what training a ReLU(maxValue) layer runs.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels, nativeKernelsInUse } from '../../src/backend';
import { randn } from './kernel-helpers';

afterAll(async () => {
  enableNativeKernels();
  await tf.setBackend('cpu');
});

if (!nativeKernelsInUse().active && process.env.CI === 'true') {
  throw new Error(`the native addon is required under CI: ${nativeKernelsInUse().reason ?? ''}`);
}

const X = Float32Array.from(
  [...randn([997], 5).data]
    .map((v) => v * 4)
    .concat([0, -0, 6, 6.0000005, 5.9999995, NaN, -1, 1e-30, -0.1, 0.1, Infinity, -Infinity]),
);
const DY = Float32Array.from(
  [...randn([X.length], 6).data].map((v, i) => (i % 7 === 0 ? -v : i % 11 === 0 ? -0 : v)),
);
const BOUNDS: [number, number][] = [
  [0, 6],
  [-0.1, 0.1], // not float32 values: compared as tfjs' float32 scalars
  [-1, 1],
];

/** tfjs' own formula on tfjs' cpu kernels (the reference). */
async function reference(lo: number, hi: number): Promise<Float32Array> {
  await tf.setBackend('cpu');
  return tf.tidy(() => {
    const x = tf.tensor1d(X);
    const dy = tf.tensor1d(DY);
    const keep = tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi));
    return Float32Array.from(tf.where(keep, dy, tf.zerosLike(dy)).dataSync());
  });
}

async function viaGrad(backend: 'wasm' | 'cpu', lo: number, hi: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) => tf.clipByValue(x, lo, hi))(tf.tensor1d(X), tf.tensor1d(DY));
    return Float32Array.from(g.dataSync());
  });
}

const bits = (a: Float32Array): string => Buffer.from(a.buffer).toString('hex');

describe('MedinetsClipGrad', () => {
  for (const native of [true, false]) {
    for (const backend of ['wasm', 'cpu'] as const) {
      it(`on ${backend}, ${native ? 'native' : 'JS'}: tfjs' bits`, async () => {
        for (const [lo, hi] of BOUNDS) {
          const want = await reference(lo, hi);
          if (native) enableNativeKernels();
          else disableNativeKernels();
          await tf.setBackend(backend);
          const before = tf.memory().numTensors;
          const got = await viaGrad(backend, lo, hi);
          expect(tf.memory().numTensors).toBe(before);
          expect(bits(got), `[${lo}, ${hi}]`).toBe(bits(want));
          const profile = await tf.profile(() => viaGrad(backend, lo, hi));
          expect(profile.kernels.some((k) => k.name === 'MedinetsClipGrad')).toBe(true);
          expect(profile.kernels.some((k) => k.name === 'LogicalAnd')).toBe(false);
        }
      });
    }
  }

  it('trains relu then clipByValue (a capped ReLU other than ReLU6) through it', async () => {
    enableNativeKernels();
    await tf.setBackend('wasm');
    // (tfjs-layers' ReLU(maxValue: 6) runs tf.relu6 instead: src/backend/kernels/layer-paths.ts)
    const x = tf.tensor2d([[-1, 0, 3, 6, 7]]);
    const profile = await tf.profile(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.clipByValue(tf.relu(t), 0, 6)))(x);
      // relu' is 0 at 0; the clip passes 6 (lo <= x <= hi), relu6's own gradient would not
      expect(Array.from(g.dataSync())).toEqual([0, 0, 1, 1, 0]);
      g.dispose();
    });
    expect(profile.kernels.some((k) => k.name === 'MedinetsClipGrad')).toBe(true);
    x.dispose();
  });

  it('has a second-order gradient (linear in dy)', async () => {
    enableNativeKernels();
    await tf.setBackend('wasm');
    const x = tf.tensor1d([-1, 0.5, 2]);
    const w = tf.tensor1d([3, 4, 5]);
    const g = tf.grad((dy: tf.Tensor) => tf.sum(tf.grad((t: tf.Tensor) => tf.clipByValue(t, 0, 1))(x, dy)))(
      w,
    );
    expect(Array.from(g.dataSync())).toEqual([0, 1, 0]);
    tf.dispose([x, w, g]);
  });
});
