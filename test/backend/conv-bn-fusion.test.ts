// A Conv2D / DepthwiseConv2D layer whose one consumer is a BatchNormalization in inference (and
// that one's a ReLU) runs as one native convolution with the normalisation and the ReLU in its
// epilogue (src/backend/kernels/conv-bn-fusion.ts): predictions bit for bit as the layers in
// turn, on wasm and cpu; no fusion where the graph or the mode could see it (a convolution
// output that is a model output, a convolution with its own activation, training, no addon).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels, nativeKernelsInUse } from '../../src/backend';
import { BN_INFER_RELU_KERNEL } from '../../src/backend/kernels/bn-activation';
import { CONV_BN_KERNEL, useConvBnFusion } from '../../src/backend/kernels/conv-bn-fusion';

afterAll(async () => {
  useConvBnFusion(true);
  enableNativeKernels();
  await tf.setBackend('cpu');
});

const mustHave = process.env.CI != null && process.platform === 'linux' && process.arch === 'x64';
const bits = (t: tf.Tensor): string => Buffer.from((t.dataSync() as Float32Array).buffer).toString('hex');
const count = (names: string[], name: string): number => names.filter((n) => n === name).length;

/**
 * Fusable: conv-BN-ReLU6, depthwise-BN-ReLU, pad-depthwise (multiplier 2) -BN without scale,
 * conv with bias -BN without offset -Activation('relu'). Not: a convolution whose output is a
 * model output, a convolution with a ReLU of its own.
 */
function net(): tfl.LayersModel {
  const apply = (l: tfl.layers.Layer, x: tfl.SymbolicTensor): tfl.SymbolicTensor =>
    l.apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor, cfg = {}): tfl.SymbolicTensor =>
    apply(tfl.layers.batchNormalization(cfg), x);
  const inp = tfl.input({ shape: [10, 9, 5] });
  let x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }), inp);
  x = apply(tfl.layers.reLU({ maxValue: 6 }), bn(x));
  x = apply(
    tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', biasInitializer: 'randomNormal' }),
    x,
  );
  x = apply(tfl.layers.reLU(), bn(x));
  x = apply(
    tfl.layers.zeroPadding2d({
      padding: [
        [0, 1],
        [1, 1],
      ],
    }),
    x,
  );
  x = apply(
    tfl.layers.depthwiseConv2d({
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      depthMultiplier: 2,
      useBias: false,
    }),
    x,
  );
  x = bn(x, { scale: false });
  x = apply(tfl.layers.conv2d({ filters: 12, kernelSize: 1, biasInitializer: 'randomNormal' }), x);
  x = apply(tfl.layers.activation({ activation: 'relu' }), bn(x, { center: false }));
  const exposed = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }), x);
  x = apply(tfl.layers.reLU(), bn(exposed));
  x = bn(apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu' }), x));
  const out = apply(tfl.layers.dense({ units: 3 }), apply(tfl.layers.globalAveragePooling2d({}), x));
  const model = tfl.model({ inputs: inp, outputs: [out, exposed] });
  // batch norms with statistics and affine parameters far from the defaults
  model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .forEach((l, i) => {
      const w = l.getWeights();
      l.setWeights(
        w.map((t, k) =>
          tf.tidy(() => {
            const r = tf.randomNormal(t.shape, 0, 1, 'float32', 10 * i + k);
            return k === w.length - 1 ? tf.add(tf.square(r), 0.1) : r; // the variance last
          }),
        ),
      );
    });
  return model;
}

async function predictWith(
  model: tfl.LayersModel,
  x: tf.Tensor,
  fused: boolean,
): Promise<{ out: string[]; kernels: string[] }> {
  useConvBnFusion(fused);
  let ys: tf.Tensor[] = [];
  const kernels = (
    await tf.profile(() => {
      ys = model.predict(x) as tf.Tensor[];
    })
  ).kernels.map((k) => k.name);
  const out = ys.map(bits);
  tf.dispose(ys);
  return { out, kernels };
}

