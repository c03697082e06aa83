// The download cache against a local HTTP server on 127.0.0.1 (no test reaches the internet):
// one download, atomic and hash-checked, progress reported, offline errors that say what to do.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedWeights, weightsCacheDir } from '../../src/weights/cache';
import { imagenetWeights, type PublishedWeights } from '../../src/weights/imagenet';
import { FIXTURES } from './helpers';

const body = readFileSync(join(FIXTURES, 'tiny_zip.pth'));
const sha256 = createHash('sha256').update(body).digest('hex');
let server: Server;
let base = '';
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url !== '/models/tiny-x.pth') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

const entry = (hex: string, path = '/models/tiny-x.pth'): PublishedWeights => ({
  url: base + path,
  filename: 'tiny-x.pth',
  hash: { algorithm: 'sha256-prefix', hex },
});

describe('cachedWeights', () => {
  it('downloads once into MEDINETS_HOME, verified, with progress', async () => {
    const home = mkdtempSync(join(tmpdir(), 'medinets-home-'));
    const seen: number[] = [];
    requests = 0;
    const path = await cachedWeights(entry(sha256.slice(0, 8)), { home, onProgress: (r) => seen.push(r) });
    expect(path).toBe(join(home, 'weights', 'tiny-x.pth'));
    expect(readFileSync(path).equals(body)).toBe(true);
    expect(seen.at(-1)).toBe(body.length);
    expect(readdirSync(join(home, 'weights'))).toEqual(['tiny-x.pth']); // no temporary left
    await cachedWeights(entry(sha256.slice(0, 8)), { home });
    expect(requests).toBe(1);
  });

  it('honours the MEDINETS_HOME environment variable', () => {
    const before = process.env.MEDINETS_HOME;
    process.env.MEDINETS_HOME = '/tmp/mh';
    try {
      expect(weightsCacheDir()).toBe('/tmp/mh/weights');
    } finally {
      if (before === undefined) delete process.env.MEDINETS_HOME;
      else process.env.MEDINETS_HOME = before;
    }
  });

  it('refuses and does not keep a download with the wrong hash', async () => {
    const home = mkdtempSync(join(tmpdir(), 'medinets-home-'));
    await expect(cachedWeights(entry('00000000'), { home })).rejects.toThrow(
      /cachedWeights: http:\/\/127\.0\.0\.1:\d+\/models\/tiny-x\.pth: the download's sha256-prefix does not match 00000000/,
    );
    expect(existsSync(join(home, 'weights', 'tiny-x.pth'))).toBe(false);
  });

  it('offline: names the URL, the file and where to put it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'medinets-home-'));
    const dead = { ...entry(sha256.slice(0, 8)), url: 'http://127.0.0.1:9/models/tiny-x.pth' };
    await expect(cachedWeights(dead, { home })).rejects.toThrow(
      new RegExp(
        `127\\.0\\.0\\.1:9/models/tiny-x\\.pth: cannot be downloaded .*'tiny-x\\.pth'.*put it at ${home}/weights/tiny-x\\.pth`,
      ),
    );
    await expect(cachedWeights(entry('0', '/missing'), { home })).rejects.toThrow(/HTTP 404/);
  });
});

describe('imagenetWeights', () => {
  it('names the publishers’ files and hashes', () => {
    expect(imagenetWeights('ResNet50', { variant: 'torchvision', includeTop: true })).toEqual({
      url: 'https://download.pytorch.org/models/resnet50-0676ba61.pth',
      filename: 'resnet50-0676ba61.pth',
      hash: { algorithm: 'sha256-prefix', hex: '0676ba61' },
    });
    expect(imagenetWeights('DenseNet121', { variant: 'keras', includeTop: false })?.filename).toBe(
      'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5',
    );
    expect(imagenetWeights('UNet', { variant: 'keras', includeTop: true })).toBeUndefined();
  });
});
