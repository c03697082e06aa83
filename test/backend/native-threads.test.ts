// Node worker_threads share the addon's one thread pool: 4 of them computing convolutions and
// matrix products forward and backward at once must each get the single-threaded results bit
// for bit, with no crash and no hang (before the pool admitted one job at a time, 3 workers
// crashed the process with SIGSEGV/SIGFPE or got wrong values). Run in a child process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeKernelsInUse } from '../../src/backend';

const child = fileURLToPath(new URL('./child/native-threads-child.ts', import.meta.url));
const available = nativeKernelsInUse().active;

describe.skipIf(!available)('native addon from several worker_threads', () => {
  it('4 workers x 3 rounds of conv/matmul forward and backward: the single-threaded bits, no crash or hang', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, '4', '3'], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.signal, `the child died or hung: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as {
      compared: number;
      differing: number;
    };
    expect(res.compared).toBe(4 * 3 * 9);
    expect(res.differing).toBe(0);
  });
});

describe.skipIf(!available)('native addon loaded by worker_threads only', () => {
  it('survives the workers ending (Node closes the addon; the pool threads live on)', () => {
    const onlyWorkers = fileURLToPath(new URL('./child/native-workers-only-child.ts', import.meta.url));
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', onlyWorkers], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.signal, `the child died: ${r.stderr}`).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(3);
    }
  });
});
