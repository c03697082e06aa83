// The backward pass that frees each gradient and each node's saved tensors once it is past them
// (src/backend/kernels/lean-backprop.ts) gives tfjs' own gradients bit for bit, holds fewer
// tensors while it runs, and leaves nested (higher-order) gradients and errors as tfjs has them.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/backend';
import { useLeanBackprop } from '../../src/backend/kernels/lean-backprop';

afterAll(() => useLeanBackprop(true));

const bits = (a: ArrayLike<number>): string => Buffer.from(Float32Array.from(a).buffer).toString('hex');

/** A small DenseNet-like block: BN-ReLU-conv twice, concatenations, a dense head. */
function net(): tfl.LayersModel {
  const inp = tfl.input({ shape: [12, 12, 3] });
  let x = tfl.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
    })
    .apply(inp) as tfl.SymbolicTensor;
  for (let i = 0; i < 2; i++) {
    let y = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
    y = tfl.layers.reLU().apply(y) as tfl.SymbolicTensor;
    y = tfl.layers
      .conv2d({
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 + i }),
      })
      .apply(y) as tfl.SymbolicTensor;
    x = tfl.layers.concatenate().apply([x, y]) as tfl.SymbolicTensor;
  }
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotNormal({ seed: 9 }) })
    .apply(pooled);
  return tfl.model({ inputs: inp, outputs: out as tfl.SymbolicTensor });
}

describe('lean backward pass', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`${backend}: the same gradient bits as tfjs' own walk, fewer buffers alive at its end`, async () => {
      await tf.setBackend(backend);
      const model = net();
      const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 3);
      const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
      const loss = (): tf.Scalar =>
        tf.mean(
          tfl.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor),
        ) as tf.Scalar;
      // the last registered gradient the walk runs is the first batch norm's: the buffers alive
      // then are what the walk still holds
      const cfg = tf.getGradient('MedinetsBatchNormTrain') as GradConfig;
      const stockFn = cfg.gradFunc;
      const run = (lean: boolean): { grads: string[]; aliveAtEnd: number } => {
        useLeanBackprop(lean);
        let alive = 0;
        cfg.gradFunc = (dy, saved, attrs) => {
          alive = tf.memory().numDataBuffers;
          return stockFn(dy, saved, attrs);
        };
        try {
          const before = tf.memory().numTensors;
          const { value, grads } = tf.variableGrads(loss);
          const out = Object.keys(grads)
            .sort()
            .map((k) => bits((grads[k] as tf.Tensor).dataSync()));
          tf.dispose([value, ...Object.values(grads)]);
          expect(tf.memory().numTensors).toBe(before);
          return { grads: out, aliveAtEnd: alive };
        } finally {
          cfg.gradFunc = stockFn;
        }
      };
      const stock = run(false);
      const lean = run(true);
      expect(lean.grads.length).toBeGreaterThan(8);
      expect(lean.grads).toEqual(stock.grads);
      // stock holds every activation gradient and saved tensor to the end
      expect(lean.aliveAtEnd).toBeLessThan(stock.aliveAtEnd - 10);
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  it("trains a compiled model to the same weights as tfjs' walk (wasm)", async () => {
    await tf.setBackend('wasm');
    const weights: string[][] = [];
    for (const lean of [false, true]) {
      useLeanBackprop(lean);
      const model = net();
      model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
      const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 4);
      const y = tf.oneHot(tf.tensor1d([1, 0, 1, 0], 'int32'), 2);
      await model.trainOnBatch(x, y); // creates Adam's slots
      const before = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
      expect(tf.memory().numTensors).toBe(before);
      weights.push(model.getWeights().map((w) => bits(w.dataSync())));
      tf.dispose([x, y]);
      model.optimizer.dispose();
      model.dispose();
    }
    expect(weights[1]).toEqual(weights[0]);
  });

  it('leaves higher-order gradients to tfjs (a gradient inside a gradient)', async () => {
    useLeanBackprop(true);
    await tf.setBackend('cpu');
    const x = tf.tensor1d([0.5, -1.5, 2]);
    // d/dx sum(d/dx x^3) = 6x
    const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.pow(u, 3)))(t)))(x);
    expect(Array.from(g2.dataSync())).toEqual([3, -9, 12]);
    tf.dispose([x, g2]);
  });

  it('saves the tensors of the outermost forward pass without Identity kernels', async () => {
    await tf.setBackend('wasm');
    const model = net();
    const x = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 5);
    const loss = (): tf.Scalar => tf.mean(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const identities = async (lean: boolean): Promise<number> => {
      useLeanBackprop(lean);
      const before = tf.memory().numTensors;
      const info = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(loss);
        tf.dispose([value, ...Object.values(grads)]);
      });
      expect(tf.memory().numTensors).toBe(before);
      return info.kernels.filter((k) => k.name === 'Identity').length;
    };
    const stock = await identities(false);
    const lean = await identities(true);
    expect(stock).toBeGreaterThan(20); // a copy of every saved input and output
    // what remains: tfjs-layers' own clones and the gradients' (the same count either way)
    expect(lean).toBeLessThan(stock / 2);
    tf.dispose(x);
    model.dispose();
  });

  it('keeps the saves a higher-order gradient differentiates through', async () => {
    useLeanBackprop(true);
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const x = tf.tensor1d([0.5, -1.5, 2]);
      // h(t) = sum(sin(t) * d/dt sum(t^3)) = sum(3 t^2 sin t); h' = 6 t sin t + 3 t^2 cos t:
      // sin's save is made at depth 1, pow's inside the inner gradient at depth 2
      const g = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.sin(t), tf.grad((u: tf.Tensor) => tf.sum(tf.pow(u, 3)))(t))),
      )(x);
      const want = [0.5, -1.5, 2].map((t) => 6 * t * Math.sin(t) + 3 * t * t * Math.cos(t));
      Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 4));
      tf.dispose([x, g]);
    }
  });

  it("gives tfjs' errors: no path from x to y, a non-float dy", async () => {
    useLeanBackprop(true);
    await tf.setBackend('cpu');
    const x = tf.scalar(2);
    const c = tf.scalar(3);
    expect(() => tf.grad(() => tf.mul(c, 2))(x)).toThrow(/no operation leads from xs to y/);
    expect(() => tf.grad((t: tf.Tensor) => tf.mul(t, 2))(x, tf.scalar(1, 'int32'))).toThrow(
      /dy has dtype 'int32'; expected 'float32'/,
    );
    tf.dispose([x, c]);
  });
});
