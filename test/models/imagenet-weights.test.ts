// `weights: 'imagenet'` on a builder, end to end against a local HTTP server on 127.0.0.1 (no
// test reaches the internet): the ImageNet table is replaced by one whose entries point at the
// server and carry the digest of the file it serves, a seeded torchvision resnet18 saved with
// torch.save (test/fixtures/weights/make_torchvision_full.py, made at test time). The builder
// asks the table for the right file, downloads it once into MEDINETS_HOME, checks its sha256,
// loads it (torchvision's logits to 1e-4), and explains a bad digest or an unreachable server.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PublishedQuery, PublishedWeights } from '../../src/weights/imagenet';
import { GENERATED, ensureTorchFixtures, relativeError, torchCase } from '../weights/helpers';

const state = vi.hoisted(() => ({
  entry: undefined as PublishedWeights | undefined,
  asked: [] as [string, PublishedQuery][],
  published: undefined as PublishedWeights | undefined,
}));

vi.mock('../../src/weights/imagenet', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/weights/imagenet')>();
  return {
    ...real,
    imagenetWeights: (builder: string, query: PublishedQuery): PublishedWeights | undefined => {
      state.asked.push([builder, query]);
      state.published = real.imagenetWeights(builder, query);
      return state.published === undefined ? undefined : state.entry;
    },
  };
});

// test/setup.ts imported src before the mock existed: load the builders afresh, so they see it.
let models: typeof import('../../src/models');
let server: Server;
let base = '';
let requests = 0;
let body: Buffer;
let sha256 = '';
let home = '';

beforeAll(async () => {
  vi.resetModules();
  models = await import('../../src/models');
  ensureTorchFixtures(['resnet18']);
  body = readFileSync(join(GENERATED, 'resnet18.pth'));
  sha256 = createHash('sha256').update(body).digest('hex');
  server = createServer((req, res) => {
    requests++;
    if (req.url !== `/models/resnet18-${sha256.slice(0, 8)}.pth`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

const served = (hex = sha256.slice(0, 8), url?: string): PublishedWeights => {
  const filename = `resnet18-${sha256.slice(0, 8)}.pth`;
  return { url: url ?? `${base}/models/${filename}`, filename, hash: { algorithm: 'sha256-prefix', hex } };
};

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'medinets-home-'));
  process.env.MEDINETS_HOME = home;
  state.asked = [];
  state.entry = served();
  requests = 0;
});
afterAll(() => {
  delete process.env.MEDINETS_HOME;
});

const options = {
  variant: 'torchvision' as const,
  inputShape: [32, 32, 3] as [number, number, number],
  classifierActivation: 'linear' as const,
};

describe("builders' weights: 'imagenet'", () => {
  it('asks for the published file, downloads it once, verified, and gives torchvision’s logits', async () => {
    const { input, logits } = torchCase('resnet18');
    const model = await models.ResNet18({ ...options, weights: 'imagenet' });
    expect(state.asked).toEqual([['ResNet18', { variant: 'torchvision', includeTop: true, rows: 32 }]]);
    expect(state.published?.url).toBe('https://download.pytorch.org/models/resnet18-f37072fd.pth');
    expect(requests).toBe(1);
    expect(readdirSync(join(home, 'weights'))).toEqual([served().filename]); // no temporary left
    const report = models.loadedWeightsReport(model);
    expect(report?.missing).toEqual([]);
    expect(report?.matched.length).toBe(model.weights.length);
    const y = model.predict(input) as tf.Tensor;
    expect(relativeError(y, logits)).toBeLessThan(1e-4);

    // The second build reads the cache: no request.
    const again = await models.ResNet18({ ...options, weights: 'imagenet' });
    expect(requests).toBe(1);
    const y2 = again.predict(input) as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y, y2))).dataSync()[0])).toBe(0);
    tf.dispose([y, y2, input, logits]);
    model.dispose();
    again.dispose();
  }, 120_000);

  it('another class count: the trunk loads, the new head starts at random', async () => {
    const model = await models.ResNet18({ ...options, classes: 3, weights: 'imagenet', seed: 1 });
    const report = models.loadedWeightsReport(model);
    expect(report?.mismatched.map((m) => m.name)).toEqual(['predictions/kernel', 'predictions/bias']);
    const k = model.getLayer('predictions').getWeights()[0];
    expect(k.shape).toEqual([512, 3]);
    expect(tf.tidy(() => tf.max(tf.abs(k)).dataSync()[0])).toBeGreaterThan(0.01);
    model.dispose();
  }, 60_000);

  it('a 1-channel input gets the RGB stem summed', async () => {
    const rgb = await models.ResNet18({ ...options, weights: 'imagenet' });
    const gray = await models.ResNet18({ ...options, inputShape: [32, 32, 1], weights: 'imagenet' });
    const want = tf.sum(rgb.getLayer('conv1_conv').getWeights()[0], 2, true);
    const got = gray.getLayer('conv1_conv').getWeights()[0];
    expect(got.shape).toEqual([7, 7, 1, 64]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0])).toBeLessThan(1e-6);
    tf.dispose(want);
    rgb.dispose();
    gray.dispose();
  }, 60_000);

  it('a download with the wrong digest is refused and not kept', async () => {
    state.entry = served('00000000');
    await expect(models.ResNet18({ ...options, weights: 'imagenet' })).rejects.toThrow(
      /ResNet18: http:\/\/127\.0\.0\.1:\d+\/models\/resnet18-\w+\.pth: the download's sha256-prefix does not match 00000000/,
    );
    expect(existsSync(join(home, 'weights', served().filename))).toBe(false);
  });

  it('offline: the error names the URL, the file and where to put it', async () => {
    state.entry = served(undefined, 'http://127.0.0.1:9/models/resnet18.pth');
    const file = served().filename;
    await expect(models.ResNet18({ ...options, weights: 'imagenet' })).rejects.toThrow(
      new RegExp(
        `ResNet18: http://127\\.0\\.0\\.1:9/models/resnet18\\.pth: cannot be downloaded .*expected the file '${file}'.*put it at ${home}/weights/${file}`,
      ),
    );
  });

  it('asks for the file of its family and variant: Keras files with or without top, fusion trunks without', async () => {
    state.entry = served(undefined, `${base}/missing.h5`); // a 404: only the question matters here
    await expect(
      models.DenseNet121({ inputShape: [32, 32, 3], includeTop: false, weights: 'imagenet' }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(
      models.VGG16({ inputShape: [32, 32, 3], batchNorm: true, weights: 'imagenet' }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(
      models.MobileNetV2({ inputShape: [96, 96, 3], alpha: 0.35, weights: 'imagenet' }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(models.ResDenseFusion({ inputShape: [32, 32, 3], weights: 'imagenet' })).rejects.toThrow(
      /HTTP 404/,
    );
    expect(state.asked).toEqual([
      ['DenseNet121', { variant: 'keras', includeTop: false, rows: 32 }],
      ['VGG16BN', { variant: 'torchvision', includeTop: true, rows: 32 }],
      ['MobileNetV2', { variant: 'keras', includeTop: true, alpha: 0.35, rows: 96 }],
      ['ResNet101', { variant: 'keras', includeTop: false, rows: 32 }],
    ]);
  }, 60_000);

  it('a builder without published weights says so', async () => {
    await expect(models.UNet({ inputShape: [32, 32, 1], weights: 'imagenet' })).rejects.toThrow(
      /UNet: weights: 'imagenet' is not published for this builder/,
    );
    rmSync(home, { recursive: true, force: true });
  });
});
