// The viewer page (examples/viewer) in headless Chromium: it loads without console errors,
// the sample DICOM gives the probabilities Node computes for the same model and file, the
// Grad-CAM overlay changes the picture (screenshots kept in out/viewer-shots/ as CI
// artefacts), and an unreadable file gives a message in the page.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, setupBackend } from '../../src';
import { buildViewer, serveDir } from '../../examples/viewer/serve';
import { decodeFile, inputWindow, probabilities, toInput } from '../../examples/viewer/predict';
import { chromiumPresent, launch } from './harness';

// The page's DOM, typed here without the DOM library (these callbacks run in the page).
interface El {
  textContent: string | null;
  className: string;
  style: { opacity: string };
}
interface Doc {
  document: { querySelector(s: string): El | null };
}

const root = join(__dirname, '..', '..');
const shots = join(root, 'out', 'viewer-shots');
const present = chromiumPresent();

describe.skipIf(!present)('viewer page', () => {
  let browser: Browser;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const dir = await buildViewer();
    server = await serveDir(dir);
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('runs the model on the sample DICOM as Node does, overlays Grad-CAM, reports bad files', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}?backend=cpu`);
    await page.waitForFunction(() => (globalThis as { __viewerReady?: boolean }).__viewerReady === true);
    await page.click('#sample');
    await page.waitForFunction(() =>
      (globalThis as unknown as Doc).document.querySelector('#status')?.textContent?.startsWith('sample.dcm'),
    );
    await page.click('#run');
    await page.waitForFunction(() => (globalThis as { __viewer?: unknown }).__viewer !== undefined, null, {
      timeout: 120_000,
    });
    const got = (await page.evaluate(() => (globalThis as { __viewer?: unknown }).__viewer)) as {
      probs: number[];
      backend: string;
    };
    expect(got.backend).toBe('cpu');

    // Node: the same file, the same seeded model, the same preprocessing, on cpu.
    await setupBackend({ prefer: 'cpu', native: false });
    const img = decodeFile(
      'sample.dcm',
      new Uint8Array(readFileSync(join(root, 'test/fixtures/data/dicom/CT_small.dcm'))),
    );
    const model = buildModel('DResUNet', {
      inputShape: [64, 64, 1],
      classes: 2,
      filters: 4,
      seed: 7,
    } as never);
    const x = toInput(img.pixels, img.rows, img.cols, inputWindow(img.isCt), 64);
    const want = Array.from(probabilities(model, x));
    tf.dispose(x);
    model.dispose();
    expect(got.probs.length).toBe(2);
    got.probs.forEach((p, i) => expect(Math.abs(p - (want[i] as number))).toBeLessThanOrEqual(1e-4));

    mkdirSync(shots, { recursive: true });
    await page.evaluate(
      () => (((globalThis as unknown as Doc).document.querySelector('#overlay') as El).style.opacity = '0'),
    );
    const plain = await page.locator('#stage').screenshot();
    await page.evaluate(
      () => (((globalThis as unknown as Doc).document.querySelector('#overlay') as El).style.opacity = '0.8'),
    );
    const over = await page.locator('#stage').screenshot();
    writeFileSync(join(shots, 'plain.png'), plain);
    writeFileSync(join(shots, 'overlay.png'), over);
    expect(Buffer.compare(plain, over)).not.toBe(0);

    await page.setInputFiles('#file', {
      name: 'bad.dcm',
      mimeType: 'application/dicom',
      buffer: Buffer.from('not a DICOM'),
    });
    await page.waitForFunction(
      () => (globalThis as unknown as Doc).document.querySelector('#status')?.className === 'error',
    );
    expect(await page.textContent('#status')).toMatch(/^Cannot read bad\.dcm: /);
    expect(errors).toEqual([]);
  }, 300_000);
});
