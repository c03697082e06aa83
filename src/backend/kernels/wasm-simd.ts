/*
 * medinets' own WebAssembly SIMD kernels (wasm/*.c, built by wasm/build.mjs into
 * wasm-simd-binary.ts) for the wasm backend without the native addon: batch norm in training
 * and its gradient, the ReLU gradient and the optimizers' updates, which otherwise run as JS
 * loops over the heap (or, for the optimizers, as tfjs' chain of elementwise kernels). The
 * module imports tfjs-backend-wasm's own WasmMemory and works in place on the
 * tensors' storage: a pointer is the byteOffset of a tensor's heap view. It owns no memory
 * (no data, no stack; the build checks), so emscripten's heap is never written but through
 * the output tensors. The interface is the addon's (same argument lists), so a kernel takes
 * `activeAddon() ?? wasmSimd(backend)` and is otherwise unchanged; the results are the same
 * bits as the JS kernels' and tfjs' updates (tested). The convolutions' matrix products
 * (wasm/gemm.c) also run on worker threads (wasm-pool.ts) where the heap is shared.
 */
import type { KernelBackend } from '@tensorflow/tfjs-core';
import type { BnTrainArgs, BnTrainGradArgs, NativeAddon } from '../native';
import { GEMM_FNS, gemmKernels, type GemmExports, type GemmKernels } from './wasm-gemm';
import { startPool, type GemmPool } from './wasm-pool';
import { WINOGRAD_FNS, winogradKernels, type WinogradExports, type WinogradKernels } from './wasm-winograd';
import { poolWorkers } from './wasm-worker-spawn';
import {
  SIMD_PLAIN_WASM,
  SIMD_RELAXED_PLAIN_WASM,
  SIMD_RELAXED_SHARED_WASM,
  SIMD_SHARED_WASM,
} from './wasm-simd-binary';

/**
 * The addon's methods the SIMD module provides, with the addon's argument lists, and the
 * module's own (wasm/copy.c, conv.c, gemm.c: col2im for the input gradient, batch norm at
 * inference from precomputed factors, the depthwise gradients, matrix products).
 */
export interface SimdKernels
  extends
    Pick<NativeAddon, 'reluGrad' | 'optimizerUpdate' | 'relu' | 'concat' | 'split' | 'maxPoolGrad'>,
    GemmKernels,
    WinogradKernels {
  /** The addon's bnTrain without the fused ReLU; `tmp` (4c values, on the heap) is scratch. */
  bnTrain(...args: [...BnTrainArgs, tmp: Float32Array]): void;
  /** The addon's bnTrainGrad without the fused ReLU; `tmp` (6c values, on the heap) is scratch. */
  bnTrainGrad(...args: [...BnTrainGradArgs, tmp: Float32Array]): void;
  /**
   * `rows` runs of `len` floats from src (from float `srcAt`, runs `sstride` apart) to dst
   * (from `dstAt`, `dstride` apart).
   */
  copyRows(
    dst: Float32Array,
    dstAt: number,
    dstride: number,
    src: Float32Array,
    srcAt: number,
    sstride: number,
    len: number,
    rows: number,
  ): void;
  /** dst[b] = src[b]^T for `batches` row-major `rows` x `cols` matrices (bits unchanged). */
  transpose2d(src: Float32Array, dst: Float32Array, batches: number, rows: number, cols: number): void;
  /** y = x a + b per channel (last axis, c values), `ab` = [a, b] (2c values); with `cap`, then relu(y, cap). */
  bnInferAB(x: Float32Array, ab: Float32Array, y: Float32Array, cap?: number): void;
  /**
   * wasm/conv.c col2im_t, an im2col's adjoint: P summed into xt [cin, n, h, w] for images
   * n0..n1-1, params [n, h, w, cin, kh, kw, sh, sw, pt, pl, ho, wo, n0, n1].
   */
  col2imT(p: Float32Array, xt: Float32Array, params: number[]): void;
  /**
   * out[p][j] = scale * sum over i of x[p][i][j] (x as [pre, mid, inner]), float64 sums in row
   * order; `acc` (2 * inner floats on the heap) is scratch.
   */
  reduceMid(
    x: Float32Array,
    out: Float32Array,
    pre: number,
    mid: number,
    inner: number,
    scale: number,
    acc: Float32Array,
  ): void;
  /** Depthwise dW (zeroed first): params [n, h, w, c, m, ho, wo, kh, kw, sh, sw, dh, dw, pt, pl]. */
  depthwiseDw(x: Float32Array, dy: Float32Array, dw: Float32Array, params: number[]): void;
  /** Depthwise dx (zeroed first), params as {@link SimdKernels.depthwiseDw}'s. */
  depthwiseDx(dy: Float32Array, w: Float32Array, dx: Float32Array, params: number[]): void;
}

