// The parity page (page/parity.ts) from the command line, for measurements beyond the test's
// cases: `npx tsx test/browser/run-parity.ts 'target=cpu&perturb=1e-6&only=ResNet50'` prints
// each row as the page finishes it (the page's query parameters: target, only, perturb, size,
// batch, mode).
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../../tools/static-server';
import { bundlePage, launch } from './harness';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'out', 'browser-run');

async function main(): Promise<void> {
  const query = process.argv[2] ?? '';
  await bundlePage(join(here, 'page', 'parity.ts'), out, 'parity');
  const wasm = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'wasm-out');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'])
    copyFileSync(join(wasm, f), join(out, f));
  const { url, server } = await serveStatic(out);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(m.text()));
    page.on('pageerror', (e) => console.log(`pageerror ${String(e)}`));
    await page.goto(`${url}parity.html?${query}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, null, {
      timeout: 0,
      polling: 1000,
    });
  } finally {
    await browser.close();
    server.close();
  }
}

void main();
