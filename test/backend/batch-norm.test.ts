// The fused batch-norm path of a training BatchNormalization layer matches the stock layer.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels, suspendTrainingKernels } from '../../src/backend';
import { BN_TRAIN_KERNEL } from '../../src/backend/kernels/batch-norm';

afterAll(async () => {
  registerTrainingKernels();
  await tf.setBackend('cpu');
});

function maxRel(a: Float32Array | number[], b: Float32Array | number[]): number {
  let m = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
    s = Math.max(s, Math.abs(b[i] as number));
  }
  return m / Math.max(s, 1e-6);
}

/** Gradients of sum(bn(x) * r) with respect to x, gamma and beta, and the moving statistics. */
function bnGrads(fused: boolean, shape: number[], momentum: number): Float32Array[] {
  if (fused) registerTrainingKernels();
  else suspendTrainingKernels();
  const c = shape[shape.length - 1] as number;
  const layer = tfl.layers.batchNormalization({ momentum, epsilon: 1e-3 });
  layer.build(shape);
  const out = tf.tidy(() => {
    layer.setWeights([
      tf.add(tf.randomUniform([c], 0, 1, 'float32', 3), 0.5),
      tf.randomNormal([c], 0, 1, 'float32', 4),
      tf.zeros([c]),
      tf.ones([c]),
    ]);
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 2);
    const r = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (xx: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, r));
    const dx = tf.grad(f)(x);
    const { grads } = tf.variableGrads(() => f(x), vars);
    const stats = layer.getWeights().slice(2);
    return [dx, ...vars.map((v) => grads[v.name] as tf.Tensor), ...stats].map(
      (t) => t.dataSync() as Float32Array,
    );
  });
  for (const w of layer.weights) w.dispose(); // built, never applied symbolically: no layer.dispose()
  registerTrainingKernels();
  return out;
}