// The few WebAssembly JS-API types used here: the project's lib (ES2022, no DOM) has none.
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  compile(bytes: Uint8Array): Promise<WasmModule>;
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

type Ptr = number;
interface Exports extends GemmExports, WinogradExports {
  bn_train(
    x: Ptr,
    g: Ptr,
    b: Ptr,
    y: Ptr,
    mean: Ptr,
    v: Ptr,
    inv: Ptr,
    n: number,
    c: number,
    eps: number,
    tmp: Ptr,
  ): void;
  bn_train_grad(
    dy: Ptr,
    x: Ptr,
    g: Ptr,
    m: Ptr,
    inv: Ptr,
    dx: Ptr,
    ds: Ptr,
    doff: Ptr,
    n: number,
    c: number,
    tmp: Ptr,
  ): void;
  relu_grad(dy: Ptr, x: Ptr, dx: Ptr, n: number, cap: number): void;
  adam(...args: number[]): void;
  momentum(...args: number[]): void;
  rmsprop(...args: number[]): void;
  sgd(...args: number[]): void;
  copy_rows(dst: Ptr, dstride: number, src: Ptr, sstride: number, len: number, rows: number): void;
  bn_infer(x: Ptr, ab: Ptr, y: Ptr, n: number, c: number): void;
  bn_infer_relu(x: Ptr, ab: Ptr, y: Ptr, n: number, c: number, cap: number): void;
  transpose_2d(src: Ptr, dst: Ptr, batches: number, rows: number, cols: number): void;
  relu_cap(x: Ptr, y: Ptr, n: number, cap: number): void;
  col2im_t(p: Ptr, xt: Ptr, ...params: number[]): void;
  depthwise_dw(x: Ptr, dy: Ptr, dw: Ptr, ...params: number[]): void;
  depthwise_dx(dy: Ptr, w: Ptr, dx: Ptr, ...params: number[]): void;
  max_pool_grad(dy: Ptr, x: Ptr, dx: Ptr, ...params: number[]): void;
  reduce_mid(x: Ptr, o: Ptr, pre: number, mid: number, inner: number, scale: number, acc: Ptr): void;
}

interface EmscriptenLike {
  wasmMemory?: unknown;
  asm?: { memory?: unknown };
  wasmExports?: { memory?: unknown };
}

/**
 * The backend's WasmMemory: the threaded binary keeps it as `Module.wasmMemory` (it
 * makes the shared memory in JS), the plain one exports it (`Module.asm.memory`; newer
 * emscripten `wasmExports`).
 */
function memoryOf(backend: KernelBackend): WasmMemory | null {
  const m = (backend as unknown as { wasm?: EmscriptenLike }).wasm;
  if (m == null) return null;
  const mem = m.wasmMemory ?? m.asm?.memory ?? m.wasmExports?.memory;
  return WA != null && mem instanceof WA.Memory ? (mem as WasmMemory) : null;
}

function isShared(mem: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && mem.buffer instanceof SharedArrayBuffer;
}

