// A BatchNormalization layer whose one consumer is a ReLU runs the pair as one pass of the
// native addon (src/backend/kernels/bn-activation.ts): the same bits as the two kernels in turn,
// forward, backward and in the moving statistics, and no fusion where the graph could see it.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels, nativeKernelsInUse } from '../../src/backend';
import { BN_INFER_RELU_KERNEL, useBnReluFusion } from '../../src/backend/kernels/bn-activation';
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL } from '../../src/backend/kernels/batch-norm';
import { useConvBnFusion } from '../../src/backend/kernels/conv-bn-fusion';
import { activeAddon } from '../../src/backend/native';

// the batch norms here follow convolutions, which would take them (and their ReLUs) into their
// epilogue in inference (conv-bn-fusion.test.ts): this file tests the batch norm's own fusion
useConvBnFusion(false);
afterAll(() => {
  useBnReluFusion(true);
  useConvBnFusion(true);
  enableNativeKernels();
});

const mustHave = process.env.CI != null && process.platform === 'linux' && process.arch === 'x64';
const bits = (a: ArrayLike<number>): string => Buffer.from(Float32Array.from(a).buffer).toString('hex');
const glorot = (seed: number): ReturnType<typeof tfl.initializers.glorotNormal> =>
  tfl.initializers.glorotNormal({ seed });

/**
 * conv-BN-ReLU, conv-BN-ReLU6, conv-BN-Activation('relu') (all fusable); a BN feeding two
 * layers and a BN-ReLU whose BN output is also a model output (neither fusable).
 */
function net(): { model: tfl.LayersModel; bns: tfl.layers.Layer[] } {
  const inp = tfl.input({ shape: [10, 10, 3] });
  const conv = (x: tfl.SymbolicTensor, seed: number): tfl.SymbolicTensor =>
    tfl.layers
      .conv2d({ filters: 20, kernelSize: 3, padding: 'same', kernelInitializer: glorot(seed) })
      .apply(x) as tfl.SymbolicTensor;
  const bns = Array.from({ length: 5 }, () => tfl.layers.batchNormalization({ momentum: 0.9 }));
  const [bn0, bn1, bn2, bn3, bn4] = bns as unknown as [
    tfl.layers.Layer,
    tfl.layers.Layer,
    tfl.layers.Layer,
    tfl.layers.Layer,
    tfl.layers.Layer,
  ];
  let x = tfl.layers.reLU().apply(bn0.apply(conv(inp, 1))) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6 }).apply(bn1.apply(conv(x, 2))) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu' }).apply(bn2.apply(conv(x, 3))) as tfl.SymbolicTensor;
  const shared = bn3.apply(conv(x, 4)) as tfl.SymbolicTensor;
  x = tfl.layers
    .add()
    .apply([tfl.layers.reLU().apply(shared) as tfl.SymbolicTensor, shared]) as tfl.SymbolicTensor;
  const exposed = bn4.apply(conv(x, 5)) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(exposed) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: 2, activation: 'softmax', kernelInitializer: glorot(6) })
    .apply(pooled);
  const model = tfl.model({ inputs: inp, outputs: [out as tfl.SymbolicTensor, exposed] });
  model.compile({
    optimizer: tf.train.sgd(0.1),
    loss: [
      (yt: tf.Tensor, yp: tf.Tensor): tf.Tensor => tfl.metrics.categoricalCrossentropy(yt, yp),
      (yt: tf.Tensor, yp: tf.Tensor): tf.Tensor => tf.mean(tf.square(tf.sub(yt, yp)), [1, 2, 3]),
    ],
  });
  return { model, bns };
}

interface Run {
  predict: string[];
  profileKernels: string[];
  trainProfile: string[];
  losses: string;
  weights: string[];
  grads: string[];
}

