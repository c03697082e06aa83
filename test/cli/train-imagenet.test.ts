// `medinets train --weights imagenet` end to end, in-process, against a local HTTP server on
// 127.0.0.1 (no test reaches the internet): the ImageNet table is replaced by one pointing at
// the server and carrying the digest of what it serves, a seeded torchvision resnet18 written
// by torch.save (test/fixtures/weights/make_torchvision_full.py). The command downloads it once
// into MEDINETS_HOME, loads the trunk, starts the 2-class head at random, trains, and a second
// run in another folder reads the cache.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PublishedQuery, PublishedWeights } from '../../src/weights/imagenet';
import { GENERATED, ensureTorchFixtures } from '../weights/helpers';
import { writePhantomFolder } from './phantom-folder';

const state = vi.hoisted(() => ({
  entry: undefined as PublishedWeights | undefined,
  asked: [] as [string, PublishedQuery][],
}));

vi.mock('../../src/weights/imagenet', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/weights/imagenet')>();
  return {
    ...real,
    imagenetWeights: (builder: string, query: PublishedQuery): PublishedWeights | undefined => {
      state.asked.push([builder, query]);
      return real.imagenetWeights(builder, query) === undefined ? undefined : state.entry;
    },
  };
});

let run: typeof import('../../src/cli/run').run;
let server: Server;
let requests = 0;
let dir = '';

beforeAll(async () => {
  vi.resetModules();
  ({ run } = await import('../../src/cli/run'));
  ensureTorchFixtures(['resnet18']);
  const body = readFileSync(join(GENERATED, 'resnet18.pth'));
  const sha256 = createHash('sha256').update(body).digest('hex');
  server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const filename = `resnet18-${sha256.slice(0, 8)}.pth`;
  state.entry = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${filename}`,
    filename,
    hash: { algorithm: 'sha256', hex: sha256 },
  };
  dir = mkdtempSync(join(tmpdir(), 'medinets-cli-imagenet-'));
  process.env.MEDINETS_HOME = join(dir, 'home');
  process.env.MEDINETS_BACKEND = 'cpu';
  writePhantomFolder(join(dir, 'data'), 16, 32, 5);
}, 120_000);
afterAll(async () => {
  delete process.env.MEDINETS_HOME;
  await new Promise<void>((ok) => server.close(() => ok()));
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await run(argv, { out: () => undefined, err: { write: (t: string) => (err += t) } });
  return { code, err };
}

const train = (out: string, ...extra: string[]): Promise<{ code: number; err: string }> =>
  cli(
    'train',
    ...['--model', 'ResNet18', '--data', join(dir, 'data'), '--layout', 'folders', '--size', '32'],
    ...['--epochs', '1', '--batch', '8', '--out', join(dir, out), ...extra],
  );

describe('medinets train --weights imagenet', () => {
  it('downloads the published file once, loads the trunk, trains a new head', async () => {
    const r = await train('a', '--variant', 'torchvision', '--weights', 'imagenet');
    expect(r.code, r.err).toBe(0);
    // Two classes: the 1000-class head of the file is of no use, the trunk's file is asked for.
    expect(state.asked[0]).toEqual([
      'ResNet18',
      { variant: 'torchvision', includeTop: false, rows: 32, alpha: undefined },
    ]);
    expect(requests).toBe(1);
    // ResNet18's 20 convolutions and 20 batch norms (4 weights each); the 2-class head's kernel
    // and bias start at random.
    expect(r.err).toMatch(/weights: 100 weights loaded from .*resnet18-\w{8}\.pth, 2 started at random/);
    expect(readdirSync(join(dir, 'home', 'weights'))).toEqual([state.entry?.filename]);
    const cfg = JSON.parse(readFileSync(join(dir, 'a', 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ weights: 'imagenet', variant: 'torchvision', channels: 3 });

    const again = await train('b', '--variant', 'torchvision', '--weights', 'imagenet');
    expect(again.code, again.err).toBe(0);
    expect(requests).toBe(1); // the cache
  }, 240_000);

  it('--variant on a model with one architecture, or a bad value, is a usage error', async () => {
    const simple = await cli(
      'train',
      ...['--model', 'SimpleCNN', '--data', join(dir, 'data'), '--layout', 'folders'],
      ...['--out', join(dir, 'c'), '--variant', 'torchvision'],
    );
    expect(simple.code).toBe(2);
    expect(simple.err).toMatch(/--variant: SimpleCNN has one architecture/);
    const bad = await train('d', '--variant', 'timm');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--variant must be one of keras, torchvision; got 'timm'/);
  });

  it('offline: the error names the URL and where to put the file', async () => {
    const saved = state.entry;
    state.entry = { ...(saved as PublishedWeights), url: 'http://127.0.0.1:9/resnet18.pth' };
    rmSync(join(dir, 'home'), { recursive: true, force: true });
    const r = await train('e', '--variant', 'torchvision', '--weights', 'imagenet');
    state.entry = saved;
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/http:\/\/127\.0\.0\.1:9\/resnet18\.pth: cannot be downloaded .*put it at /);
  });
});
