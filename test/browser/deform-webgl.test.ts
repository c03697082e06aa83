// Deformable convolution v2 on webgl (SwiftShader in headless Chromium): the tiled GLSL
// kernels against torchvision's fixture and the cpu kernels, forward and every gradient, to
// 1e-3 (difference over max(1, |reference|)), with and without tile borders; and the
// 256x256x64 batch-8 layer, forward and one gradient step, which the composed version could
// not hold (it materialises every sampling point, and webgl lacks its rank-5 select).
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../tools/static-server';
import { bundlePage, chromiumPresent, launch } from './harness';

interface Row {
  name: string;
  vs: string;
  forward: number;
  grads: number;
}
interface Big {
  shape: number[];
  gradShapes: number[][];
  finite: boolean;
  forwardMs: number;
  stepMs: number;
}

const out = join(__dirname, '..', '..', 'out', 'browser-test');
const present = chromiumPresent();

describe.skipIf(!present)('deformConv2d on webgl', () => {
  let browser: Browser;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    await bundlePage(join(__dirname, 'page', 'deform.ts'), out, 'deform');
    ({ url, server } = await serveStatic(out));
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('matches torchvision and cpu to 1e-3, and runs 256x256x64 at batch 8 forward and backward', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}deform.html${process.env.MEDINETS_DEFORM_NOBIG ? '?nobig' : ''}`, {
      waitUntil: 'commit',
    });
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, null, {
      timeout: 1_500_000,
      polling: 1000,
    });
    const r = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as {
      rows?: Row[];
      big?: Big;
      backend?: string;
      error?: string;
    };
    expect(r.error).toBeUndefined();
    const rows = r.rows ?? [];
    console.log(
      rows
        .map(
          (x) =>
            `${x.name.padEnd(44)} vs ${x.vs.padEnd(11)} forward ${x.forward.toExponential(1)} grads ${x.grads.toExponential(1)}`,
        )
        .join('\n'),
    );
    console.log(
      `256x256x64 batch 8 on webgl: forward ${r.big?.forwardMs} ms, forward + gradients ${r.big?.stepMs} ms`,
    );
    expect(r.backend).toBe('webgl');
    expect(rows.length).toBeGreaterThanOrEqual(24);
    for (const x of rows) {
      expect(x.forward, `${x.name} vs ${x.vs} forward`).toBeLessThanOrEqual(1e-3);
      expect(x.grads, `${x.name} vs ${x.vs} gradients`).toBeLessThanOrEqual(1e-3);
    }
    expect(r.big?.shape).toEqual([8, 256, 256, 64]);
    expect(r.big?.gradShapes).toEqual([
      [8, 256, 256, 64],
      [8, 256, 256, 18],
      [3, 3, 64, 64],
      [8, 256, 256, 9],
    ]);
    expect(r.big?.finite).toBe(true);
    expect(errors).toEqual([]);
  }, 1_600_000);
});
