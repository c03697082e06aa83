// The viewer page's features in headless Chromium (cpu backend unless said), each checked
// against what Node computes from the same file: the built-in sample; the CT presets and the
// window/level drag (canvas pixels equal `applyWindow` of the decoded file); a dropped PNG;
// MONOCHROME1 shown inverted (a pydicom-written CR ramp: test/fixtures/viewer/); a model given
// by URL and as files (the demo model's probabilities again); a model URL that fails (a
// message, the page still works); a batch over a folder (the CSV's rows equal single runs, an
// unreadable file gets its error); wasm threads when cross-origin isolated; the webgpu choice
// only where the browser has a WebGPU adapter; and no request leaving the page's origin.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildViewer } from '../../examples/viewer/serve';
import { PRESETS, applyWindow, decodeFile, type ViewWindow } from '../../examples/viewer/predict';
import { chromiumPresent } from './harness';
import { servedInChromium } from './served';

// The page's DOM, typed here without the DOM library (these callbacks run in the page).
interface Canvas {
  width: number;
  height: number;
  getContext(k: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}
interface Doc {
  document: { querySelector(s: string): (Canvas & { textContent: string | null; className: string }) | null };
}
type G = typeof globalThis & Doc & { __viewer?: { probs: number[] }; __viewerCsv?: string };

const root = join(__dirname, '..', '..');
const CT = join(root, 'test/fixtures/data/dicom/CT_small.dcm');
const present = chromiumPresent();

describe.skipIf(!present)('viewer page features', () => {
  const served = servedInChromium(() => buildViewer(join(root, 'out', 'viewer-features')));
  const requests: string[] = [];

  async function open(query = '?backend=cpu'): Promise<Page> {
    const page = await served.browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${served.url}${query}`);
    await page.waitForFunction(() => (globalThis as { __viewerReady?: boolean }).__viewerReady === true);
    return page;
  }
  const status = (page: Page): Promise<string> =>
    page.evaluate(() => (globalThis as G).document.querySelector('#status')?.textContent ?? '');
  const statusStarts = (page: Page, prefix: string): Promise<unknown> =>
    page.waitForFunction(
      (p) => (globalThis as G).document.querySelector('#status')?.textContent?.startsWith(p),
      prefix,
    );
  /** The gray level of every pixel of the image canvas (its red channel). */
  const canvasGray = (page: Page): Promise<number[]> =>
    page.evaluate(() => {
      const c = (globalThis as G).document.querySelector('#view') as Canvas;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return Array.from({ length: d.length / 4 }, (_, i) => d[i * 4] as number);
    });
  /** What the page must draw for `file` through `win`: Node's applyWindow, as 8-bit gray. */
  const expected = (file: string, win?: ViewWindow): number[] => {
    const img = decodeFile(file, new Uint8Array(readFileSync(file)));
    return Array.from(applyWindow(img.pixels, win ?? img.window), (v) => Math.round(v * 255));
  };
  const wl = (page: Page): Promise<string | null> => page.textContent('#wl');
  async function runModel(page: Page): Promise<number[]> {
    await page.evaluate(() => delete (globalThis as G).__viewer);
    await page.click('#run');
    await page.waitForFunction(() => (globalThis as G).__viewer !== undefined, null, { timeout: 120_000 });
    return page.evaluate(() => (globalThis as G).__viewer?.probs ?? []);
  }

  it('sample, presets, window/level drag, a dropped PNG, MONOCHROME1 and MONOCHROME2', async () => {
    const page = await open();
    await page.click('#sample');
    await statusStarts(page, 'sample.dcm: 128 x 128, CT');
    expect(await canvasGray(page)).toEqual(expected(CT, PRESETS.lung));
    expect(await wl(page)).toBe('W 1500 / L -600');
    for (const [name, w] of Object.entries(PRESETS)) {
      await page.click(`#preset-${name}`);
      expect(await wl(page)).toBe(`W ${w.width} / L ${w.center}`);
      expect(await canvasGray(page), name).toEqual(expected(CT, w));
    }
    // Drag from the bone window: right widens, down raises the level, in steps of width / 256.
    const box = (await page.locator('#stage').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 32, box.y + box.height / 2 + 16);
    await page.mouse.up();
    const dragged = { width: 1800 + 32 * (1800 / 256) * 2, center: 400 + 16 * (1800 / 256) };
    expect(await wl(page)).toBe(`W ${Math.round(dragged.width)} / L ${Math.round(dragged.center)}`);
    expect(await canvasGray(page)).toEqual(expected(CT, dragged));

    const png = join(root, 'test/fixtures/data/png/gray8.png');
    const dt = await page.evaluateHandle((b64) => {
      const g = globalThis as unknown as {
        DataTransfer: new () => { items: { add(f: unknown): void } };
        File: new (parts: unknown[], name: string) => unknown;
      };
      const t = new g.DataTransfer();
      t.items.add(new g.File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], 'gray8.png'));
      return t;
    }, readFileSync(png).toString('base64'));
    await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
    await statusStarts(page, 'gray8.png:');
    expect(await status(page)).toMatch(/8-bit PNG$/);
    expect(await canvasGray(page)).toEqual(expected(png));

