// Builders' `weights` (tensors, a model.json by path) and the deprecated 0.1 loaders
// (setWeightsByName, loadWeightsByName, readWeightsManifest, weightReport), which now forward
// to loadWeights: reports, 1-channel stems from RGB kernels, prefixes, strict mode.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { KernelInit } from '../../src/blocks';
import { kerasTop } from '../../src/models/build';
import { resolveOptions } from '../../src/models/options';
import { resnetTrunk } from '../../src/models/resnet';
import {
  ResNet,
  loadedWeightsReport,
  loadWeightsByName,
  readWeightsManifest,
  setWeightsByName,
  weightReport,
} from '../../src/models';
import { fixedBatch, maxAbsDiff, predict } from './backbone-helpers';

const small = (seed: number, channels = 3, classes = 4): tfl.LayersModel =>
  ResNet({ blocks: [1, 1, 1, 1], block: 'basic', filters: 4, inputShape: [32, 32, channels], classes, seed });

function named(model: tfl.LayersModel): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const w of model.weights) out[w.originalName] = w.read().clone();
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'medinets-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('setWeightsByName', () => {
  it('copies every weight by name and reports all layers as matched', () => {
    const before = tf.memory().numTensors;
    const a = small(1);
    const b = small(2);
    const map = named(a);
    const report = setWeightsByName(b, map);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.mismatched).toEqual([]);
    expect(report.matched).toContain('conv1_conv');
    expect(report.matched).toContain('predictions');
    const x = fixedBatch(2, 32, 32, 3);
    const ya = predict(a, x);
    const yb = predict(b, x);
    expect(maxAbsDiff(ya, yb)).toBe(0);
    tf.dispose([x, ya, yb, map]);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports missing, unexpected and mismatched layers and honours strict', () => {
    const a = small(1, 3, 4);
    const b = small(2, 3, 7);
    const map = named(a);
    delete map['conv2_block1_1_bn/gamma'];
    map['extra_dense/kernel'] = tf.zeros([2, 2]);
    const report = setWeightsByName(b, map);
    expect(report.missing).toEqual(expect.arrayContaining(['conv2_block1_1_bn', 'predictions']));
    expect(report.mismatched).toEqual(['predictions/kernel', 'predictions/bias']);
    expect(report.unexpected).toEqual(['extra_dense']);
    expect(() => setWeightsByName(b, map, { strict: true })).toThrow(
      /setWeightsByName: <tensors>: the file lacks 1 weight\(s\) of the model, first 'conv2_block1_1_bn\/gamma'/,
    );
    tf.dispose(map);
    a.dispose();
    b.dispose();
  });

  it('a builder given weights randomly initialises the kernels they do not cover', () => {
    const a = small(1, 3, 4);
    const map = named(a);
    const b = ResNet({
      blocks: [1, 1, 1, 1],
      block: 'basic',
      filters: 4,
      inputShape: [32, 32, 3],
      classes: 7,
      weights: map,
      seed: 1,
    });
    expect(weightReport(b)?.mismatched).toEqual(['predictions/kernel', 'predictions/bias']);
    const r = loadedWeightsReport(b);
    expect(r?.mismatched.map((m) => [m.name, m.expected, m.got])).toEqual([
      ['predictions/kernel', [32, 7], [32, 4]],
      ['predictions/bias', [7], [4]],
    ]);
    expect(r?.missing).toEqual([]);
    const k = b.getLayer('predictions').getWeights()[0];
    expect(tf.tidy(() => tf.max(tf.abs(k)).dataSync()[0])).toBeGreaterThan(0.01);
    expect(maxAbsDiff(b.getLayer('conv1_conv').getWeights()[0], map['conv1_conv/kernel'])).toBe(0);
    tf.dispose(map);
    a.dispose();
    b.dispose();
  });

  it('loads RGB stem kernels into a 1-channel model by summing over input channels', () => {
    const rgb = small(3, 3);
    const gray = small(4, 1);
    const map = named(rgb);
    const report = setWeightsByName(gray, map);
    expect(report.mismatched).toEqual([]);
    const k = gray.getLayer('conv1_conv').getWeights()[0];
    const want = tf.sum(map['conv1_conv/kernel'], 2, true);
    expect(k.shape).toEqual([7, 7, 1, 4]);
    expect(maxAbsDiff(k, want)).toBeLessThan(1e-6);
    // A gray image replicated on 3 channels gives the same logits in both models.
    const x1 = fixedBatch(2, 32, 32, 1);
    const x3 = tf.concat([x1, x1, x1], 3);
    const y1 = predict(gray, x1);
    const y3 = predict(rgb, x3);
    expect(maxAbsDiff(y1, y3)).toBeLessThan(1e-4);
    tf.dispose([map, want, x1, x3, y1, y3]);
    rgb.dispose();
    gray.dispose();
  });

  it('maps a plain weight file onto prefixed layers', () => {
    const a = small(5);
    const map = named(a);
    const input = tfl.input({ shape: [32, 32, 3] });
    const trunk = resnetTrunk(
      input,
      { blocks: [1, 1, 1, 1], block: 'basic', variant: 'keras', filters: 4 },
      new KernelInit(),
      'trunk/',
    );
    const r0 = resolveOptions(
      'test',
      { inputShape: [32, 32, 3], classes: 4 },
      {
        inputShape: [32, 32, 3],
        minSize: 32,
        classes: 4,
        name: 'test',
      },
    );
    const b = tfl.model({ inputs: input, outputs: kerasTop(trunk, r0, new KernelInit(), 'trunk/') });
    expect(b.getLayer('trunk/conv1_conv').getClassName()).toBe('Conv2D');
    const r = setWeightsByName(b, map, { prefix: 'trunk/' });
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.matched).toContain('trunk/conv1_conv');
    const x = fixedBatch(2, 32, 32, 3);
    const ya = predict(a, x);
    const yb = predict(b, x);
    expect(maxAbsDiff(ya, yb)).toBe(0);
    tf.dispose([map, x, ya, yb]);
    a.dispose();
    b.dispose();
  });
});

