// Training on wasm with medinets' kernels follows training on cpu, and registration is
// idempotent, survives a backend package re-registering its kernels, and touches no other backend.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  disableNativeKernels,
  enableNativeKernels,
  listTrainingKernels,
  nativeKernelsInUse,
  registerTrainingKernels,
  setupBackend,
  suspendTrainingKernels,
} from '../../src/backend';
import { stockKernel } from '../../src/backend/kernels/registry';
import { randn } from './kernel-helpers';

afterAll(async () => {
  await tf.setBackend('cpu');
});

type ST = tfl.SymbolicTensor;

/** ResNet / DenseNet / UNet pieces in one graph: every layer kind the library's models use. */
function tinyNet(): tfl.LayersModel {
  // seeded initial weights, so that every run compares the same training (unseeded, an unlucky
  // draw once drove the losses 1.2e-3 apart)
  let seed = 0;
  const init = (): ReturnType<typeof tfl.initializers.glorotUniform> =>
    tfl.initializers.glorotUniform({ seed: ++seed });
  const inp = tfl.input({ shape: [16, 16, 1] });
  const conv = (x: ST, filters: number, k: number, strides = 1): ST =>
    tfl.layers
      .conv2d({ filters, kernelSize: k, strides, padding: 'same', useBias: false, kernelInitializer: init() })
      .apply(x) as ST;
  const bnRelu = (x: ST): ST => tfl.layers.reLU().apply(tfl.layers.batchNormalization().apply(x)) as ST;
  let x = bnRelu(conv(inp, 6, 5, 2)); // 8x8
  const pooled = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(x) as ST; // 4x4
  const res = tfl.layers.add().apply([pooled, bnRelu(conv(pooled, 6, 3))]) as ST;
  const avg = tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(res) as ST;
  const dense = tfl.layers.concatenate().apply([res, avg]) as ST;
  const dw = tfl.layers
    .depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init() })
    .apply(dense) as ST;
  const up = tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(dw) as ST; // 8x8
  const tr = tfl.layers
    .conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: init() })
    .apply(dw) as ST;
  x = tfl.layers.concatenate().apply([up, tr, x]) as ST;
  x = bnRelu(conv(x, 8, 3, 2));
  const gap = tfl.layers.globalAveragePooling2d({}).apply(x) as ST;
  const out = tfl.layers
    .dense({ units: 3, activation: 'softmax', kernelInitializer: init() })
    .apply(gap) as ST;
  return tfl.model({ inputs: inp, outputs: out });
}

async function trainLosses(
  backend: 'cpu' | 'wasm',
  weights: Float32Array[] | null,
  native: boolean,
): Promise<{ losses: number[]; weights: Float32Array[] }> {
  if (native) enableNativeKernels();
  else disableNativeKernels();
  await tf.setBackend(backend);
  const model = tinyNet();
  if (weights != null) {
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i] as Float32Array, w.shape)));
  }
  const initial = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
  const x = tf.tensor(randn([4, 16, 16, 1], 900).data, [4, 16, 16, 1]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
  const losses: number[] = [(await model.trainOnBatch(x, y)) as number];
  const before = tf.memory().numTensors; // after the optimizer created its slots
  for (let i = 0; i < 3; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, y]);
  model.dispose();
  return { losses, weights: initial };
}

describe('training on wasm', () => {
  it('a ResNet/DenseNet/UNet-like net trains on wasm, with and without the native addon, with the same losses as on cpu (1e-3)', async () => {
    const cpu = await trainLosses('cpu', null, false);
    expect(cpu.losses[3]).toBeLessThan(cpu.losses[0] as number); // it does learn
    const runs = [await trainLosses('wasm', cpu.weights, false)];
    if (nativeKernelsInUse().reason !== 'disabled by MEDINETS_NATIVE=0') {
      runs.push(await trainLosses('wasm', cpu.weights, true), await trainLosses('cpu', cpu.weights, true));
    }
    enableNativeKernels();
    for (const run of runs) {
      for (let i = 0; i < cpu.losses.length; i++) {
        expect(
          Math.abs((run.losses[i] as number) - (cpu.losses[i] as number)) / Math.abs(cpu.losses[i] as number),
        ).toBeLessThan(1e-3);
      }
    }
  });
});

