import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  activationGrid,
  colormapLut,
  filterWeights,
  heatmapToRgba,
  layerActivations,
  occlusionSensitivity,
  overlayHeatmap,
  saliency,
  saveHeatmapPng,
} from '../../src/explain';
import { conv, plainCnn, randomImages } from './models';

/** x [4, 4, 2] -> flatten -> dense(3, linear): every attribution has a closed form in W. */
function linearModel(): tfl.LayersModel {
  const x = tfl.input({ shape: [4, 4, 2] });
  const f = tfl.layers.flatten({}).apply(x) as tfl.SymbolicTensor;
  const y = tfl.layers
    .dense({ name: 'lin', units: 3, kernelInitializer: tfl.initializers.randomNormal({ seed: 5 }) })
    .apply(f) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

describe('saliency and occlusion sensitivity', () => {
  it('saliency = max_c |W[:, target]| for a linear model', () => {
    const model = linearModel();
    const w = model.getLayer('lin').getWeights()[0] as tf.Tensor2D; // [32, 3]
    const x = randomImages(2, 4, 4, 2, 1);
    const got = saliency(model, x, { targets: [2, 0], normalize: false });
    const exp = tf.tidy(() =>
      tf.stack([2, 0].map((c) => tf.max(tf.abs(tf.reshape(tf.slice(w, [0, c], [-1, 1]), [4, 4, 2])), 2))),
    );
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, exp))).dataSync()[0] as number)).toBeLessThan(1e-6);
    tf.dispose([x, got, exp]);
  });

  it('occlusion drop = sum over the patch of W (x - fill) for a linear model', () => {
    const model = linearModel();
    const w = (model.getLayer('lin').getWeights()[0] as tf.Tensor2D).arraySync();
    const x = randomImages(1, 4, 4, 2, 2);
    const xv = x.arraySync()[0]!;
    const before = tf.memory().numTensors;
    const map = occlusionSensitivity(model, x, {
      targets: 1,
      patchSize: 2,
      stride: 2,
      fill: 0.5,
      logits: true,
    });
    const got = map.arraySync()[0]!;
    map.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (let py = 0; py < 4; py += 2) {
      for (let px = 0; px < 4; px += 2) {
        let drop = 0;
        for (let y = py; y < py + 2; y++)
          for (let xx = px; xx < px + 2; xx++)
            for (let c = 0; c < 2; c++) drop += w[(y * 4 + xx) * 2 + c]![1]! * (xv[y]![xx]![c]! - 0.5);
        for (let y = py; y < py + 2; y++)
          for (let xx = px; xx < px + 2; xx++) expect(got[y]![xx]!).toBeCloseTo(drop, 5);
      }
    }
    x.dispose();
  });
});

describe('feature maps and filters', () => {
  it('layerActivations reads several layers (also inside nested models) in one pass', () => {
    const model = plainCnn();
    const x = randomImages(2, 8, 8, 2, 3);
    const acts = layerActivations(model, x, ['c1', 'feat', 'gap']);
    const sub = tfl.model({
      inputs: model.inputs,
      outputs: [
        model.getLayer('c1').output as tfl.SymbolicTensor,
        model.getLayer('gap').output as tfl.SymbolicTensor,
      ],
    });
    const [c1, gap] = sub.predict(x) as tf.Tensor[];
    expect(acts.feat!.shape).toEqual([2, 8, 8, 5]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(acts.c1!, c1!))).dataSync()[0] as number)).toBeLessThan(1e-6);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(acts.gap!, gap!))).dataSync()[0] as number)).toBeLessThan(1e-6);
    const inner = tfl.input({ shape: [8, 8, 2] });
    const bb = tfl.model({
      inputs: inner,
      outputs: conv('deep', 3, 9).apply(inner) as tfl.SymbolicTensor,
      name: 'bb',
    });
    const outer = tfl.input({ shape: [8, 8, 2] });
    const wrapped = tfl.model({
      inputs: outer,
      outputs: tfl.layers
        .globalAveragePooling2d({})
        .apply(bb.apply(outer) as tfl.SymbolicTensor) as tfl.SymbolicTensor,
    });
    const nested = layerActivations(wrapped, x, ['bb/deep']);
    const direct = bb.predict(x) as tf.Tensor;
    expect(
      tf.tidy(() => tf.max(tf.abs(tf.sub(nested['bb/deep']!, direct))).dataSync()[0] as number),
    ).toBeLessThan(1e-6);
    tf.dispose([x, ...Object.values(acts), c1!, gap!, ...Object.values(nested), direct]);
  });

  it('filterWeights returns [out, kh, kw, in] scaled to [0, 1]; activationGrid tiles channels', () => {
    const model = plainCnn();
    const k = filterWeights(model, 'feat');
    expect(k.shape).toEqual([5, 3, 3, 4]);
    expect(tf.tidy(() => [tf.min(k).dataSync()[0], tf.max(k).dataSync()[0]])).toEqual([0, 1]);
    const per = filterWeights(model, 'feat', { normalize: 'perFilter' });
    expect(Array.from(tf.tidy(() => tf.max(per, [1, 2, 3]).dataSync()))).toEqual([1, 1, 1, 1, 1]);
    expect(() => filterWeights(model, 'gap')).toThrow(/no 4-D convolution kernel/);
    const a = randomImages(1, 4, 4, 5, 4);
    const grid = activationGrid(a);
    expect(grid.shape).toEqual([9, 14]);
    tf.dispose([k, per, a, grid]);
  });
});

describe('overlays and PNG', () => {
  it('alpha 0 gives the image, alpha 1 the colour map, resizing the heat map as needed', () => {
    const img = tf.tidy(() => tf.reshape(tf.linspace(-1, 1, 16), [4, 4, 1]));
    const heat = tf.tidy(() => tf.reshape(tf.linspace(0, 1, 4), [2, 2]));
    const before = tf.memory().numTensors;
    const plain = overlayHeatmap(img, heat, { alpha: 0 });
    expect(plain.width).toBe(4);
    expect(plain.data.length).toBe(64);
    expect([plain.data[0], plain.data[1], plain.data[2], plain.data[3]]).toEqual([0, 0, 0, 255]);
    expect(plain.data[15 * 4]).toBe(255);
    const colour = overlayHeatmap(img, heat, { alpha: 1, colormap: 'viridis' });
    const lut = colormapLut('viridis');
    expect([colour.data[0], colour.data[1], colour.data[2]]).toEqual([lut[0], lut[1], lut[2]]);
    expect(tf.memory().numTensors).toBe(before);
    const jet = heatmapToRgba(tf.tidy(() => tf.tensor2d([[0, 1]])));
    expect(Array.from(jet.data)).toEqual([0, 0, 128, 255, 128, 0, 0, 255]);
    expect(() => overlayHeatmap(img, heat, { alpha: 2 })).toThrow(/'alpha'/);
    tf.dispose([img, heat]);
  });

  it('saveHeatmapPng writes a PNG file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medinets-explain-'));
    const img = tf.ones([6, 5, 3]);
    const heat = tf.zeros([6, 5]);
    const path = join(dir, 'gradcam_0.png');
    const bytes = await saveHeatmapPng(path, img, heat);
    const file = readFileSync(path);
    expect(Array.from(file.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
    expect(file.length).toBe(bytes.length);
    expect(file.readUInt32BE(16)).toBe(5);
    expect(file.readUInt32BE(20)).toBe(6);
    tf.dispose([img, heat]);
  });
});
