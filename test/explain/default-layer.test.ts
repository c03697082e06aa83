// The default Grad-CAM layer of every registered model gives an informative map: a 1x1 layer
// after global pooling (the residual UNets' head_conv) used to be picked and gave blank maps.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gradCam } from '../../src/explain';
import { buildModel, listModels, type ModelName } from '../../src/models/registry';
import { conv, dense, randomImages } from './models';
import * as tfl from '@tensorflow/tfjs-layers';
import { THESIS_MODELS } from '../models/thesis-models';

const THESIS = new Set(THESIS_MODELS);

function small(name: ModelName): tfl.LayersModel {
  // Inception-v3 at its minimum 75x75 has 1x1 maps from mixed8 on, and tfjs's own gradient of
  // the whole model fails there (stock kernels too); 139 keeps mixed10 (and
  // Inception-ResNet-v2's conv_7b) at 3x3.
  const size = name === 'InceptionV3' || name === 'InceptionResNetV2' ? 139 : 64;
  const options = {
    inputShape: [size, size, 3],
    classes: 2,
    seed: 7,
    ...(THESIS.has(name) ? { filters: 4 } : {}),
  };
  return buildModel(name, options as never);
}

describe('gradCam default layer', () => {
  it('skips [N, 1, 1, C] layers after global pooling and takes the last larger map', () => {
    const x = tfl.input({ shape: [8, 8, 2], name: 'image' });
    const feat = conv('feat', 4, 1).apply(x) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(feat) as tfl.SymbolicTensor;
    const r = tfl.layers.reshape({ targetShape: [1, 1, 4], name: 'r' }).apply(pooled) as tfl.SymbolicTensor;
    const head = conv('head_conv', 4, 2, 1).apply(r) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten({ name: 'flat' }).apply(head) as tfl.SymbolicTensor;
    const y = dense('out', 3, 3).apply(flat) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: y });
    const xs = randomImages(2, 8, 8, 2, 4);
    const def = gradCam(model, xs, { targets: 1 });
    const explicit = gradCam(model, xs, { targets: 1, layer: 'feat' });
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(def, explicit))).dataSync()[0])).toBe(0);
    tf.dispose([xs, def, explicit]);
    model.dispose();
  });

  it.each(['ResUNet', 'ResUNetECSA'] as const)(
    '%s: the default is the decoder map x22 (the head pools it to 2x2), kept through save and load',
    async (name) => {
      const model = buildModel(name, { inputShape: [64, 64, 1], classes: 2, filters: 4, seed: 3 });
      const x22 = model.layers.filter((l) => l.name.startsWith('x22_')).pop();
      expect(x22).toBeDefined();
      expect(model.getLayer('head_conv').outputShape).toEqual([null, 2, 2, 4]);
      const xs = randomImages(1, 64, 64, 1, 5);
      const def = gradCam(model, xs, { targets: 1, relu: false, normalize: false });
      const explicit = gradCam(model, xs, { targets: 1, relu: false, normalize: false, layer: x22!.name });
      const coarse = gradCam(model, xs, { targets: 1, relu: false, normalize: false, layer: 'head_conv' });
      const diff = (a: tf.Tensor, b: tf.Tensor): number =>
        tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
      expect(diff(def, explicit)).toBe(0);
      expect(diff(def, coarse)).toBeGreaterThan(0);
      // The name travels in model.json's userDefinedMetadata.
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
      const again = gradCam(loaded, xs, { targets: 1, relu: false, normalize: false });
      expect(diff(def, again)).toBeLessThan(1e-5);
      tf.dispose([xs, def, explicit, coarse, again]);
      model.dispose();
      loaded.dispose();
    },
  );

  it.each(listModels())('%s: the default map of a random input is not constant', (name) => {
    const model = small(name);
    const size = model.inputs[0]!.shape.slice(1, 3) as [number, number];
    const x = tf.randomUniform([1, size[0], size[1], 3], 0, 255, 'float32', 11);
    const range = (m: tf.Tensor): [number, number] =>
      tf.tidy(() => [tf.min(m).dataSync()[0] as number, tf.max(m).dataSync()[0] as number]);
    // The weighted sum before ReLU: constant exactly when the chosen layer is 1x1 (the old bug).
    const raw = gradCam(model, x, { relu: false, normalize: false });
    const [rlo, rhi] = range(raw);
    expect(rhi - rlo).toBeGreaterThan(1e-4 * Math.max(Math.abs(rlo), Math.abs(rhi)));
    // With every default: informative wherever there is positive evidence; an untrained net can
    // have none for its prediction (the ReLU then zeroes the whole map, which is Grad-CAM's answer).
    const map = gradCam(model, x);
    const [lo, hi] = range(map);
    expect(map.shape).toEqual([1, size[0], size[1]]);
    if (rhi > 0) expect(hi - lo).toBeGreaterThan(0.5);
    else expect(hi).toBe(0);
    tf.dispose([x, raw, map]);
    model.dispose();
  });
});
