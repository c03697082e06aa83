// Tensors above 2 GiB in the wasm heap: the wasm kernels' own index arithmetic must not go
// negative there (byteOffset >> 2 did: Conv2DBackpropInput's stride phases and the im2col
// dW then read and wrote at indices counted from the heap's end). Run in a child process so
// the 2 GiB heap is given back.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./child/wasm-high-heap-child.ts', import.meta.url));

describe('wasm convolution gradients above 2 GiB in the heap', () => {
  it('dx (stride phases) and dW (im2col) equal the cpu backend with the tensors above 2 GiB', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 240_000 });
    expect(r.signal, `the child died: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as {
      heapMiB: number;
      offset: number;
      dx: number;
      dw: number;
      tensors: number;
    };
    expect(res.offset).toBeGreaterThan(2 ** 31); // the inputs really lay above 2 GiB
    expect(res.heapMiB).toBeGreaterThan(2048);
    expect(res.dx).toBeLessThan(1e-4);
    expect(res.dw).toBeLessThan(1e-4);
    expect(res.tensors).toBe(0);
  });
});