    for (const [file, left, right] of [
      ['cr-monochrome1.dcm', 255, 0],
      ['cr-monochrome2.dcm', 0, 255],
    ] as const) {
      const path = join(root, 'test/fixtures/viewer', file);
      await page.setInputFiles('#file', path);
      await statusStarts(page, `${file}: 64 x 64, CR, MONOCHROME`);
      const gray = await canvasGray(page);
      expect(gray).toEqual(expected(path));
      // The ramp's stored values rise left to right: MONOCHROME1 shows the left side white.
      expect([gray[0], gray[63]], file).toEqual([left, right]);
    }
    expect(await status(page)).toBe('cr-monochrome2.dcm: 64 x 64, CR, MONOCHROME2');
    await page.setInputFiles('#file', join(root, 'test/fixtures/viewer/cr-monochrome1.dcm'));
    await statusStarts(page, 'cr-monochrome1.dcm');
    expect(await status(page)).toBe(
      'cr-monochrome1.dcm: 64 x 64, CR, MONOCHROME1, shown inverted (white = low values)',
    );
    await page.setInputFiles('#file', {
      name: 'cut.png',
      mimeType: 'image/png',
      buffer: readFileSync(png).subarray(0, 40),
    });
    await statusStarts(page, 'Cannot read cut.png: ');
    await page.close();
  }, 300_000);

  it('runs the demo model, the same model by URL and as files, survives a bad URL, and batches a folder to CSV', async () => {
    const page = await open();
    await page.setInputFiles('#file', CT);
    await statusStarts(page, 'CT_small.dcm');
    const demo = await runModel(page);
    expect(demo.length).toBe(2);
    expect(await page.textContent('#time')).toMatch(/^\d+\.\d ms per prediction on cpu$/);
    expect(await page.locator('#probs tr').count()).toBe(2);

    await page.selectOption('#model-source', 'url');
    await page.fill('#model-url', `${served.url}model/model.json`);
    expect(await runModel(page)).toEqual(demo);

    await page.selectOption('#model-source', 'file');
    const model = join(root, 'examples/viewer/model');
    await page.setInputFiles('#model-files', [join(model, 'model.json'), join(model, 'weights.bin')]);
    expect(await runModel(page)).toEqual(demo);

    await page.selectOption('#model-source', 'url');
    await page.fill('#model-url', `${served.url}no-such/model.json`);
    await page.click('#run');
    await page.waitForFunction(
      () => (globalThis as G).document.querySelector('#status')?.className === 'error',
    );
    expect(await status(page)).toMatch(/no-such\/model\.json|404/);
    await page.selectOption('#model-source', 'demo');
    expect(await runModel(page)).toEqual(demo);

    const dir = mkdtempSync(join(tmpdir(), 'viewer-batch-'));
    try {
      const folder = join(dir, 'scans');
      mkdirSync(folder);
      writeFileSync(join(folder, 'a.dcm'), readFileSync(CT));
      writeFileSync(join(folder, 'b.png'), readFileSync(join(root, 'test/fixtures/data/png/gray8.png')));
      writeFileSync(join(folder, 'c.jpg'), readFileSync(join(root, 'test/fixtures/data/jpeg/rgb.jpg')));
      writeFileSync(join(folder, 'd.dcm'), 'not a DICOM');
      await page.setInputFiles('#batch', folder);
      await page.waitForFunction(() => (globalThis as G).__viewerCsv !== undefined, null, {
        timeout: 120_000,
      });
      const csv = (await page.evaluate(() => (globalThis as G).__viewerCsv)) as string;
      const rows = csv.trim().split('\n');
      expect(rows[0]).toBe('file,normal,covid,ms,error');
      const byName = new Map(
        rows.slice(1).map((r) => [JSON.parse(r.split(',')[0] as string) as string, r.split(',')]),
      );
      expect([...byName.keys()].sort()).toEqual(['a.dcm', 'b.png', 'c.jpg', 'd.dcm']);
      const a = byName.get('a.dcm') as string[];
      const worst = Math.max(...a.slice(1, 3).map((p, i) => Math.abs(Number(p) - (demo[i] as number))));
      expect(worst).toBeLessThanOrEqual(1e-6); // the CSV prints 6 decimals
      for (const n of ['b.png', 'c.jpg']) {
        const r = byName.get(n) as string[];
        expect(
          r
            .slice(1, 3)
            .map(Number)
            .reduce((s, p) => s + p, 0),
          n,
        ).toBeCloseTo(1, 5);
        expect(r[4], n).toBe('');
      }
      expect(byName.get('d.dcm')?.slice(4).join(',')).toMatch(/d\.dcm/);
      expect(await status(page)).toBe('batch: 4 files, 1 unreadable (see the CSV)');
      expect(await page.getAttribute('#csv', 'href')).toMatch(/^blob:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await page.close();
  }, 300_000);

  it('wasm threads when cross-origin isolated; webgpu offered only with a WebGPU adapter; nothing leaves the origin', async () => {
    const page = await open('?backend=wasm');
    const b = (await page.evaluate(() => (globalThis as { __viewerBackend?: unknown }).__viewerBackend)) as {
      backend: string;
      threads: number;
      crossOriginIsolated: boolean;
    };
    const cores = await page.evaluate(
      () =>
        (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator
          .hardwareConcurrency,
    );
    expect(b.backend).toBe('wasm');
    expect(b.crossOriginIsolated).toBe(true);
    // Isolated, the page loads the threaded binary, which runs half the logical cores (its
    // cap; medinets lifts it only in Node): 1 thread on a 2-core machine.
    expect(requests.some((r) => r.endsWith('/tfjs-backend-wasm-threaded-simd.wasm'))).toBe(true);
    expect(b.threads).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(await page.textContent('#backend-info')).toBe(
      b.threads > 1 ? `wasm, ${b.threads} threads` : 'wasm',
    );
    const adapter = await page.evaluate(async () => {
      const gpu = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<unknown> } } })
        .navigator.gpu;
      return gpu ? (await gpu.requestAdapter()) != null : false;
    });
    expect(await page.locator('#backend-webgpu').isDisabled()).toBe(!adapter);
    if (!adapter) {
      // Asked for anyway (by URL): a message in the page, not a dead page.
      const other = await served.browser.newPage();
      other.on('request', (r) => requests.push(r.url()));
      await other.goto(`${served.url}?backend=webgpu`);
      await other.waitForFunction(
        () => (globalThis as G).document.querySelector('#status')?.className === 'error',
      );
      expect(await status(other)).toMatch(/setupBackend: preferred backend 'webgpu' is unavailable/);
      await other.close();
    }
    await page.close();
    const origin = new URL(served.url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => !r.startsWith(`${origin}/`) && !/^(blob|data):/.test(r))).toEqual([]);
  }, 300_000);
});