describe('a convolution and the batch norm it feeds, fused in inference', () => {
  it('the addon is active on linux-x64 CI (the fusion is its)', () => {
    if (mustHave) expect(nativeKernelsInUse().active).toBe(true);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it.runIf(nativeKernelsInUse().active || mustHave)(
      `${backend}: the same bits as the layers in turn, four pairs fused, no tensor left`,
      async () => {
        await tf.setBackend(backend);
        const model = net();
        const x = tf.randomNormal([3, 10, 9, 5], 0, 1, 'float32', 5);
        const before = tf.memory().numTensors;
        const fused = await predictWith(model, x, true);
        const plain = await predictWith(model, x, false);
        useConvBnFusion(true);
        expect(fused.out).toEqual(plain.out);
        expect(count(fused.kernels, CONV_BN_KERNEL)).toBe(4);
        expect(count(plain.kernels, CONV_BN_KERNEL)).toBe(0);
        // left: the exposed convolution's batch norm (with its ReLU), the last one (alone)
        expect(count(fused.kernels, BN_INFER_RELU_KERNEL)).toBe(1);
        expect(count(fused.kernels, 'FusedBatchNorm')).toBe(1);
        expect(count(fused.kernels, 'PadV2')).toBe(0);
        expect(count(plain.kernels, 'FusedBatchNorm') + count(plain.kernels, BN_INFER_RELU_KERNEL)).toBe(6);
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
        model.dispose();
      },
      60_000,
    );
  }

  it.runIf(nativeKernelsInUse().active || mustHave)(
    'leaves training, a training-mode apply and a gradient tape unfused',
    async () => {
      await tf.setBackend('wasm');
      const model = net();
      const mse = (yt: tf.Tensor, yp: tf.Tensor): tf.Tensor =>
        tf.mean(
          tf.square(tf.sub(yt, yp)),
          yp.shape.slice(1).map((_, i) => i + 1),
        );
      model.compile({ optimizer: 'sgd', loss: [mse, mse] });
      const x = tf.randomNormal([2, 10, 9, 5], 0, 1, 'float32', 6);
      const ys = [tf.zeros([2, 3]), tf.zeros([2, 5, 5, 6])];
      const train = await tf.profile(async () => {
        await model.trainOnBatch(x, ys);
      });
      expect(
        count(
          train.kernels.map((k) => k.name),
          CONV_BN_KERNEL,
        ),
      ).toBe(0);
      const applied = await tf.profile(() => tf.dispose(model.apply(x, { training: true }) as tf.Tensor[]));
      expect(
        count(
          applied.kernels.map((k) => k.name),
          CONV_BN_KERNEL,
        ),
      ).toBe(0);
      const taped = await tf.profile(() => {
        const g = tf.grad((t: tf.Tensor) => tf.sum((model.apply(t) as tf.Tensor[])[0] as tf.Tensor))(x);
        g.dispose();
      });
      expect(
        count(
          taped.kernels.map((k) => k.name),
          CONV_BN_KERNEL,
        ),
      ).toBe(0);
      // and inference after training fuses again, with the updated statistics
      const a = await predictWith(model, x, true);
      const b = await predictWith(model, x, false);
      useConvBnFusion(true);
      expect(count(a.kernels, CONV_BN_KERNEL)).toBe(4);
      expect(a.out).toEqual(b.out);
      tf.dispose([x, ...ys]);
      model.dispose();
    },
    60_000,
  );

  it('does not fuse without the addon', async () => {
    await tf.setBackend('wasm');
    disableNativeKernels();
    try {
      const model = net();
      const x = tf.randomNormal([2, 10, 9, 5], 0, 1, 'float32', 7);
      const r = await predictWith(model, x, true);
      expect(count(r.kernels, CONV_BN_KERNEL)).toBe(0);
      // the batch norms run on their own (those before a ReLU fused with it in the SIMD module)
      expect(count(r.kernels, 'FusedBatchNorm') + count(r.kernels, BN_INFER_RELU_KERNEL)).toBe(6);
      x.dispose();
      model.dispose();
    } finally {
      enableNativeKernels();
    }
  });
});