describe('fused batch-norm training path', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const shape of [
      [3, 5, 4, 6],
      [7, 9],
    ]) {
      it(`gradients and moving statistics match the stock layer on ${backend} for ${JSON.stringify(shape)}`, async () => {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const stock = bnGrads(false, shape, 0.9);
        const fused = bnGrads(true, shape, 0.9);
        expect(tf.memory().numTensors).toBe(before);
        expect(fused).toHaveLength(5); // dx, dgamma, dbeta, moving mean, moving variance
        fused.forEach((v, i) =>
          expect(maxRel(v, stock[i] as Float32Array), `output ${i}`).toBeLessThan(1e-4),
        );
        // the moving statistics moved from (0, 1): the update ran
        expect(Math.abs(fused[3]?.[0] ?? 0)).toBeGreaterThan(1e-3);
      });
    }
  }

  it('is what a training step runs, and inference keeps the stock kernel', async () => {
    await tf.setBackend('cpu');
    registerTrainingKernels();
    const layer = tfl.layers.batchNormalization({});
    const x = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 9);
    const train = await tf.profile(() => tf.dispose(layer.apply(x, { training: true }) as tf.Tensor));
    expect(train.kernels.map((k) => k.name)).toContain(BN_TRAIN_KERNEL);
    expect(train.kernels.map((k) => k.name)).not.toContain('Square');
    const infer = await tf.profile(() => tf.dispose(layer.apply(x) as tf.Tensor));
    expect(infer.kernels.map((k) => k.name)).not.toContain(BN_TRAIN_KERNEL);
    layer.dispose();
    x.dispose();
  });

  it('updates the moving statistics in the kernel, with the bits of the stock arithmetic', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      registerTrainingKernels();
      const before = tf.memory().numTensors;
      const momentum = 0.9;
      const layer = tfl.layers.batchNormalization({ momentum });
      const x = tf.randomNormal([4, 3, 3, 21], 2, 3, 'float32', 11);
      layer.build(x.shape);
      const [g, b, mm, mv] = [12, 13, 14, 15].map((seed) =>
        tf.randomUniform([21], 0.5, 1.5, 'float32', seed),
      );
      layer.setWeights([g, b, mm, mv] as tf.Tensor[]);
      const prof = await tf.profile(() => tf.dispose(layer.apply(x, { training: true }) as tf.Tensor));
      // no Sub / Multiply kernels: the update ran inside the batch-norm kernel
      expect(
        prof.kernels.map((k) => k.name).filter((k) => k === 'Sub' || k === 'Multiply'),
        backend,
      ).toEqual([]);
      const [gotMean, gotVar] = layer
        .getWeights()
        .slice(2)
        .map((t) => Array.from(t.dataSync()));
      const want = tf.tidy(() => {
        const [, mean, variance] = tf
          .engine()
          .runKernel(
            BN_TRAIN_KERNEL,
            { x, scale: g as tf.Tensor, offset: b as tf.Tensor },
            { epsilon: 1e-3 },
          ) as tf.Tensor[];
        return [
          [mm, mean],
          [mv, variance],
        ].map(([v, value]) =>
          Array.from(
            tf
              .sub(v as tf.Tensor, tf.mul(tf.sub(v as tf.Tensor, value as tf.Tensor), 1 - momentum))
              .dataSync(),
          ),
        );
      });
      expect(gotMean, backend).toEqual(want[0]);
      expect(gotVar, backend).toEqual(want[1]);
      expect(gotMean, backend).not.toEqual(Array.from((mm as tf.Tensor).dataSync()));
      tf.dispose([x, g, b, mm, mv] as tf.Tensor[]);
      for (const w of layer.weights) w.dispose(); // built, never applied symbolically: no layer.dispose()
      expect(tf.memory().numTensors, backend).toBe(before);
    }
  });

  it('a layer without scale / center = gamma 1, beta 0 in inference and training, with a gradient taken through it', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      registerTrainingKernels();
      const before = tf.memory().numTensors;
      const bare = tfl.layers.batchNormalization({
        scale: false,
        center: false,
        momentum: 0.9,
        epsilon: 1e-3,
      });
      const full = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
      bare.build([2, 3, 3, 4]);
      full.build([2, 3, 3, 4]);
      const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 5), 2), 1));
      const r = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 6);
      const run = (l: tfl.layers.Layer, training: boolean): Float32Array[] =>
        tf.tidy(() => {
          const f = (xx: tf.Tensor): tf.Scalar => tf.sum(tf.mul(l.apply(xx, { training }) as tf.Tensor, r));
          const y = l.apply(x, { training }) as tf.Tensor;
          return [y, tf.grad(f)(x)].map((t) => t.dataSync() as Float32Array);
        });
      for (const training of [false, true]) {
        const [yb, gb] = run(bare, training);
        const [yf, gf] = run(full, training);
        expect(
          maxRel(yb as Float32Array, yf as Float32Array),
          `${backend} training ${training}: y`,
        ).toBeLessThan(1e-5);
        expect(
          maxRel(gb as Float32Array, gf as Float32Array),
          `${backend} training ${training}: dx`,
        ).toBeLessThan(1e-5);
      }
      // The training calls updated the moving statistics alike.
      const mb = bare.getWeights().map((w) => w.dataSync() as Float32Array);
      const mf = full
        .getWeights()
        .slice(2)
        .map((w) => w.dataSync() as Float32Array);
      mb.forEach((m, i) => expect(maxRel(m, mf[i] as Float32Array)).toBeLessThan(1e-5));
      for (const w of [...bare.weights, ...full.weights]) w.dispose();
      tf.dispose([x, r]);
      expect(tf.memory().numTensors, backend).toBe(before);
    }
  });

  it('falls back to the stock layer for a channels-first axis', async () => {
    await tf.setBackend('cpu');
    const layer = tfl.layers.batchNormalization({ axis: 1 });
    const x = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 9);
    const prof = await tf.profile(() => tf.dispose(layer.apply(x, { training: true }) as tf.Tensor));
    expect(prof.kernels.map((k) => k.name)).not.toContain(BN_TRAIN_KERNEL);
    layer.dispose();
    x.dispose();
  });

  // tfjs-layers 4.22's own training path reads gamma unconditionally: `scale: false` (every BN of
  // Keras InceptionV3) threw a raw TypeError. Both medinets paths now train it.
  for (const fused of [true, false]) {
    it(`trains a layer without scale or centre (${fused ? 'fused kernel' : 'kernels suspended'})`, async () => {
      await tf.setBackend('cpu');
      if (fused) registerTrainingKernels();
      else suspendTrainingKernels();
      const before = tf.memory().numTensors;
      for (const opts of [{ scale: false }, { center: false }, { scale: false, center: false }]) {
        const layer = tfl.layers.batchNormalization({ ...opts, momentum: 0.5, epsilon: 1e-3 });
        layer.build([4, 3, 3, 5]);
        const [got, want] = tf.tidy(() => {
          const x = tf.add(tf.mul(tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 1), 2), 1);
          const r = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 2);
          const ref = (xx: tf.Tensor): tf.Scalar => {
            const { mean, variance } = tf.moments(xx, [0, 1, 2]);
            return tf.sum(tf.mul(tf.div(tf.sub(xx, mean), tf.sqrt(tf.add(variance, 1e-3))), r));
          };
          const f = (xx: tf.Tensor): tf.Scalar =>
            tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, r));
          // Applied twice (value, then gradient): the moving statistics move twice at momentum 0.5.
          const y = f(x);
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          const stats = layer.getWeights().slice(-2);
          return [
            [y, tf.grad(f)(x), ...stats],
            [ref(x), tf.grad(ref)(x), tf.mul(mean, 0.75), tf.add(tf.mul(variance, 0.75), 0.25)],
          ].map((ts) => ts.map((t) => t.dataSync() as Float32Array));
        });
        got.forEach((v, i) =>
          expect(maxRel(v, want[i] as Float32Array), `${JSON.stringify(opts)} ${i}`).toBeLessThan(1e-4),
        );
        for (const w of layer.weights) w.dispose();
      }
      registerTrainingKernels();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
