// The one-pass ReLU / ReLU6 gradient (MedinetsReluGrad, native and JS) equals tfjs' own
// gradient formula, mul(dy, cast(step(x))) (ReLU6: times lessEqual(x, 6)), evaluated by tfjs'
// cpu kernels, bit for bit: zeros, the cap, negative zero, NaN; and it is what training runs.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
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
  [...randn([997], 3).data].map((v) => v * 4).concat([0, -0, 6, 6.0000005, 5.9999995, NaN, -1, 1e-30]),
);
const DY = Float32Array.from([...randn([X.length], 4).data].map((v, i) => (i % 7 === 0 ? -v : v)));

/** tfjs' own formula on tfjs' cpu kernels (the reference). */
async function reference(cap: number): Promise<Float32Array> {
  await tf.setBackend('cpu');
  return tf.tidy(() => {
    const x = tf.tensor1d(X);
    const dy = tf.tensor1d(DY);
    let mask = tf.cast(tf.step(x), 'float32');
    if (cap === 6) mask = tf.mul(tf.lessEqual(x, 6), tf.step(x));
    return Float32Array.from(tf.mul(dy, tf.cast(mask, 'float32')).dataSync());
  });
}

async function viaGrad(backend: 'wasm' | 'cpu', cap: number): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const f = (x: tf.Tensor): tf.Tensor => (cap === 6 ? tf.relu6(x) : tf.relu(x));
    const g = tf.grad(f)(tf.tensor1d(X), tf.tensor1d(DY));
    return Float32Array.from(g.dataSync());
  });
}

const bits = (a: Float32Array): string => Buffer.from(a.buffer).toString('hex');

describe('MedinetsReluGrad', () => {
  for (const native of [true, false]) {
    for (const backend of ['wasm', 'cpu'] as const) {
      for (const cap of [Infinity, 6]) {
        it(`${cap === 6 ? 'relu6' : 'relu'} on ${backend}, ${native ? 'native' : 'JS'}: tfjs' bits`, async () => {
          const want = await reference(cap);
          if (native) enableNativeKernels();
          else disableNativeKernels();
          await tf.setBackend(backend);
          const before = tf.memory().numTensors;
          const got = await viaGrad(backend, cap);
          expect(tf.memory().numTensors).toBe(before);
          expect(bits(got)).toBe(bits(want));
          // and the kernel is what ran
          const profile = await tf.profile(() => viaGrad(backend, cap));
          expect(profile.kernels.some((k) => k.name === 'MedinetsReluGrad')).toBe(true);
          expect(profile.kernels.some((k) => k.name === 'Step')).toBe(false);
        });
      }
    }
  }

  // ReLU's tape entry saves its output, which the next matrix product saves anyway, so the
  // ReLU's input is freed when the forward pass ends (PyTorch's in-place ReLU keeps one tensor
  // there too); ReLU6 must keep its input (an output of 6 does not give the mask at x > 6).
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`relu on ${backend}: the backward pass starts without the ReLU's input`, async () => {
      enableNativeKernels();
      await tf.setBackend(backend);
      const n = 4096;
      const x = tf.randomNormal([16, n / 16], 0, 1, 'float32', 5);
      const w = tf.randomNormal([n / 16, 8], 0, 1, 'float32', 6);
      // the first gradient the backward pass runs is Sum's: the data buffers alive then are
      // the tensors the tape saved (the forward pass' scope has ended)
      const sum = tf.getGradient('Sum') as GradConfig;
      const liveAtBackward = (act: (t: tf.Tensor) => tf.Tensor): number => {
        let live = -1;
        const stock = sum.gradFunc;
        sum.gradFunc = (dy, saved, attrs) => {
          live = tf.memory().numDataBuffers;
          return stock(dy, saved, attrs);
        };
        try {
          const before = tf.memory().numDataBuffers;
          const g = tf.grad((t: tf.Tensor) => tf.sum(tf.matMul(act(tf.mul(t, 2)), w)))(x);
          expect(Array.from(g.dataSync()).some((v) => v !== 0)).toBe(true);
          g.dispose();
          return live - before;
        } finally {
          sum.gradFunc = stock;
        }
      };
      const before = tf.memory().numTensors;
      const relu = liveAtBackward((t) => tf.relu(t));
      const relu6 = liveAtBackward((t) => tf.relu6(t));
      expect(tf.memory().numTensors).toBe(before);
      // relu6 keeps both mul(x, 2) and its own output; relu only its output
      expect(relu6 - relu).toBe(1);
      tf.dispose([x, w]);
    });
  }

  it('has a second-order gradient (linear in dy)', async () => {
    enableNativeKernels();
    await tf.setBackend('wasm');
    const x = tf.tensor1d([-1, 0.5, 2]);
    const w = tf.tensor1d([3, 4, 5]);
    // d/dw sum(relu'(x) * w) = relu'(x) as a mask
    const g = tf.grad((dy: tf.Tensor) => tf.sum(tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy)))(w);
    expect(Array.from(g.dataSync())).toEqual([0, 1, 1]);
    tf.dispose([x, w, g]);
  });
});
