import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { enableWasmThreads, setupBackend } from '../../src/backend';

const child = fileURLToPath(new URL('./child/wasm-threads-child.ts', import.meta.url));

function runChild(threads: number): { backend: string; threads: number; maxErr: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, String(threads)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0); // also fails when pthread workers keep the process alive
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { backend: string; threads: number; maxErr: number };
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

  it('rejects a bad thread count, naming the option', async () => {
    await expect(setupBackend({ prefer: 'wasm', threads: 0 })).rejects.toThrow(/'threads'.*1 to 8/);
    await expect(enableWasmThreads({ threads: 2.5 })).rejects.toThrow(/'threads'.*1 to 8; got 2.5/);
  });
});
