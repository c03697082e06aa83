import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { enableWasmThreads, setupBackend } from '../../src/backend';

const child = fileURLToPath(new URL('./child/wasm-threads-child.ts', import.meta.url));

function runChild(
  threads: number,
  env: Record<string, string> = {},
): { backend: string; threads: number; maxErr: number; dwBits: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, String(threads)], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  expect(r.status, r.stderr).toBe(0); // also fails when pthread workers keep the process alive
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { backend: string; threads: number; maxErr: number; dwBits: string };
}

describe('wasm threads in Node', () => {
  it('runs XNNPACK on two threads, with the results of the cpu backend, and exits', () => {
    const r = runChild(2);
    expect(r.backend).toBe('wasm');
    expect(r.threads).toBe(2);
    expect(r.maxErr).toBeLessThan(1e-4);
  });

  it('keeps the single-threaded binary with threads: 1', () => {
    const r = runChild(1);
    expect(r.threads).toBe(1);
    expect(r.maxErr).toBeLessThan(1e-4);
  });

  it('computes the same filter-gradient bits on one and on two threads', () => {
    expect(runChild(2).dwBits).toBe(runChild(1).dwBits);
  });

  it('rejects a bad thread count, naming the option', async () => {
    await expect(setupBackend({ prefer: 'wasm', threads: 0 })).rejects.toThrow(/'threads'.*1 to 8/);
    await expect(enableWasmThreads({ threads: 2.5 })).rejects.toThrow(/'threads'.*1 to 8; got 2.5/);
  });
});

/** The worker script's path as medinets <= 0.1 built it: a content hash under os.tmpdir(). */
function oldWorkerScriptPath(tmp: string): string {
  const req = createRequire(import.meta.url);
  const gluePath = req.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = req(
    '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js',
  ) as { wasmWorkerContents: string };
  const text =
    `// medinets: pthread worker of @tensorflow/tfjs-backend-wasm for Node (generated).\n` +
    `URL.createObjectURL = function () { return ${JSON.stringify(gluePath)}; };\n` +
    `URL.revokeObjectURL = function () {};\n` +
    wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return join(tmp, `medinets-wasm-pthread-${hash}.cjs`);
}

describe('wasm threads: no code planted in a shared temp dir runs (issue 18 item 3)', () => {
  it('ignores a tampered worker script at the old predictable path and leaves nothing behind', () => {
    const shared = mkdtempSync(join(tmpdir(), 'medinets-shared-tmp-'));
    try {
      const marker = join(shared, 'planted-code-ran');
      const planted = oldWorkerScriptPath(shared);
      writeFileSync(planted, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
      const r = runChild(2, { TMPDIR: shared });
      expect(r.threads).toBe(2);
      expect(r.maxErr).toBeLessThan(1e-4);
      expect(existsSync(marker)).toBe(false);
      // The private 0700 directory the script was written to is gone after the process exits.
      expect(readdirSync(shared).filter((f) => f.startsWith('medinets-') && f !== basename(planted))).toEqual(
        [],
      );
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
