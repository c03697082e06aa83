// loadWeights' contract on small files: the report, the three strictness levels, the model
// untouched after any error, prefix, the grayscale stem and errors that name the file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ResNet18 } from '../../src/models';
import { WeightsError } from '../../src/weights/errors';
import { loadWeights } from '../../src/weights/load';
import { ensureTorchFixtures, GENERATED } from './helpers';

ensureTorchFixtures(['timm_resnet'], '.safetensors');
const FILE = join(GENERATED, 'timm_resnet.safetensors');
const bytes = new Uint8Array(readFileSync(FILE));

function resnet(
  o: { classes?: number; includeTop?: boolean; channels?: number; name?: string } = {},
): tfl.LayersModel {
  return ResNet18({
    variant: 'torchvision',
    inputShape: [32, 32, o.channels ?? 3],
    classes: o.classes ?? 10,
    includeTop: o.includeTop ?? true,
    classifierActivation: 'linear',
    seed: 1,
  });
}

// The model's weights as one byte string (deep-equality of millions of floats is too slow).
const snapshot = (m: tfl.LayersModel): string =>
  m
    .getWeights()
    .map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('base64'))
    .join('|');

describe('loadWeights', () => {
  it('reports matched, unexpected (num_batches_tracked) and nothing missing', async () => {
    const m = resnet();
    const r = await loadWeights(m, bytes);
    expect(r.format).toBe('safetensors');
    expect(r.file).toBe('<bytes>');
    expect(r.matched).toHaveLength(m.weights.length);
    expect(r.missing).toEqual([]);
    expect(r.mismatched).toEqual([]);
  });

  it('by default throws on a class-count mismatch, naming the file and weight, model untouched', async () => {
    const m = resnet({ classes: 3 });
    const before = snapshot(m);
    await expect(loadWeights(m, FILE)).rejects.toThrow(
      /loadWeights: .*timm_resnet\.safetensors: 'fc\.weight' has shape \[512,10\] but the model's 'predictions\/kernel' expects \[512,3\]/,
    );
    expect(snapshot(m)).toEqual(before);
  });

  it('strict: false loads the trunk and leaves a new head as it was', async () => {
    const m = resnet({ classes: 3 });
    const head = m.getLayer('predictions').getWeights()[0].dataSync().slice();
    const r = await loadWeights(m, FILE, { strict: false });
    expect(r.mismatched.map((x) => x.name)).toEqual(['predictions/kernel', 'predictions/bias']);
    expect(m.getLayer('predictions').getWeights()[0].dataSync()).toEqual(head);
    expect(r.matched.length).toBe(m.weights.length - 2);
  });

  it('a model without top: the classifier is reported, not fatal; strict "all" refuses it', async () => {
    const m = resnet({ includeTop: false });
    const r = await loadWeights(m, FILE);
    expect(r.unexpected).toEqual(expect.arrayContaining(['fc.weight', 'fc.bias']));
    const before = snapshot(m);
    await expect(loadWeights(resnet({ includeTop: false }), FILE, { strict: 'all' })).rejects.toThrow(
      /tensor\(s\) the model does not use, first 'fc\.(weight|bias)' \(strict: 'all'\)/,
    );
    expect(snapshot(m)).toEqual(before);
  });

  it('a checkpoint for another architecture: a named error, model untouched', async () => {
    const other = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [4], units: 2, name: 'dense_a' })],
    });
    const before = snapshot(other);
    await expect(loadWeights(other, FILE)).rejects.toThrow(WeightsError);
    await expect(loadWeights(other, FILE)).rejects.toThrow(
      /lacks 2 weight\(s\) of the model, first 'dense_a\/kernel'/,
    );
    expect(snapshot(other)).toEqual(before);
  });

  it('sums the RGB stem for a grayscale model', async () => {
    const rgb = resnet();
    await loadWeights(rgb, FILE);
    const gray = resnet({ channels: 1 });
    await loadWeights(gray, FILE);
    const want = tf.sum(rgb.getLayer('conv1_conv').getWeights()[0], 2, true);
    const got = gray.getLayer('conv1_conv').getWeights()[0];
    expect(got.shape).toEqual([7, 7, 1, 64]);
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-6);
  });

  it('prefix loads a plain file into a prefixed trunk', async () => {
    const plain = resnet();
    await loadWeights(plain, FILE);
    const inner = resnet();
    // A model whose layer names carry 'left/': rebuild the same graph by renaming.
    const cfg = inner.getConfig() as unknown as {
      layers: { name: string; config: { name: string }; inbound_nodes: unknown }[];
    };
    const text = JSON.stringify(cfg).replace(
      /"(conv\d_block\d_\d_(?:conv|bn)|conv1_(?:conv|bn)|predictions)"/g,
      '"left/$1"',
    );
    const prefixed = (await tfl.models.modelFromJSON({
      modelTopology: { class_name: 'Functional', config: JSON.parse(text) },
    })) as tfl.LayersModel;
    const r = await loadWeights(prefixed, FILE, { prefix: 'left/' });
    expect(r.missing).toEqual([]);
    expect(Array.from(prefixed.getLayer('left/conv1_conv').getWeights()[0].dataSync())).toEqual(
      Array.from(plain.getLayer('conv1_conv').getWeights()[0].dataSync()),
    );
  });

  it('rejects a bad strict option naming it', async () => {
    await expect(loadWeights(resnet(), bytes, { strict: 'yes' as unknown as boolean })).rejects.toThrow(
      /'strict' must be true, false or 'all'/,
    );
  });
});
