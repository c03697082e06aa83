// The native one-pass optimizer updates give the same bits as tfjs' own optimizers (Adam,
// Momentum plain and Nesterov, RMSprop plain and centered, SGD) on wasm and cpu, through
// applyGradients and through model.fit, leave tensors that share a variable's storage alone,
// and follow torch.optim where the two share semantics (fixture: make_optimizers.py).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { enableNativeKernels, nativeKernelsInUse } from '../../src/backend';
import { useFusedOptimizers } from '../../src/backend/fused-optimizers';
import { adamw } from '../../src/train/adamw';
import { randn } from './kernel-helpers';

afterAll(async () => {
  useFusedOptimizers(true);
  enableNativeKernels();
  await tf.setBackend('cpu');
});

if (!nativeKernelsInUse().active && process.env.CI === 'true') {
  throw new Error(`the native addon is required under CI: ${nativeKernelsInUse().reason ?? ''}`);
}

const MAKERS: Record<string, () => tf.Optimizer> = {
  adam: () => tf.train.adam(0.01),
  adamCustom: () => tf.train.adam(0.003, 0.8, 0.95, 1e-4),
  momentum: () => tf.train.momentum(0.05, 0.9),
  nesterov: () => tf.train.momentum(0.05, 0.7, true),
  rmsprop: () => tf.train.rmsprop(0.01),
  rmspropMomentum: () => tf.train.rmsprop(0.01, 0.8, 0.5, 1e-6),
  rmspropCentered: () => tf.train.rmsprop(0.01, 0.9, 0.3, 1e-6, true),
  sgd: () => tf.train.sgd(0.1),
  // medinets' AdamW takes its Adam step through AdamOptimizer.applyGradients
  adamw: () => adamw({ learningRate: 0.01, weightDecay: 0.1 }),
  adamL2: () => adamw({ learningRate: 0.01, weightDecay: 0.1, decoupled: false }),
};

/** Values of the variables and of every optimizer weight after `steps` steps. */
async function run(make: () => tf.Optimizer, native: boolean, steps = 5): Promise<Float32Array[]> {
  useFusedOptimizers(native);
  const shapes = [[5, 3], [17], [2, 2, 3, 4]];
  const vars = shapes.map((s, i) =>
    tf.variable(tf.tensor(randn(s, 10 + i).data, s), true, `opt-test-${i}-${String(native)}`),
  );
  const opt = make();
  for (let k = 0; k < steps; k++) {
    const grads = vars.map((v, i) => ({
      name: v.name,
      tensor: tf.tensor(randn(v.shape, 100 * k + i).data, v.shape),
    }));
    // both forms tfjs accepts: a list of named tensors, a map by name (as model.fit passes)
    opt.applyGradients(
      k % 2 === 0 ? grads : (Object.fromEntries(grads.map((g) => [g.name, g.tensor])) as never),
    );
    tf.dispose(grads.map((g) => g.tensor));
  }
  const weights = await opt.getWeights();
  const out = [
    ...vars.map((v) => v.dataSync() as Float32Array),
    ...weights.map((w) => w.tensor.dataSync() as Float32Array),
  ];
  expect(opt.iterations).toBe(steps);
  opt.dispose();
  tf.dispose(vars);
  return out.map((a) => Float32Array.from(a));
}

function sameBits(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    const y = b[i] as Float32Array;
    expect(x.length).toBe(y.length);
    expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer))).toBe(true);
  });
}

