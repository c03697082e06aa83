// Every custom layer and the small registry models (every model with MEDINETS_PARITY_ALL=1,
// the large backbones at 32x32, InceptionV3 at 75x75), forward and one training step's
// gradients, on webgl (SwiftShader in headless Chromium) against cpu in the same page, to 1e-3
// (the difference over max(1, |cpu value|));
// and the layers and small models on wasm with medinets' training kernels, to 1e-4.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Server } from 'node:http';
import { serveStatic } from '../../tools/static-server';
import { bundlePage, chromiumPresent, launch } from './harness';

interface Row {
  name: string;
  forward: number;
  train: number;
  ms: number;
  error?: string;
}
interface Result {
  backend?: string;
  rows?: Row[];
  kernels?: string[];
  error?: string;
}

const root = join(__dirname, '..', '..');
const out = join(root, 'out', 'browser-test');
const present = chromiumPresent();

/** The layers and the small models: what the wasm comparison runs. */
const SMALL =
  'SqueezeExcite,ChannelSE,SpatialSE,SCSE,ECA,ECAsE,UpsampleBilinear,DeformConv2D,SimpleCNN,ThesisVGG,UNet,ResUNet,ResUNetECSA,ResUNetFPRM,DResUNet,PneumoniaCNN';

describe.skipIf(!present)('webgl and wasm in Chromium match cpu', () => {
  let browser: Browser;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    await bundlePage(join(__dirname, 'page', 'parity.ts'), out, 'parity');
    mkdirSync(out, { recursive: true });
    const wasm = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'wasm-out');
    for (const f of [
      'tfjs-backend-wasm.wasm',
      'tfjs-backend-wasm-simd.wasm',
      'tfjs-backend-wasm-threaded-simd.wasm',
    ])
      copyFileSync(join(wasm, f), join(out, f));
    ({ url, server } = await serveStatic(out));
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  async function runPage(query: string): Promise<{ result: Result; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}parity.html?${query}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, null, {
      timeout: 2_400_000,
      polling: 1000,
    });
    const result = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as Result;
    await page.close();
    const rows = result.rows ?? [];
    console.log(
      rows
        .map(
          (r) =>
            `${r.name.padEnd(24)} forward ${r.forward.toExponential(1)} train ${r.train.toExponential(1)} ${r.ms} ms${r.error ? ` ${r.error}` : ''}`,
        )
        .join('\n'),
    );
    return { result, errors };
  }

  function check(result: Result, errors: string[], tolerance: number): void {
    expect(result.error).toBeUndefined();
    const rows = result.rows ?? [];
    // Every row ran: deformable convolution has webgl kernels of its own (deform-webgl.ts).
    for (const r of rows) expect(r.error, r.name).toBeUndefined();
    for (const r of rows) {
      expect(r.forward, `${r.name} forward`).toBeLessThanOrEqual(tolerance);
      expect(r.train, `${r.name} gradients`).toBeLessThanOrEqual(tolerance);
    }
    expect(errors).toEqual([]);
  }

  it('webgl: every layer and the small registry models (all with MEDINETS_PARITY_ALL=1), forward and gradients, to 1e-3', async () => {
    const only = process.env.MEDINETS_PARITY_ONLY;
    const all = process.env.MEDINETS_PARITY_ALL === '1';
    const { result, errors } = await runPage([only ? `only=${only}` : '', all ? 'all=1' : ''].join('&'));
    expect(result.backend).toBe('webgl');
    // 8 layers and 8 small models; with all=1 every registry model (28).
    if (!only) expect(result.rows?.length).toBeGreaterThanOrEqual(all ? 36 : 16);
    check(result, errors, 1e-3);
  }, 2_500_000);

  it('wasm: a training step with medinets kernels (Conv2DBackpropFilter among them), to 1e-4', async () => {
    const { result, errors } = await runPage(`target=wasm&only=${SMALL}`);
    expect(result.backend).toBe('wasm');
    expect(result.kernels).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'MaxPoolGrad',
        'MedinetsDeformIm2Col',
      ]),
    );
    expect(result.rows?.length).toBe(SMALL.split(',').length);
    check(result, errors, 1e-4);
  }, 900_000);
});
