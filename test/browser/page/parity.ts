// Runs in Chromium (bundled by test/browser/harness.ts): every custom layer and every registry
// model, forward and one training step's gradients, on webgl and on cpu, from the same
// weights and inputs. Reports the largest differences to the Node test through window.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { setupBackend } from '../../../src/backend';
import { buildModel, listModels } from '../../../src/models';
import * as L from '../../../src/layers';

/** One case: a model built the same way on each backend from seeded weights. */
interface Case {
  name: string;
  build: () => tfl.LayersModel;
  input: number[];
}

const FILTERS4 = new Set([
  'SimpleCNN',
  'ThesisVGG',
  'UNet',
  'ResUNet',
  'ResUNetECSA',
  'ResUNetFPRM',
  'DResUNet',
]);

function layerCase(name: string, make: () => tfl.layers.Layer, shape = [8, 8, 8]): Case {
  return {
    name: `layer ${name}`,
    input: [2, ...shape],
    build: () => {
      const x = tfl.input({ shape });
      return tfl.model({ inputs: x, outputs: make().apply(x) as tfl.SymbolicTensor });
    },
  };
}

function cases(only: string[] | null): Case[] {
  const layers: Case[] = [
    layerCase('SqueezeExcite', () => new L.SqueezeExcite({ reduction: 2 })),
    layerCase('ChannelSE', () => new L.ChannelSE({ reduction: 2 })),
    layerCase('SpatialSE', () => new L.SpatialSE()),
    layerCase('SCSE', () => new L.SCSE({ reduction: 2 })),
    layerCase('ECA', () => new L.ECA()),
    layerCase('ECAsE', () => new L.ECAsE()),
    layerCase('UpsampleBilinear', () => new L.UpsampleBilinear()),
    layerCase('DeformConv2D', () => new L.DeformConv2D({ filters: 4, kernelSize: [3, 3] })),
  ];
  // Every registry model, the classic backbones (VGG, ResNet, DenseNet, Inception and the
  // fusions built on them) included, at the smallest input their downsampling allows: the
  // comparison is of the arithmetic, which a 32x32 image exercises layer by layer as a 224x224
  // one does, and SwiftShader beside the JavaScript cpu backend keeps CI within its budget.
  // ?all=1 runs them all; without it, the small models only.
  // NOTE (measured 2026-12-03): at 32x32 and batch 1 the batch-norm backbones (ResNet,
  // DenseNet, InceptionV3) end at 1x1 pixel, where training-mode batch norm outputs its beta
  // and every gradient upstream vanishes, so their gradient rows match trivially (0.0). With
  // batch 2 the gradients live and webgl differs from cpu by 7e-2 (ResNet18) and 0.44
  // (InceptionV3 at 75x75): not yet explained (ill-conditioned 2-sample statistics, or a
  // kernel); it is why these models stay out of CI's default run.
  const all = new URLSearchParams(
    (globalThis as unknown as { location: { search: string } }).location.search,
  ).has('all');
  const names = listModels().filter((n) => all || FILTERS4.has(n) || n === 'PneumoniaCNN');
  const models: Case[] = names.map((name) => {
    const size = name === 'InceptionV3' ? 75 : 32;
    const channels = name === 'PneumoniaCNN' ? 1 : 3;
    return {
      name: `model ${name}`,
      input: [1, size, size, channels],
      build: () =>
        buildModel(name, {
          inputShape: [size, size, channels],
          classes: 2,
          seed: 7,
          ...(FILTERS4.has(name) ? { filters: 4 } : {}),
        } as never),
    };
  });
  const list = [...layers, ...models];
  return only ? list.filter((c) => only.some((o) => c.name.endsWith(o))) : list;
}

/** Output and gradients of sum(output * projection) with respect to every trainable weight. */
function run(model: tfl.LayersModel, x: tf.Tensor): Float32Array[] {
  // Dropout draws unseeded masks, different on each backend: off for the comparison (batch
  // norm still runs in training mode).
  for (const l of model.layers)
    if (/Dropout/.test(l.getClassName())) (l as unknown as { rate: number }).rate = 0;
  return tf.tidy(() => {
    const y = model.predict(x) as tf.Tensor;
    const proj = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    if (vars.length === 0) {
      // A layer without weights (UpsampleBilinear): the gradient with respect to its input.
      const dx = tf.grad((xi: tf.Tensor) =>
        tf.sum(tf.mul(model.apply(xi, { training: true }) as tf.Tensor, proj)),
      )(x);
      return [y, dx].map((t) => t.dataSync() as Float32Array);
    }
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, proj)) as tf.Scalar,
      vars,
    );
    return [y, ...vars.map((v) => grads[v.name] as tf.Tensor)].map((t) => t.dataSync() as Float32Array);
  });
}

/** max |a - b| over max(1, max |b|): absolute for values near 1, relative for large gradients. */
function diff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((ai, k) => {
    const bk = b[k] as Float32Array;
    let d = 0;
    let scale = 1;
    for (let i = 0; i < ai.length; i++) {
      d = Math.max(d, Math.abs((ai[i] as number) - (bk[i] as number)));
      scale = Math.max(scale, Math.abs(bk[i] as number));
    }
    worst = Math.max(worst, Number.isFinite(d) ? d / scale : Infinity);
  });
  return worst;
}

interface Row {
  name: string;
  forward: number;
  train: number;
  ms: number;
  error?: string;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(
    (globalThis as unknown as { location: { search: string } }).location.search,
  );
  const only = params.get('only')?.split(',') ?? null;
  // webgl by default; ?target=wasm compares the wasm backend with medinets' training kernels
  // (Conv2DBackpropFilter and the others tfjs-wasm lacks) to cpu the same way.
  const target = (params.get('target') ?? 'webgl') as 'webgl' | 'wasm';
  setWasmPaths('./');
  const report = await setupBackend({ prefer: target });
  const kernels = [
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'MaxPoolGrad',
    'MedinetsDeformIm2Col',
  ].filter((k) => tf.getKernel(k, target) !== undefined);
  const rows: Row[] = [];
  for (const c of cases(only)) {
    const t0 = performance.now();
    try {
      await setupBackend({ prefer: 'cpu' });
      const cpuModel = c.build();
      const weights = cpuModel.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync().slice() }));
      const x = tf.randomNormal(c.input, 0, 1, 'float32', 11);
      const xData = x.dataSync().slice();
      const cpu = run(cpuModel, x);
      tf.dispose(x);
      cpuModel.dispose();
      await setupBackend({ prefer: target });
      const glModel = c.build();
      glModel.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
      const xg = tf.tensor(xData, c.input);
      const gl = run(glModel, xg);
      tf.dispose(xg);
      glModel.dispose();
      rows.push({
        name: c.name,
        forward: diff(gl.slice(0, 1), cpu.slice(0, 1)),
        train: diff(gl.slice(1), cpu.slice(1)),
        ms: Math.round(performance.now() - t0),
      });
    } catch (err) {
      rows.push({ name: c.name, forward: NaN, train: NaN, ms: 0, error: String(err) });
    }
  }
  (globalThis as unknown as { __result: unknown }).__result = { backend: report.backend, rows, kernels };
}

main().catch((err) => {
  (globalThis as unknown as { __result: unknown }).__result = { error: String(err) };
});