async function run(fused: boolean, backend: 'wasm' | 'cpu'): Promise<Run> {
  await tf.setBackend(backend);
  useBnReluFusion(fused);
  const before = tf.memory().numTensors;
  const { model } = net();
  const x = tf.tidy(() => tf.mul(tf.randomNormal([4, 10, 10, 3], 0, 1, 'float32', 7), 2));
  const y0 = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2));
  const y1 = tf.randomNormal([4, 10, 10, 20], 0, 1, 'float32', 8);
  // names taken at once: tf.profile returns the engine's one profile object, which the next
  // profile overwrites
  const profileKernels = (await tf.profile(() => tf.dispose(model.predict(x) as tf.Tensor[]))).kernels.map(
    (k) => k.name,
  );
  const predict = (model.predict(x) as tf.Tensor[]).map((t) => {
    const b = bits(t.dataSync());
    t.dispose();
    return b;
  });
  // a gradient through model.apply in training mode (Container.call)
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const [p0, p1] = model.apply(x, { training: true }) as tf.Tensor[];
    return tf.add(
      tf.mean(tfl.metrics.categoricalCrossentropy(y0, p0 as tf.Tensor)),
      tf.mean(tf.square(tf.sub(p1 as tf.Tensor, y1))),
    ) as tf.Scalar;
  }, vars);
  const gradBits = vars.map((v) => bits((grads[v.name] as tf.Tensor).dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  const trainProfile = (
    await tf.profile(async () => {
      await model.trainOnBatch(x, [y0, y1]);
    })
  ).kernels.map((k) => k.name);
  const losses = (await model.trainOnBatch(x, [y0, y1])) as number[];
  const weights = model.getWeights().map((w) => bits(w.dataSync()));
  model.optimizer.dispose();
  model.dispose();
  tf.dispose([x, y0, y1]);
  expect(tf.memory().numTensors, `${backend} fused=${fused}: tensors left`).toBe(before);
  return {
    predict,
    profileKernels,
    trainProfile,
    losses: JSON.stringify(losses),
    weights,
    grads: gradBits,
  };
}

const count = (names: string[], name: string): number => names.filter((n) => n === name).length;

/**
 * The batch-norm kernels with a ReLU capped at `cap` and without it around relu / reluGrad, on
 * the current backend, with x spanning the ReLU's edges (y hits 0, and cap where scale,
 * offset and x's batch statistics allow; NaN rows are covered by the fuzz of the plain
 * kernels): the bits of [z, relu(y), the fused gradient (3), the unfused one (3), coef].
 */
function capCase(shape: number[], cap: number, seed: number): string[] {
  const c = shape[shape.length - 1] as number;
  return tf.tidy(() => {
    const x = tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), 4);
    const scale = tf.randomUniform([c], 0.5, 3, 'float32', seed + 1);
    const offset = tf.randomUniform([c], -1, 5, 'float32', seed + 2);
    const dz = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
    const e = tf.engine();
    const [z, mean, , inv, coef] = e.runKernel(
      BN_TRAIN_KERNEL,
      { x, scale, offset },
      { epsilon: 1e-3, cap },
    ) as tf.Tensor[];
    const [y] = e.runKernel(BN_TRAIN_KERNEL, { x, scale, offset }, { epsilon: 1e-3 }) as tf.Tensor[];
    const relu = (t: tf.Tensor): tf.Tensor => (cap === 6 ? tf.relu6(t) : tf.relu(t));
    const zRef = relu(y as tf.Tensor);
    const g = e.runKernel(
      BN_TRAIN_GRAD_KERNEL,
      { dy: dz, x, scale, mean, invStd: inv, coef },
      { cap },
    ) as tf.Tensor[];
    const dy = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(relu(t), dz)))(y as tf.Tensor);
    const gRef = e.runKernel(BN_TRAIN_GRAD_KERNEL, { dy, x, scale, mean, invStd: inv }, {}) as tf.Tensor[];
    expect(tf.sum(tf.equal(z as tf.Tensor, 0)).dataSync()[0]).toBeGreaterThan(0);
    if (cap === 6) expect(tf.sum(tf.equal(z as tf.Tensor, 6)).dataSync()[0]).toBeGreaterThan(0);
    return [z, zRef, ...g, ...gRef, coef].map((t) => bits((t as tf.Tensor).dataSync()));
  });
}

