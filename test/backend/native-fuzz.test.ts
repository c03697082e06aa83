// Thousands of seeded random and adversarial calls of every native entry point, in a child
// process: a crash (SIGSEGV, abort, a sanitizer report) is a failed test, not a dead runner.
// `npm run fuzz:native -- <cases> <seed>` runs the same child for longer.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeKernelsInUse } from '../../src/backend';

const child = fileURLToPath(new URL('./child/native-fuzz-child.ts', import.meta.url));
const available = nativeKernelsInUse().active;

interface FuzzReport {
  cases: number;
  valid: number;
  adversarial: number;
  threw: number;
  mismatches: number;
  badErrors: number;
  missedErrors: number;
  identical: boolean;
  simd: string;
  digest: number;
  failures: string[];
}

function fuzz(cases: number, seed: number, isa?: string): FuzzReport {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, String(cases), String(seed)], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, MEDINETS_NATIVE_ISA: isa ?? '' },
  });
  expect(r.signal, `the fuzz child died: ${r.stderr}`).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as FuzzReport;
}

describe.skipIf(!available)('native addon under random and adversarial calls', () => {
  it.each([1, 2])('seed %i: 2500 calls, each right or a named Error, no crash', (seed) => {
    const r = fuzz(2500, seed);
    expect(r.failures).toEqual([]);
    expect(r.cases).toBe(2500);
    expect(r.valid).toBeGreaterThan(1000);
    expect(r.adversarial).toBeGreaterThan(700);
    expect(r.threw).toBeGreaterThan(500); // the adversarial calls were refused...
    expect(r.mismatches + r.badErrors + r.missedErrors).toBe(0); // ...by name, and nothing else was wrong
    expect(r.identical).toBe(true);
  });

  it("gives the same bits on the AVX2 path (MEDINETS_NATIVE_ISA=avx2) as on the CPU's best", () => {
    const best = fuzz(1500, 3);
    const avx2 = fuzz(1500, 3, 'avx2');
    expect(avx2.simd).toBe('avx2-fma');
    expect(['avx512', 'avx2-fma']).toContain(best.simd);
    expect(best.failures).toEqual([]);
    expect(avx2.failures).toEqual([]);
    expect(avx2.digest).toBe(best.digest);
  });
});
