import type { KernelBackend } from '@tensorflow/tfjs-core';

/** The largest heap a wasm32 module can address, and the cap tfjs-backend-wasm builds with. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

interface WasmModuleLike {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
  onAbort?: (what: unknown) => void;
}

/** A heap this full when the module aborts means a kernel's own allocation failed. */
const ABORT_AS_OOM_BYTES = 3 * 1024 ** 3;

const GUARDED = Symbol.for('medinets.wasmMallocGuard');
const MiB = (b: number): string => `${(b / 1024 ** 2).toFixed(0)} MiB`;

/**
 * Make a failed tensor allocation on the wasm backend throw. tfjs-backend-wasm stores every
 * tensor in the module's heap through `_malloc`, which returns 0 when the heap cannot grow
 * (a wasm32 heap stops at 4 GiB): tfjs then registers the tensor at address 0, over other
 * data, and the run goes on with garbage or dies later far from the cause. The wrapper turns
 * that into an Error naming the request and the heap in use, with what to change. A kernel's
 * own allocation inside the module (XNNPACK's packed weights, workspaces) that fails aborts
 * the module with a bare `RuntimeError: Aborted()` (measured: ResNet-50's training step at
 * batch 16, 224x224x3, aborts with the heap at 3827 MiB); when the heap is past 3 GiB at the
 * abort, the module's `onAbort` hook throws the same kind of Error instead. Idempotent; the
 * cost is one comparison per allocation.
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
          "Use a smaller batch or input size, or the cpu backend (setupBackend({ prefer: 'cpu' }): with " +
          "medinets' native addon it runs the same native kernels on tensors in JavaScript memory, not capped " +
          'at 4 GiB), or tfjs-node.',
      );
    }
    return ptr;
  };
  if (wasm.onAbort == null) {
    wasm.onAbort = (): void => {
      const used = wasm.HEAPU8.length;
      if (used < ABORT_AS_OOM_BYTES) return; // not memory: emscripten's own RuntimeError follows
      throw new Error(
        `medinets: the wasm backend ran out of memory inside a kernel, with the heap at ${MiB(used)} ` +
          `(wasm32 heaps end at ${MiB(WASM_HEAP_LIMIT_BYTES)}); the module's state is undefined now: ` +
          "start a new process with a smaller batch or input size, or on the cpu backend (setupBackend({ prefer: 'cpu' }), " +
          "which runs medinets' native kernels on JavaScript memory, not capped at 4 GiB), or tfjs-node.",
      );
    };
  }
}