describe('registration', () => {
  it('lists every kernel with its backend, kind and reason: wasm and cpu, and on webgl only the deformable convolution tfjs lacks', () => {
    const list = listTrainingKernels();
    expect(list.length).toBeGreaterThan(10);
    for (const k of list) {
      expect(['wasm', 'cpu', 'webgl']).toContain(k.backendName);
      if (k.backendName === 'webgl') {
        expect(k.kernelName).toMatch(/^MedinetsDeform/);
        expect(k.kind).toBe('missing');
      }
      expect(['missing', 'fix', 'speed']).toContain(k.kind);
      expect(k.why.length).toBeGreaterThan(10);
      expect(tf.getKernel(k.kernelName, k.backendName)).toBeDefined();
    }
    const names = list.map((k) => `${k.backendName}:${k.kernelName}`);
    for (const n of [
      'wasm:Conv2DBackpropFilter',
      'wasm:UnsortedSegmentSum',
      'cpu:Conv2DBackpropFilter',
      'wasm:MaxPoolGrad',
    ]) {
      expect(names).toContain(n);
    }
  });

  it('registers every medinets kernel through the registry, deformable convolution included', async () => {
    // Importing the layers registers nothing of their own: their kernels are registry entries.
    await import('../../src/layers');
    const names = listTrainingKernels().map((k) => `${k.backendName}:${k.kernelName}`);
    for (const n of [
      'cpu:MedinetsDeformIm2Col',
      'wasm:MedinetsDeformIm2Col',
      'cpu:MedinetsDeformCol2Im',
      'wasm:MedinetsDeformCol2Im',
      'cpu:MedinetsDeformGemm',
    ]) {
      expect(names).toContain(n);
    }
    for (const be of ['cpu', 'wasm']) {
      const own = tf
        .getKernelsForBackend(be)
        .map((k) => k.kernelName)
        .filter((n) => n.startsWith('Medinets') && n !== 'MedinetsTrainingKernels');
      expect(own.length).toBeGreaterThan(2);
      for (const n of own) expect(names).toContain(`${be}:${n}`);
    }
  });

  it('is idempotent and re-installs a replacement a backend package overwrote', () => {
    const mine = tf.getKernel('Tile', 'wasm');
    const stock = stockKernel('Tile', 'wasm');
    registerTrainingKernels();
    expect(tf.getKernel('Tile', 'wasm')).toBe(mine);
    // Simulate a late import of the backend package re-registering its stock kernel.
    const fake = {
      kernelName: 'Tile',
      backendName: 'wasm',
      kernelFunc: () => ({ dataId: {}, shape: [], dtype: 'float32' as const }),
    };
    tf.unregisterKernel('Tile', 'wasm');
    tf.registerKernel(fake);
    registerTrainingKernels();
    const now = tf.getKernel('Tile', 'wasm');
    expect(now).not.toBe(fake);
    expect(now?.kernelFunc).not.toBe(fake.kernelFunc);
    expect(stockKernel('Tile', 'wasm')).toBe(fake);
    // Put the real stock kernel back under ours for the rest of the suite.
    tf.unregisterKernel('Tile', 'wasm');
    if (stock != null) tf.registerKernel(stock);
    registerTrainingKernels();
    expect(stockKernel('Tile', 'wasm')).toBe(stock);
  });

  it('setupBackend({ prefer: "wasm" }) leaves every medinets kernel in place', async () => {
    await setupBackend({ prefer: 'wasm' });
    for (const k of listTrainingKernels()) {
      const current = tf.getKernel(k.kernelName, k.backendName);
      expect(current, `${k.backendName}:${k.kernelName}`).toBeDefined();
      if (k.kind !== 'missing') expect(current).not.toBe(stockKernel(k.kernelName, k.backendName));
    }
    await setupBackend({ prefer: 'cpu' });
  });

  it('suspendTrainingKernels restores the stock kernels, even across setBackend, until re-registered', async () => {
    const mine = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    suspendTrainingKernels(['cpu']);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(stockKernel('Conv2DBackpropFilter', 'cpu'));
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined(); // other backend untouched
    await tf.setBackend('wasm');
    await tf.setBackend('cpu'); // the setup hook must not re-install while suspended
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).toBe(stockKernel('Conv2DBackpropFilter', 'cpu'));
    registerTrainingKernels();
    const back = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    expect(back).not.toBe(stockKernel('Conv2DBackpropFilter', 'cpu'));
    expect(back?.kernelFunc).toBeDefined();
    expect(mine).toBeDefined();
  });

  it('leaves other backends alone; on webgl it only adds kernels tfjs has no name for', () => {
    for (const be of ['tensorflow', 'webgpu']) {
      for (const k of listTrainingKernels()) expect(tf.getKernel(k.kernelName, be)).toBeUndefined();
    }
    const webgl = listTrainingKernels().filter((k) => k.backendName === 'webgl');
    expect(webgl.map((k) => k.kernelName).sort()).toEqual([
      'MedinetsDeformDxBand',
      'MedinetsDeformIm2ColTile',
      'MedinetsDeformOffsetGradTile',
    ]);
    for (const k of listTrainingKernels().filter((e) => e.backendName !== 'webgl')) {
      if (!k.kernelName.startsWith('Medinets')) expect(tf.getKernel(k.kernelName, 'webgl')).toBeUndefined();
    }
  });
});
