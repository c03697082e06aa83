// The ImageNet table: every entry well-formed (https URL, file name = the URL's last part,
// a digest of the kind its publisher gives), every builder family covered, and the digest
// kinds each checked as the publishers' loaders check them (on a local server's file).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedWeights } from '../../src/weights/cache';
import {
  KERAS_FILES,
  MOBILENET_V2_ALPHAS,
  TORCHVISION_FILES,
  allPublishedWeights,
  imagenetWeights,
  type PublishedWeights,
} from '../../src/weights/imagenet';
import { FIXTURES } from './helpers';

describe('the ImageNet table', () => {
  const all = allPublishedWeights();

  it('every entry is well-formed, with the digest kind its publisher gives', () => {
    expect(all.length).toBe(18 + 2 * 10 + 2 * (4 * 5 + 2));
    expect(new Set(all.map((e) => e.filename)).size).toBe(all.length);
    for (const e of all) {
      expect(e.url).toMatch(
        /^https:\/\/(download\.pytorch\.org\/models|storage\.googleapis\.com\/tensorflow\/keras-applications)\//,
      );
      expect(e.url.endsWith(`/${e.filename}`)).toBe(true);
      if (e.url.startsWith('https://download.pytorch.org/')) {
        // torchvision: <arch>-<first 8 hex of the sha256>.pth, checked as torch.hub does.
        expect(e.hash.algorithm).toBe('sha256-prefix');
        expect(e.hash.hex).toMatch(/^[0-9a-f]{8}$/);
        expect(e.filename).toBe(`${e.filename.slice(0, -13)}-${e.hash.hex}.pth`);
      } else if (e.filename.startsWith('mobilenet_v2_')) {
        // keras.applications fetches MobileNetV2 with no file_hash.
        expect(e.hash).toEqual({ algorithm: 'none', hex: '' });
        expect(e.filename).toMatch(
          /^mobilenet_v2_weights_tf_dim_ordering_tf_kernels_(0\.35|0\.5|0\.75|1\.0|1\.3|1\.4)_(96|128|160|192|224)(_no_top)?\.h5$/,
        );
      } else {
        expect(e.hash.algorithm).toBe('md5');
        expect(e.hash.hex).toMatch(/^[0-9a-f]{32}$/);
        expect(e.filename).toMatch(/_weights_tf_dim_ordering_tf_kernels(_notop)?\.h5$/);
      }
    }
  });

  it('covers every builder with published weights, with and without top', () => {
    expect(Object.keys(KERAS_FILES).sort()).toEqual(
      [
        'DenseNet121',
        'DenseNet169',
        'DenseNet201',
        'InceptionResNetV2',
        'InceptionV3',
        'ResNet101',
        'ResNet152',
        'ResNet50',
        'VGG16',
        'VGG19',
      ].sort(),
    );
    for (const b of [
      'ResNet18',
      'ResNet34',
      'ResNet50',
      'ResNet101',
      'ResNet152',
      'DenseNet121',
      'DenseNet161',
      'DenseNet169',
      'DenseNet201',
      'VGG11',
      'VGG13',
      'VGG16',
      'VGG19',
      'VGG11BN',
      'VGG13BN',
      'VGG16BN',
      'VGG19BN',
      'InceptionV3',
    ]) {
      expect(TORCHVISION_FILES[b], b).toMatch(/\.pth$/);
    }
    for (const b of Object.keys(KERAS_FILES)) {
      const top = imagenetWeights(b, { variant: 'keras', includeTop: true });
      const notop = imagenetWeights(b, { variant: 'keras', includeTop: false });
      expect(top?.filename).toMatch(/kernels\.h5$/);
      expect(notop?.filename).toMatch(/kernels_notop\.h5$/);
    }
    // The md5 keras/src/applications/resnet.py gives ResNet50's top file.
    expect(imagenetWeights('ResNet50', { variant: 'keras', includeTop: true })?.hash.hex).toBe(
      '2cb95161c43110f7111970584f804107',
    );
    for (const alpha of MOBILENET_V2_ALPHAS) {
      expect(
        imagenetWeights('MobileNetV2', { variant: 'keras', includeTop: true, alpha, rows: 160 })?.filename,
      ).toBe(
        `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha === 1 ? '1.0' : alpha}_${alpha > 1 ? 224 : 160}.h5`,
      );
    }
    // Sizes Keras does not publish load the 224 file, as Keras does; other alphas have none.
    expect(imagenetWeights('MobileNetV2', { variant: 'keras', includeTop: false, rows: 100 })?.filename).toBe(
      'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5',
    );
    expect(
      imagenetWeights('MobileNetV2', { variant: 'keras', includeTop: true, alpha: 0.6 }),
    ).toBeUndefined();
    expect(imagenetWeights('UNet', { variant: 'keras', includeTop: true })).toBeUndefined();
    expect(imagenetWeights('VGG16BN', { variant: 'keras', includeTop: true })).toBeUndefined();
  });
});

describe('digest kinds, checked on download', () => {
  const body = readFileSync(join(FIXTURES, 'tiny_zip.pth'));
  const sha256 = createHash('sha256').update(body).digest('hex');
  const md5 = createHash('md5').update(body).digest('hex');
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((_, res) => res.writeHead(200).end(body));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const get = (hash: PublishedWeights['hash']): Promise<string> =>
    cachedWeights(
      { url: `${base}/f.pth`, filename: 'f.pth', hash },
      { home: mkdtempSync(join(tmpdir(), 'medinets-home-')), onProgress: () => {} },
    );

  it('a full sha256 and its 8-hex prefix agree; md5; none; a wrong one of each is refused', async () => {
    // The prefix a torchvision-style name would carry is the full digest's first 8 hex.
    await expect(get({ algorithm: 'sha256', hex: sha256 })).resolves.toMatch(/f\.pth$/);
    await expect(get({ algorithm: 'sha256-prefix', hex: sha256.slice(0, 8) })).resolves.toMatch(/f\.pth$/);
    await expect(get({ algorithm: 'md5', hex: md5 })).resolves.toMatch(/f\.pth$/);
    await expect(get({ algorithm: 'none', hex: '' })).resolves.toMatch(/f\.pth$/);
    const flip = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);
    await expect(get({ algorithm: 'sha256', hex: flip(sha256) })).rejects.toThrow(/sha256 does not match/);
    await expect(get({ algorithm: 'sha256-prefix', hex: flip(sha256.slice(0, 8)) })).rejects.toThrow(
      /does not match/,
    );
    await expect(get({ algorithm: 'sha256-prefix', hex: '' })).rejects.toThrow(/does not match/);
    await expect(get({ algorithm: 'md5', hex: flip(md5) })).rejects.toThrow(/md5 does not match/);
  });
});