describe('fused optimizer updates', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const [name, make] of Object.entries(MAKERS)) {
      it(`${name} on ${backend}: the native update gives tfjs' bits`, async () => {
        await tf.setBackend(backend);
        const n0 = tf.memory().numTensors;
        const stock = await run(make, false);
        const n1 = tf.memory().numTensors;
        const fused = await run(make, true);
        sameBits(fused, stock);
        // whatever tfjs' own update keeps (getWeights' iteration scalars), the native one adds nothing
        expect(tf.memory().numTensors - n1).toBe(n1 - n0);
      });
    }
  }

  it('takes the native path (a stock-only tfjs op count would be much higher)', async () => {
    await tf.setBackend('wasm');
    enableNativeKernels();
    const v = tf.variable(tf.ones([1000]), true, 'opt-path');
    const opt = tf.train.adam(0.1);
    const g = tf.onesLike(v);
    opt.applyGradients({ [v.name]: g } as never); // makes the state
    const profile = await tf.profile(() => opt.applyGradients({ [v.name]: g } as never));
    // tfjs' update is 14 elementwise kernels per variable; the native one runs none of them
    expect(profile.kernels.filter((k) => k.name === 'Sqrt')).toHaveLength(0);
    tf.dispose([v, g]);
    opt.dispose();
  });

  it('never writes into a tensor that shares a variable storage (tf.clone)', async () => {
    await tf.setBackend('wasm');
    enableNativeKernels();
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'opt-clone');
    const snapshot = tf.clone(v);
    const g = tf.tensor1d([1, 1, 1]);
    tf.train.adam(0.5).applyGradients({ [v.name]: g } as never);
    expect(Array.from(snapshot.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).not.toEqual([1, 2, 3]);
    tf.dispose([v, snapshot, g]);
  });

  it('model.fit with adam: the same weights and losses with and without the addon', async () => {
    await tf.setBackend('wasm');
    const fit = async (native: boolean): Promise<{ loss: number[]; w: Float32Array[] }> => {
      useFusedOptimizers(native);
      const m = tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            inputShape: [8, 8, 1],
            filters: 4,
            kernelSize: 3,
            kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
          }),
          tfl.layers.batchNormalization(),
          tfl.layers.flatten(),
          tfl.layers.dense({
            units: 2,
            activation: 'softmax',
            kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }),
          }),
        ],
      });
      m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const x = tf.tensor(randn([6, 8, 8, 1], 5).data, [6, 8, 8, 1]);
      const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0], 'int32'), 2);
      const h = await m.fit(x, y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
      const w = m.getWeights().map((t) => Float32Array.from(t.dataSync()));
      tf.dispose([x, y]);
      m.dispose();
      return { loss: h.history.loss as number[], w };
    };
    const stock = await fit(false);
    const fused = await fit(true);
    expect(fused.loss).toEqual(stock.loss);
    sameBits(fused.w, stock.w);
  });

  it('follows torch.optim (Adam, SGD with momentum, Nesterov) over 6 steps', async () => {
    await tf.setBackend('wasm');
    enableNativeKernels();
    const ref = JSON.parse(
      readFileSync(new URL('../fixtures/backend/optimizers.json', import.meta.url), 'utf8'),
    ) as {
      shapes: number[][];
      init: number[][];
      grads: number[][][];
      after: Record<string, number[][][]>;
    };
    const makers: Record<string, () => tf.Optimizer> = {
      adam: () => tf.train.adam(0.01, 0.9, 0.999, 1e-7),
      momentum: () => tf.train.momentum(0.05, 0.9),
      nesterov: () => tf.train.momentum(0.05, 0.9, true),
    };
    for (const [name, make] of Object.entries(makers)) {
      const vars = ref.shapes.map((s, i) =>
        tf.variable(tf.tensor(ref.init[i] as number[], s), true, `torch-${name}-${i}`),
      );
      const opt = make();
      let worst = 0;
      ref.grads.forEach((gs, k) => {
        const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(gs[i] as number[], v.shape) }));
        opt.applyGradients(grads);
        tf.dispose(grads.map((g) => g.tensor));
        vars.forEach((v, i) => {
          const want = (ref.after[name] as number[][][])[k]?.[i] as number[];
          const got = v.dataSync();
          want.forEach((w, j) => {
            worst = Math.max(worst, Math.abs((got[j] as number) - w) / Math.max(Math.abs(w), 1e-3));
          });
        });
      });
      // float32 in both; torch orders Adam's bias corrections differently (lr / bc1 first)
      expect(worst, name).toBeLessThan(2e-6);
      opt.dispose();
      tf.dispose(vars);
    }
  });
});
