// The viewer page (examples/viewer) in headless Chromium: it loads without console errors,
// a fixture DICOM uploaded in the page gives, on cpu, wasm and webgl, the probabilities Node
// computes with the committed demo model for the same file (1e-4, 1e-4, 1e-3), the
// Grad-CAM overlay changes the picture (screenshots kept in out/viewer-shots/ as CI
// artefacts), and an unreadable file gives a message in the page.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setupBackend } from '../../src';
import { buildViewer } from '../../examples/viewer/serve';
import { decodeFile, inputWindow, probabilities, toInput } from '../../examples/viewer/predict';
import { chromiumPresent } from './harness';
import { servedInChromium } from './served';

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
const FIXTURE = 'test/fixtures/data/dicom/CT_small.dcm';
const present = chromiumPresent();

describe.skipIf(!present)('viewer page', () => {
  const served = servedInChromium(() => buildViewer());

  /** Open the page on `backend`, upload the fixture DICOM, run the built-in model. */
  async function pageProbs(
    backend: string,
    errors: string[],
  ): Promise<{ probs: number[]; backend: string; page: Page }> {
    const page = await served.browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${backend}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${backend}: ${String(e)}`));
    await page.goto(`${served.url}?backend=${backend}`);
    await page.waitForFunction(() => (globalThis as { __viewerReady?: boolean }).__viewerReady === true);
    await page.setInputFiles('#file', {
      name: 'CT_small.dcm',
      mimeType: 'application/dicom',
      buffer: readFileSync(join(root, FIXTURE)),
    });
    await page.waitForFunction(() =>
      (globalThis as unknown as Doc).document
        .querySelector('#status')
        ?.textContent?.startsWith('CT_small.dcm'),
    );
    await page.click('#run');
    await page.waitForFunction(() => (globalThis as { __viewer?: unknown }).__viewer !== undefined, null, {
      timeout: 240_000,
    });
    const got = (await page.evaluate(() => (globalThis as { __viewer?: unknown }).__viewer)) as {
      probs: number[];
      backend: string;
    };
    return { ...got, page };
  }

  it("gives Node's probabilities for an uploaded DICOM on cpu, wasm and webgl, overlays Grad-CAM, reports bad files", async () => {
    // Node: the same file, the committed demo model, the same preprocessing, on cpu.
    expect(existsSync(join(root, 'examples/viewer/model/model.json')), 'the committed demo model').toBe(true);
    await setupBackend({ prefer: 'cpu', native: false });
    const img = decodeFile('CT_small.dcm', new Uint8Array(readFileSync(join(root, FIXTURE))));
    const model = await tfl.loadLayersModel(`file://${join(root, 'examples/viewer/model/model.json')}`);
    const x = toInput(img.pixels, img.rows, img.cols, inputWindow(img), 64);
    const want = Array.from(probabilities(model, x));
    tf.dispose(x);
    model.dispose();
    expect(want.length).toBe(2);

    const errors: string[] = [];
    const tolerance: Record<string, number> = { cpu: 1e-4, wasm: 1e-4, webgl: 1e-3 };
    let shotPage: Page | null = null;
    for (const backend of ['cpu', 'wasm', 'webgl']) {
      const got = await pageProbs(backend, errors);
      expect(got.backend).toBe(backend);
      expect(got.probs.length).toBe(2);
      const worst = Math.max(...got.probs.map((p, i) => Math.abs(p - (want[i] as number))));
      console.log(
        `viewer ${backend}: probabilities ${got.probs.map((p) => p.toFixed(6)).join(' ')}, largest difference from Node ${worst.toExponential(1)}`,
      );
      expect(worst, backend).toBeLessThanOrEqual(tolerance[backend] as number);
      if (backend === 'cpu') shotPage = got.page;
      else await got.page.close();
    }
    const page = shotPage as Page;

    mkdirSync(shots, { recursive: true });
    // Through the opacity slider, as a user moves it.
    const slide = async (value: string): Promise<void> => {
      await page.locator('#opacity').evaluate((el, v) => {
        const input = el as unknown as { value: string; dispatchEvent(e: unknown): boolean };
        input.value = v;
        input.dispatchEvent(
          new (globalThis as unknown as { Event: new (t: string) => unknown }).Event('input'),
        );
      }, value);
      expect(
        await page.evaluate(
          () => ((globalThis as unknown as Doc).document.querySelector('#overlay') as El).style.opacity,
        ),
      ).toBe(value);
    };
    await slide('0');
    const plain = await page.locator('#stage').screenshot();
    await slide('0.8');
    const over = await page.locator('#stage').screenshot();
    writeFileSync(join(shots, 'plain.png'), plain);
    writeFileSync(join(shots, 'overlay.png'), over);
    console.log(
      `viewer screenshots (CI artefacts): ${join(shots, 'plain.png')}, ${join(shots, 'overlay.png')}`,
    );
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
  }, 900_000);
});