/** The model run unfused then fused on `backend`: the same bits, three pairs fused. */
async function expectFusedAsPlain(backend: 'wasm' | 'cpu'): Promise<void> {
  const plain = await run(false, backend);
  const fused = await run(true, backend);
  expect(fused.predict).toEqual(plain.predict);
  expect(fused.grads).toEqual(plain.grads);
  expect(fused.losses).toEqual(plain.losses);
  expect(fused.weights).toEqual(plain.weights); // kernels, gammas, betas, moving statistics
  // three pairs fused: inference runs the fused kernel three times and two ReLU kernels
  // (the shared and the exposed BN's), Relu6 not at all
  expect(count(fused.profileKernels, BN_INFER_RELU_KERNEL)).toBe(3);
  expect(count(plain.profileKernels, BN_INFER_RELU_KERNEL)).toBe(0);
  expect(count(fused.profileKernels, 'Relu')).toBe(2);
  expect(count(plain.profileKernels, 'Relu') + count(plain.profileKernels, 'Relu6')).toBe(5);
  expect(count(fused.profileKernels, 'Relu6')).toBe(0);
  // training: the same count of batch-norm kernels, three ReLU forwards fewer
  expect(count(fused.trainProfile, BN_TRAIN_KERNEL)).toBe(5);
  expect(count(fused.trainProfile, BN_TRAIN_GRAD_KERNEL)).toBe(5);
  const relus = (n: string[]): number => count(n, 'Relu') + count(n, 'Relu6');
  expect(relus(plain.trainProfile) - relus(fused.trainProfile)).toBe(3);
}

