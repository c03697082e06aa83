// Example 000's --weights: two backbone files in two formats (a Keras .h5 laid out as Keras
// writes it, made by make_keras_h5.py; a torchvision DenseNet .pth, made by
// make_example_weights.py) load into the two prefixed trunks of a reduced fusion; the DenseNet
// trunk, with its own preprocess_input inside the model, then gives PyTorch's features.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadFusionWeights } from '../../examples/000-res-dense-fusion/index';
import { DENSENET_PREFIX, RESNET_PREFIX, ResDenseFusion, ResNet } from '../../src/models';
import { FIXTURES, PYTHON } from '../weights/helpers';

const EXAMPLE_FIXTURES = join(FIXTURES, '..', 'examples');
const short = (n: string): string => n.slice(n.lastIndexOf('/') + 1);
const LAYOUT = { resnetBlocks: [1, 1, 1, 1], resnetFilters: 4, densenetBlocks: [1, 2, 1, 1], growthRate: 4 };

let dir = '';
let torchRef: { size: number; input: number[]; features: number[][] };
let resnetBin: Float32Array;
let resnetLayers: { name: string; weights: [string, number[]][] }[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'example-weights-'));
  execFileSync(PYTHON, [join(EXAMPLE_FIXTURES, 'make_example_weights.py'), dir]);
  torchRef = JSON.parse(readFileSync(join(dir, 'densenet_tiny.json'), 'utf8')) as typeof torchRef;
  // A Keras ResNet file for the trunk's layout, from the standalone backbone's own layer list.
  const res = ResNet({
    inputShape: [32, 32, 3],
    blocks: LAYOUT.resnetBlocks,
    block: 'bottleneck',
    filters: LAYOUT.resnetFilters,
    includeTop: false,
    zeroInit: true,
  });
  resnetLayers = res.layers
    .filter((l) => l.weights.length > 0)
    .map((l) => ({
      name: l.name,
      weights: l.weights.map((w) => [short(w.originalName), w.shape as number[]]),
    }));
  res.dispose();
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ layers: resnetLayers }));
  execFileSync(PYTHON, [join(FIXTURES, 'make_keras_h5.py'), join(dir, 'spec.json'), join(dir, 'resnet')]);
  resnetBin = new Float32Array(new Uint8Array(readFileSync(join(dir, 'resnet.bin'))).slice().buffer);
});

describe('example 000: --weights resnet.h5,densenet.pth', () => {
  it('loads each file into its trunk; the DenseNet trunk then equals torchvision', async () => {
    const model = ResDenseFusion({
      inputShape: [32, 32, 3],
      classes: 2,
      seed: 3,
      preprocess: true,
      ...LAYOUT,
    });
    const x = tf.tidy(() => tf.mul(tf.tensor4d(torchRef.input, [2, 32, 32, 3]), 255));
    const before = model.predict(x) as tf.Tensor;
    const denseBefore = model.getLayer(`${DENSENET_PREFIX}conv1/conv`).getWeights()[0]?.dataSync().slice();
    const [r, d] = await loadFusionWeights(model, [join(dir, 'resnet.h5'), join(dir, 'densenet_tiny.pth')]);
    expect(r?.format).toBe('keras-h5');
    expect(r?.matched.every((n) => n.startsWith(RESNET_PREFIX))).toBe(true);
    expect(d?.format).toBe('torch');
    expect(d?.matched.every((n) => n.startsWith(DENSENET_PREFIX))).toBe(true);
    expect(d?.unexpected.some((n) => n.startsWith('classifier'))).toBe(true);
    // Every ResNet weight holds the file's value (the .bin has them in spec order).
    let at = 0;
    for (const l of resnetLayers) {
      const layer = model.getLayer(`${RESNET_PREFIX}${l.name}`);
      for (const [w, shape] of l.weights) {
        const size = shape.reduce((a, b) => a * b, 1);
        const got = layer.weights
          .find((v) => short(v.originalName) === w)
          ?.read()
          .dataSync() as Float32Array;
        expect(Array.from(got), `${l.name}/${w}`).toEqual(Array.from(resnetBin.subarray(at, at + size)));
        at += size;
      }
    }
    expect(at).toBe(resnetBin.length);
    const denseAfter = model.getLayer(`${DENSENET_PREFIX}conv1/conv`).getWeights()[0]?.dataSync();
    expect(Array.from(denseAfter ?? [])).not.toEqual(Array.from(denseBefore ?? []));
    // The DenseNet trunk (preprocess_densenet -> ... -> relu) on [0, 255] pixels = torch on
    // ImageNet-normalised [0, 1] pixels, globally averaged.
    const trunk = tfl.model({
      inputs: model.inputs,
      outputs: model.getLayer(`${DENSENET_PREFIX}relu`).output as tfl.SymbolicTensor,
    });
    const feats = tf.tidy(() => tf.mean(trunk.predict(x) as tf.Tensor, [1, 2]));
    const want = torchRef.features.flat();
    const got = Array.from(feats.dataSync());
    const scale = Math.max(...want.map(Math.abs));
    const err = Math.max(...got.map((g, i) => Math.abs(g - (want[i] as number)))) / scale;
    expect(err).toBeLessThan(1e-4);
    const after = model.predict(x) as tf.Tensor;
    expect(Array.from(after.dataSync())).not.toEqual(Array.from(before.dataSync()));
    tf.dispose([x, before, after, feats]);
    model.dispose();
  });

  it('one file is a whole fusion; three files are an error naming the flag', async () => {
    const model = ResDenseFusion({
      inputShape: [32, 32, 3],
      classes: 2,
      preprocess: true,
      zeroInit: true,
      ...LAYOUT,
    });
    await expect(loadFusionWeights(model, ['a', 'b', 'c'])).rejects.toThrow(
      /--weights takes one fusion file or two/,
    );
    // The ResNet file alone is not a fusion: strict loading names what is missing, model untouched.
    await expect(loadFusionWeights(model, [join(dir, 'resnet.h5')])).rejects.toThrow(/loadWeights/);
    model.dispose();
  });
});
