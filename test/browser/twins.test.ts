// Every browser twin (x.browser.ts, taken by the browser build instead of x.ts; see
// tsup.config.ts) must export exactly what its Node module exports, or a page would find
// `undefined` where Node has a function. Types are checked by `typeof node.x` in the twins.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(__dirname, '..', '..', 'src');

function twins(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? twins(p) : f.endsWith('.browser.ts') ? [p] : [];
  });
}

describe('browser twins', () => {
  const files = twins(src);

  it('exist for the Node-only modules', () => {
    expect(files.map((f) => relative(src, f)).sort()).toEqual(
      expect.arrayContaining([
        'backend/native.browser.ts',
        'backend/wasm-threads.browser.ts',
        'util/files.browser.ts',
      ]),
    );
  });

  for (const twin of files) {
    const node = twin.replace(/\.browser\.ts$/, '.ts');
    it(`${relative(src, twin)} exports what ${relative(src, node)} exports`, async () => {
      expect(existsSync(node), `${relative(src, twin)} has no Node sibling`).toBe(true);
      const a = Object.keys(await import(node)).sort();
      const b = Object.keys(await import(twin)).sort();
      expect(b).toEqual(a);
    });
  }

  it('say in their errors that the function needs Node', async () => {
    const files = await import('../../src/util/files.browser');
    await expect(files.writeFileAtomic('x.png', new Uint8Array(1), 'saveHeatmapPng')).rejects.toThrow(
      /^saveHeatmapPng: writing a file path needs Node/,
    );
    const ckpt = await import('../../src/train/checkpoint-io.browser');
    await expect(ckpt.loadCheckpoint('dir')).rejects.toThrow(/^loadCheckpoint: .*indexeddb/);
    const native = await import('../../src/backend/native.browser');
    expect(native.nativeKernelsInUse()).toMatchObject({
      active: false,
      reason: 'the native addon runs only in Node',
    });
    expect(native.activeAddon()).toBeNull();
  });
});