function bytesOf(base64: string): Uint8Array {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Per memory: the kernels, null when they cannot run here, 'pending' while compiling. */
const instances = new WeakMap<WasmMemory, SimdKernels | null | 'pending'>();
const reasons = new WeakMap<WasmMemory, string>();
let enabled = true;

/** Wrap the exports in the addon's interface: views must be views of `mem`. */
function kernels(
  mem: WasmMemory,
  e: Exports,
  product: GemmExports & WinogradExports,
  relaxed: boolean,
  pool: GemmPool | null,
): SimdKernels {
  const p = (a: Float32Array): Ptr => {
    if (a.buffer !== mem.buffer)
      throw new Error('medinets wasm SIMD kernels: a view not on the backend heap');
    return a.byteOffset;
  };
  const f = Math.fround;
  return {
    ...gemmKernels(product, relaxed, pool, p),
    ...winogradKernels(product, pool, GEMM_FNS.length, p),
    bnTrain(x, g, b, y, mean, variance, invStd, epsilon, tmp) {
      const c = g.length;
      const n = c === 0 ? 0 : x.length / c;
      if (tmp.length < 4 * c)
        throw new Error(`medinets wasm bnTrain: tmp has ${tmp.length} values, needs ${4 * c}`);
      e.bn_train(p(x), p(g), p(b), p(y), p(mean), p(variance), p(invStd), n, c, epsilon, p(tmp));
    },
    bnTrainGrad(dy, x, scale, mean, invStd, dx, dScale, dOffset, tmp) {
      const c = scale.length;
      const n = c === 0 ? 0 : x.length / c;
      if (tmp.length < 6 * c)
        throw new Error(`medinets wasm bnTrainGrad: tmp has ${tmp.length} values, needs ${6 * c}`);
      e.bn_train_grad(p(dy), p(x), p(scale), p(mean), p(invStd), p(dx), p(dScale), p(dOffset), n, c, p(tmp));
    },
    reluGrad(dy, x, dx, cap) {
      e.relu_grad(p(dy), p(x), p(dx), x.length, cap);
    },
    optimizerUpdate(kind, inputs, outputs, scalars) {
      const i = inputs.map(p);
      const o = outputs.map(p);
      const n = (inputs[0] as Float32Array).length;
      const s = Array.from(scalars, f);
      // kinds of fused-optimizers.ts: 0 Adam, 1 momentum, 2 RMSprop, 3 centered RMSprop, 4 SGD
      if (kind === 0) e.adam(...i, ...o, n, ...s);
      else if (kind === 1) e.momentum(...i, ...o, n, ...s);
      else if (kind === 2) e.rmsprop(...i, 0, ...o, 0, n, ...s);
      else if (kind === 3) e.rmsprop(...i, ...o, n, ...s);
      else e.sgd(...i, ...o, n, ...s);
    },
    relu(x, y, cap) {
      e.relu_cap(p(x), p(y), x.length, cap ?? Infinity);
    },
    concat(out, inputs, outer) {
      // floats per row of each part, then one strided copy per part (byte pointers: 4 a float)
      const total = out.length / outer;
      let at = 0;
      for (const part of inputs) {
        const len = part.length / outer;
        e.copy_rows(p(out) + 4 * at, total, p(part), len, len, outer);
        at += len;
      }
    },
    split(x, outputs, outer) {
      const total = x.length / outer;
      let at = 0;
      for (const part of outputs) {
        const len = part.length / outer;
        e.copy_rows(p(part), len, p(x) + 4 * at, total, len, outer);
        at += len;
      }
    },
    copyRows(dst, dstAt, dstride, src, srcAt, sstride, len, rows) {
      e.copy_rows(p(dst) + 4 * dstAt, dstride, p(src) + 4 * srcAt, sstride, len, rows);
    },
    maxPoolGrad(dy, x, dx, params) {
      e.max_pool_grad(p(dy), p(x), p(dx), ...params);
    },
    transpose2d(src, dst, batches, rows, cols) {
      if (src.length < batches * rows * cols || dst.length < batches * rows * cols)
        throw new Error(
          `medinets wasm transpose2d: src ${src.length} / dst ${dst.length} values, needs ${batches * rows * cols}`,
        );
      e.transpose_2d(p(src), p(dst), batches, rows, cols);
    },
    bnInferAB(x, ab, y, cap) {
      const c = ab.length / 2;
      const n = c === 0 ? 0 : x.length / c;
      if (cap == null) e.bn_infer(p(x), p(ab), p(y), n, c);
      else e.bn_infer_relu(p(x), p(ab), p(y), n, c, cap);
    },
    col2imT(pm, xt, params) {
      e.col2im_t(p(pm), p(xt), ...params);
    },
    reduceMid(x, out, pre, mid, inner, scale, acc) {
      if (acc.length < 2 * inner || x.length < pre * mid * inner || out.length < pre * inner)
        throw new Error(`medinets wasm reduceMid: views too short for [${pre}, ${mid}, ${inner}]`);
      e.reduce_mid(p(x), p(out), pre, mid, inner, scale, p(acc));
    },
    depthwiseDw(x, dy, dw, params) {
      e.depthwise_dw(p(x), p(dy), p(dw), ...params);
    },
    depthwiseDx(dy, w, dx, params) {
      e.depthwise_dx(p(dy), p(w), p(dx), ...params);
    },
  };
}

/** XNNPACK's thread count on `backend` (1 when unknown). */
function threadsOf(backend: KernelBackend): number {
  const b = backend as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  return b.wasm?.tfjs?.getThreadsCount?.() ?? 1;
}

let relaxedOn = true;

/**
 * Use the relaxed-SIMD product where the engine has relaxed SIMD (default), or never: for tests
 * and the bench; heaps whose kernels already exist keep theirs. @internal
 */
export function useRelaxedSimd(on: boolean): void {
  relaxedOn = on;
}

/** The relaxed-SIMD product's bytes for `mem`, or null where the engine lacks relaxed SIMD. */
function relaxedBytes(mem: WasmMemory): Uint8Array | null {
  if (!relaxedOn) return null;
  const bytes = bytesOf(isShared(mem) ? SIMD_RELAXED_SHARED_WASM : SIMD_RELAXED_PLAIN_WASM);
  return (WA as WasmApi).validate(bytes) ? bytes : null;
}

/**
 * The kernels on `mem` from the compiled module and, where the engine has relaxed SIMD, the
 * relaxed product's (fused multiply-adds), which then computes every product; on a shared
 * memory, with a pool of workers for the products (see poolWorkers: in Node as many threads as
 * XNNPACK's `threads`, in a page every core), which instantiate the product's module.
 */
function instantiate(
  mem: WasmMemory,
  module: WasmModule,
  relaxed: WasmModule | null,
  threads: number,
): SimdKernels {
  const make = (m: WasmModule): object => new (WA as WasmApi).Instance(m, { env: { memory: mem } }).exports;
  const e = make(module) as Exports;
  const product = relaxed != null ? (make(relaxed) as GemmExports & WinogradExports) : e;
  const fns = [...GEMM_FNS, ...WINOGRAD_FNS];
  const pool = isShared(mem) ? startPool(relaxed ?? module, mem, fns, poolWorkers(threads)) : null;
  return kernels(mem, e, product, relaxed != null, pool);
}

/**
 * The SIMD kernels on `backend`'s heap, or null: not the wasm backend, the engine lacks
 * WebAssembly SIMD, switched off by {@link useWasmSimd}, or (in a browser that refuses to
 * compile synchronously on the main thread) still compiling, after which later calls get
 * them. Compiled once per heap, synchronously where the engine allows it.
 */
export function wasmSimd(backend: KernelBackend): SimdKernels | null {
  if (!enabled) return null;
  const mem = memoryOf(backend);
  if (mem == null) return null;
  const known = instances.get(mem);
  if (known !== undefined) return known === 'pending' ? null : known;
  const bytes = bytesOf(isShared(mem) ? SIMD_SHARED_WASM : SIMD_PLAIN_WASM);
  let module: WasmModule;
  try {
    module = new (WA as WasmApi).Module(bytes);
  } catch (err) {
    if (!(err instanceof RangeError)) {
      instances.set(mem, null);
      reasons.set(mem, String(err));
      return null;
    }
    // Chrome limits synchronous compilation on the main thread by size: compile in the
    // background; the JS kernels run until it is done.
    instances.set(mem, 'pending');
    void prepareWasmSimd(backend);
    return null;
  }
  let relaxed: WasmModule | null = null;
  const rb = relaxedBytes(mem);
  try {
    if (rb != null) relaxed = new (WA as WasmApi).Module(rb);
  } catch {
    // refused synchronously (a browser's main thread): the plain product, as on engines without it
  }
  const k = instantiate(mem, module, relaxed, threadsOf(backend));
  instances.set(mem, k);
  return k;
}

/**
 * Compile and instantiate the SIMD kernels for `backend` asynchronously (what a browser's
 * main thread needs for a module of this size); resolves when {@link wasmSimd} can return
 * them, or when it is known that it cannot. setupBackend awaits it.
 */
export async function prepareWasmSimd(backend: KernelBackend): Promise<void> {
  const mem = memoryOf(backend);
  if (mem == null) return;
  const known = instances.get(mem);
  if (known != null && known !== 'pending') return;
  try {
    const module = await (WA as WasmApi).compile(bytesOf(isShared(mem) ? SIMD_SHARED_WASM : SIMD_PLAIN_WASM));
    const rb = relaxedBytes(mem);
    const relaxed = rb != null ? await (WA as WasmApi).compile(rb) : null;
    instances.set(mem, instantiate(mem, module, relaxed, threadsOf(backend)));
  } catch (err) {
    instances.set(mem, null);
    reasons.set(mem, String(err));
  }
}

/**
 * Whether the SIMD kernels are in use on `backend`, and why not when they are not (for
 * reports and for tests that must fail loudly when they are missing). @internal
 */
export function wasmSimdStatus(backend: KernelBackend): { active: boolean; reason?: string } {
  if (!enabled) return { active: false, reason: 'switched off by useWasmSimd(false)' };
  const mem = memoryOf(backend);
  if (mem == null) return { active: false, reason: 'not the wasm backend (no WasmMemory found)' };
  const k = wasmSimd(backend);
  if (k != null) return { active: true };
  return { active: false, reason: reasons.get(mem) ?? 'still compiling' };
}

/** Switch the SIMD kernels off (the JS kernels run) or back on: for tests and the bench. @internal */
export function useWasmSimd(on: boolean): void {
  enabled = on;
}
