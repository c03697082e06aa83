import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { colormapLut, gradCam, gradCamPlusPlus } from '../../src/explain';

const fx = JSON.parse(readFileSync(new URL('../fixtures/explain/gradcam.json', import.meta.url), 'utf8')) as {
  input: number[][][][];
  targets: number[];
  weights: Record<string, [number[] | number[][] | number[][][][], number[]]>;
  gradcamRaw: number[][][];
  gradcamFull: number[][][];
  gradcamppRaw: number[][][];
  gradcamppFull: number[][][];
};
const cmaps = JSON.parse(
  readFileSync(new URL('../fixtures/explain/colormaps.json', import.meta.url), 'utf8'),
) as Record<'jet' | 'viridis', number[][]>;

function torchTwin(): tfl.LayersModel {
  const x = tfl.input({ shape: [8, 8, 2] });
  const c = (name: string, filters: number) =>
    tfl.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation: 'relu' });
  let h = c('c1', 4).apply(x) as tfl.SymbolicTensor;
  h = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tfl.SymbolicTensor;
  h = c('feat', 5).apply(h) as tfl.SymbolicTensor;
  h = c('c3', 6).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.globalAveragePooling2d({}).apply(h) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ name: 'head', units: 3 }).apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: x, outputs: y });
  for (const [name, [k, b]] of Object.entries(fx.weights)) {
    model.getLayer(name).setWeights([tf.tensor(k as number[]), tf.tensor1d(b)]);
  }
  return model;
}

function maxAbsDiff(a: tf.Tensor, b: number[][][]): number {
  const ref = b.flat(2);
  const v = a.dataSync();
  expect(v.length).toBe(ref.length);
  return ref.reduce((m, r, i) => Math.max(m, Math.abs((v[i] as number) - r)), 0);
}

describe('Grad-CAM family vs a PyTorch reference (pytorch-grad-cam formulas)', () => {
  const model = torchTwin();
  const x = tf.tensor4d(fx.input);
  const diffs: Record<string, number> = {};
  it('Grad-CAM raw (4x4) and full-size normalised maps', () => {
    const raw = gradCam(model, x, { layer: 'feat', targets: fx.targets, upsample: false, normalize: false });
    const full = gradCam(model, x, { layer: 'feat', targets: fx.targets });
    diffs.gradCamRaw = maxAbsDiff(raw, fx.gradcamRaw);
    diffs.gradCamFull = maxAbsDiff(full, fx.gradcamFull);
    expect(diffs.gradCamRaw).toBeLessThan(1e-5);
    expect(diffs.gradCamFull).toBeLessThan(1e-5);
    tf.dispose([raw, full]);
  });
  it('Grad-CAM++ raw and full-size normalised maps', () => {
    const raw = gradCamPlusPlus(model, x, {
      layer: 'feat',
      targets: fx.targets,
      upsample: false,
      normalize: false,
    });
    const full = gradCamPlusPlus(model, x, { layer: 'feat', targets: fx.targets });
    diffs.gradCamPlusPlusRaw = maxAbsDiff(raw, fx.gradcamppRaw);
    diffs.gradCamPlusPlusFull = maxAbsDiff(full, fx.gradcamppFull);
    expect(diffs.gradCamPlusPlusRaw).toBeLessThan(1e-5);
    expect(diffs.gradCamPlusPlusFull).toBeLessThan(1e-5);
    tf.dispose([raw, full]);
    console.log('torch parity (max abs diff):', JSON.stringify(diffs));
  });
});

describe('colour maps vs matplotlib', () => {
  it('jet (exact definition) and viridis (65 anchors) stay within 1 and 1.5 levels of 255', () => {
    for (const [name, tol] of [
      ['jet', 1],
      ['viridis', 1.5],
    ] as const) {
      const lut = colormapLut(name);
      let worst = 0;
      cmaps[name].forEach((rgb, i) =>
        rgb.forEach((v, j) => (worst = Math.max(worst, Math.abs((lut[i * 3 + j] as number) - v)))),
      );
      expect(worst).toBeLessThanOrEqual(tol);
    }
  });
});
