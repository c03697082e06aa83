import type { KernelBackend } from '@tensorflow/tfjs-core';

/** The largest heap a wasm32 module can address, and the cap tfjs-backend-wasm builds with. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

interface WasmModuleLike {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
}

const GUARDED = Symbol.for('medinets.wasmMallocGuard');
const MiB = (b: number): string => `${(b / 1024 ** 2).toFixed(0)} MiB`;

/**
 * Make a failed tensor allocation on the wasm backend throw. tfjs-backend-wasm stores every
 * tensor in the module's heap through `_malloc`, which returns 0 when the heap cannot grow
 * (a wasm32 heap stops at 4 GiB): tfjs then registers the tensor at address 0, over other
 * data, and the run goes on with garbage or dies later far from the cause. The wrapper turns
 * that into an Error naming the request and the heap in use, with what to change. Idempotent;
 * the cost is one comparison per allocation.
 */
export function guardWasmMalloc(backend: KernelBackend | object): void {
  const wasm = (backend as unknown as { wasm?: WasmModuleLike & Record<symbol, unknown> }).wasm;
  if (wasm == null || typeof wasm._malloc !== 'function' || wasm[GUARDED] != null) return;
  const malloc = wasm._malloc.bind(wasm);
  wasm[GUARDED] = malloc;
  wasm._malloc = (bytes: number): number => {
    const ptr = malloc(bytes);
    if (ptr === 0 && bytes > 0) {
      throw new Error(
        `medinets: the wasm backend is out of memory: a tensor of ${MiB(bytes)} does not fit beside the ` +
          `${MiB(wasm.HEAPU8.length)} heap already in use (wasm32 heaps end at ${MiB(WASM_HEAP_LIMIT_BYTES)}). ` +
          'Use a smaller batch or input size, or the native addon / tfjs-node, whose memory is not capped.',
      );
    }
    return ptr;
  };
}
