/**
 * CI: every example's pipeline in `--smoke` mode (tiny data, one epoch), so none can rot.
 * Each runs in-process on the wasm backend; outputs go to a temporary folder.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from 'medinets/backend';
import type { ExampleArgs } from './common/cli';

const examples = readdirSync(new URL('.', import.meta.url).pathname, { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^(\d{3}|real)-/.test(d.name))
  .map((d) => d.name)
  .sort();
const only = process.argv.slice(2);
await setupBackend({ prefer: 'wasm' });
const root = mkdtempSync(join(tmpdir(), 'medinets-examples-'));
let failed = 0;
let passed = 0;
try {
  for (const name of examples) {
    if (only.length && !only.includes(name)) continue;
    const mod = (await import(`./${name}/index.ts`)) as { main: (a: ExampleArgs) => Promise<unknown> };
    const outDir = join(root, name);
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    try {
      await mod.main({ mode: 'smoke', outDir, seed: 7, backend: 'wasm' });
      if (!existsSync(join(outDir, 'report.md'))) throw new Error('no report.md written');
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) throw new Error(`${leaked} tensors leaked`);
      passed++;
      console.log(`example ${name}: ok in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      failed++;
      console.error(`example ${name}: FAILED: ${(e as Error).stack ?? e}`);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(`examples: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