describe('reading manifests from disk', () => {
  async function writeModelJson(model: tfl.LayersModel, name: string): Promise<string> {
    const { data, specs } = await tf.io.encodeWeights(named(model));
    writeFileSync(join(dir, `${name}.bin`), new Uint8Array(data as ArrayBuffer));
    const json = { modelTopology: null, weightsManifest: [{ paths: [`${name}.bin`], weights: specs }] };
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(json));
    return join(dir, `${name}.json`);
  }

  it('loads a model.json by path through the builder and keeps the report', async () => {
    const a = small(7);
    const path = await writeModelJson(a, 'model');
    const before = tf.memory().numTensors;
    const b = await ResNet({
      blocks: [1, 1, 1, 1],
      block: 'basic',
      filters: 4,
      inputShape: [32, 32, 3],
      classes: 4,
      weights: path,
    });
    expect(weightReport(b)?.missing).toEqual([]);
    expect(loadedWeightsReport(b)?.format).toBe('tfjs-layers');
    expect(loadedWeightsReport(b)?.matched.length).toBe(b.weights.length);
    const x = fixedBatch(2, 32, 32, 3);
    const ya = predict(a, x);
    const yb = predict(b, x);
    expect(maxAbsDiff(ya, yb)).toBe(0);
    tf.dispose([x, ya, yb]);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const again = small(8);
    const r = await loadWeightsByName(again, path);
    expect(r.matched.length).toBe(again.layers.filter((l) => l.weights.length > 0).length);
    again.dispose();
    a.dispose();
  });

  it('explains a file that is not a manifest', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ hello: 1 }));
    await expect(readWeightsManifest(join(dir, 'bad.json'))).rejects.toThrow(/weightsManifest/);
  });

  it('readWeightsManifest reads any format now: its tensors equal the model.json ones', async () => {
    const a = small(9);
    const path = await writeModelJson(a, 'again');
    const named = await readWeightsManifest(path);
    expect(Object.keys(named).sort()).toEqual(a.weights.map((w) => w.originalName).sort());
    expect(maxAbsDiff(named['conv1_conv/kernel'], a.getLayer('conv1_conv').getWeights()[0])).toBe(0);
    tf.dispose(named);
    a.dispose();
  });

  it('a builder given a file of which nothing fits says so', async () => {
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ weightsManifest: [{ paths: [], weights: [] }] }));
    await expect(
      ResNet({
        blocks: [1, 1, 1, 1],
        block: 'basic',
        filters: 4,
        inputShape: [32, 32, 3],
        weights: join(dir, 'other.json'),
      }),
    ).rejects.toThrow(/ResNet: 'weights' \(.*other\.json\): no weight of the file fits the model/);
  });
});
