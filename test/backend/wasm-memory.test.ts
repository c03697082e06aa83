// A tensor the wasm heap cannot hold must fail with an error, not land at address 0.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/backend';
import { guardWasmMalloc } from '../../src/backend/kernels/wasm-memory';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('wasm heap exhaustion', () => {
  it('throws a clear error for a tensor beyond the 4 GiB wasm32 heap, and the backend stays usable', () => {
    const before = tf.memory().numTensors;
    // 2^32 - 4 bytes: the largest request a wasm32 malloc takes, more than the heap can ever hold.
    expect(() => tf.zeros([2 ** 30 - 1])).toThrow(
      /wasm backend is out of memory: a tensor of 4096 MiB.*4096 MiB.*smaller batch.*prefer: 'cpu'/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const s = tf.sum(tf.ones([1000]));
    expect(s.dataSync()[0]).toBe(1000);
    s.dispose();
    expect((tf.backend() as unknown as { wasm: { onAbort?: unknown } }).wasm.onAbort).toBeTypeOf('function');
  });

  it('leaves successful allocations and other objects alone', () => {
    const calls: number[] = [];
    const wasm = { _malloc: (b: number) => (calls.push(b), b === 8 ? 0 : 64), HEAPU8: new Uint8Array(16) };
    guardWasmMalloc({ wasm });
    guardWasmMalloc({ wasm }); // idempotent: one wrapper
    expect(wasm._malloc(4)).toBe(64);
    expect(wasm._malloc(0)).toBe(64);
    expect(() => wasm._malloc(8)).toThrow(/out of memory/);
    expect(calls).toEqual([4, 0, 8]);
    expect(() => guardWasmMalloc({})).not.toThrow();
  });

  it('names memory when the module aborts with a heap past 3 GiB, and leaves other aborts to emscripten', () => {
    interface Stub {
      _malloc: () => number;
      HEAPU8: { length: number };
      onAbort?: (what: unknown) => void;
    }
    const stub = (bytes: number, onAbort?: Stub['onAbort']): Stub => ({
      _malloc: () => 64,
      HEAPU8: { length: bytes },
      ...(onAbort ? { onAbort } : {}),
    });
    const small = stub(16);
    guardWasmMalloc({ wasm: small });
    expect(() => small.onAbort?.('x')).not.toThrow();
    const full = stub(3827 * 2 ** 20);
    guardWasmMalloc({ wasm: full });
    expect(() => full.onAbort?.('')).toThrow(
      /ran out of memory inside a kernel, with the heap at 3827 MiB.*smaller batch.*prefer: 'cpu'/,
    );
    const own = (): void => undefined;
    const theirs = stub(3827 * 2 ** 20, own);
    guardWasmMalloc({ wasm: theirs });
    expect(theirs.onAbort).toBe(own); // an application's own hook is kept
  });
});