describe('BatchNormalization + ReLU fused in the native addon', () => {
  it('the addon is active on linux-x64 CI (the fusion is its)', () => {
    if (mustHave) expect(nativeKernelsInUse().active).toBe(true);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it.runIf(nativeKernelsInUse().active || mustHave)(
      `${backend}: predict, gradients, a training step and the moving statistics bit for bit as unfused`,
      async () => {
        await expectFusedAsPlain(backend);
      },
      120_000,
    );
  }

  it.runIf(nativeKernelsInUse().active || mustHave)(
    "a sub-model ending at a fused pair's batch norm gets the pre-activation values",
    async () => {
      await tf.setBackend('wasm');
      useBnReluFusion(true);
      const { model, bns } = net();
      const sub = tfl.model({
        inputs: model.inputs,
        outputs: (bns[0] as tfl.layers.Layer).output as tfl.SymbolicTensor,
      });
      const x = tf.randomNormal([2, 10, 10, 3], 0, 1, 'float32', 9);
      const y = sub.predict(x) as tf.Tensor;
      expect(tf.min(y).dataSync()[0]).toBeLessThan(0); // not through the ReLU
      useBnReluFusion(false);
      const want = sub.predict(x) as tf.Tensor;
      expect(bits(y.dataSync())).toBe(bits(want.dataSync()));
      useBnReluFusion(true);
      tf.dispose([x, y, want]);
      model.dispose();
    },
  );

  it.runIf(nativeKernelsInUse().active || mustHave)(
    'under a gradient tape inference is not fused (the fused kernel has no gradient)',
    async () => {
      await tf.setBackend('wasm');
      const { model } = net();
      const x = tf.randomNormal([2, 10, 10, 3], 0, 1, 'float32', 10);
      const saliency = (): string =>
        tf.tidy(() =>
          bits(
            tf
              .grad((xx: tf.Tensor) => tf.sum((model.apply(xx) as tf.Tensor[])[0] as tf.Tensor))(x)
              .dataSync(),
          ),
        );
      useBnReluFusion(true);
      const fused = saliency();
      useBnReluFusion(false);
      expect(fused).toBe(saliency());
      useBnReluFusion(true);
      x.dispose();
      model.dispose();
    },
  );

  it('on wasm without the addon, inference fuses in the SIMD module with the same bits (training does not)', async () => {
    await tf.setBackend('wasm');
    disableNativeKernels();
    try {
      const { model } = net();
      const x = tf.mul(tf.randomNormal([4, 10, 10, 3], 0, 1, 'float32', 12), 2);
      const predict = async (on: boolean): Promise<{ out: string[]; kernels: string[] }> => {
        useBnReluFusion(on);
        let ys: tf.Tensor[] = [];
        const kernels = (
          await tf.profile(() => {
            ys = model.predict(x) as tf.Tensor[];
          })
        ).kernels.map((k) => k.name);
        const out = ys.map((t) => bits(t.dataSync()));
        tf.dispose(ys);
        return { out, kernels };
      };
      const before = tf.memory().numTensors;
      const fused = await predict(true);
      const plain = await predict(false);
      useBnReluFusion(true);
      expect(tf.memory().numTensors).toBe(before);
      expect(fused.out).toEqual(plain.out);
      expect(count(fused.kernels, BN_INFER_RELU_KERNEL)).toBe(3);
      expect(count(fused.kernels, 'Relu') + count(fused.kernels, 'Relu6')).toBe(2);
      expect(count(plain.kernels, 'Relu') + count(plain.kernels, 'Relu6')).toBe(5);
      const y0 = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
      const y1 = tf.zeros([4, 10, 10, 20]);
      const train = await tf.profile(async () => {
        await model.trainOnBatch(x, [y0, y1]);
      });
      expect(
        count(
          train.kernels.map((k) => k.name),
          BN_INFER_RELU_KERNEL,
        ),
      ).toBe(0);
      tf.dispose([x, y0, y1]);
      model.optimizer.dispose();
      model.dispose();
    } finally {
      enableNativeKernels();
    }
  });

  // The kernels with the ReLU against the separate kernels, on values at the ReLU's edges: the
  // addon (each instruction set: native-fuzz checks AVX2 against AVX-512 bits) and its JS
  // fallback, used when the addon is disabled between a fused forward and its gradient.
  it.runIf(activeAddon() != null || mustHave)(
    'bnTrain / bnTrainGrad with a cap equal relu / reluGrad around the unfused kernels, addon and JS',
    async () => {
      await tf.setBackend('cpu');
      for (const [shape, cap] of [
        [[3, 5, 7], Infinity],
        [[2, 9, 37], 6],
        [[8, 8, 8, 96], Infinity],
        [[8, 8, 8, 96], 6],
        [[3, 11, 13, 80], 6], // split over the threads, rows no multiple of the 4-row groups
      ] as [number[], number][]) {
        const run = (): string[] => capCase(shape, cap, 11).slice(0, 8);
        const native = run();
        expect(native[0], `${shape} cap ${cap}: forward`).toBe(native[1]);
        expect(native.slice(2, 5), `${shape} cap ${cap}: gradient`).toEqual(native.slice(5, 8));
        disableNativeKernels();
        const js = run();
        enableNativeKernels();
        expect(js, `${shape} cap ${cap}: JS fallback`).toEqual(native);
      }
    },
  );

  it.runIf(activeAddon() != null || mustHave)(
    'the inference kernel equals batchNorm then relu / relu6, with the addon and in its JS fallback',
    async () => {
      await tf.setBackend('cpu');
      for (const cap of [Infinity, 6]) {
        const run = (): string[] =>
          tf.tidy(() => {
            const x = tf.mul(tf.randomNormal([4, 3, 3, 37], 0, 1, 'float32', 21), 4);
            const [mean, variance, scale, offset] = [22, 23, 24, 25].map((seed) =>
              tf.randomUniform([37], 0.5, 3, 'float32', seed),
            ) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
            const fused = tf
              .engine()
              .runKernel(
                BN_INFER_RELU_KERNEL,
                { x, mean, variance, scale, offset },
                { epsilon: 1e-3, cap },
              ) as tf.Tensor;
            const y = tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
            const ref = cap === 6 ? tf.relu6(y) : tf.relu(y);
            expect(tf.sum(tf.equal(fused, 0)).dataSync()[0]).toBeGreaterThan(0);
            return [fused, ref].map((t) => bits(t.dataSync()));
          });
        const [native, ref] = run() as [string, string];
        expect(native, `cap ${cap}: against the unfused kernels`).toBe(ref);
        disableNativeKernels();
        const [js] = run();
        enableNativeKernels();
        expect(js, `cap ${cap}: JS fallback`).toBe(native);
      }
    },
  );
});
