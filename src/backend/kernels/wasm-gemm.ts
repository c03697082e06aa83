/*
 * The wasm SIMD module's matrix product (wasm/gemm.c) as one call: B packed, then the rows of
 * C split between the calling thread and the pool's ready workers (wasm-pool.ts), in blocks
 * of the kernel's MR rows. Small products run on the calling thread alone.
 */
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { allocFloat, release, viewFloat } from './util';
import type { GemmPool } from './wasm-pool';

/** Floats at a product's (or Winograd convolution's) scratch start that hold its geometry (int32). */
export const GEOMETRY = 16;

/** Products below this many flops run on one thread: a worker's wake-up costs tens of µs. */
const MIN_PARALLEL_FLOPS = 1 << 22;

/**
 * C[m, n] = A[m, k] B[k, n] (+ C, or + a bias row) on the wasm heap. A's element (i, p) is
 * at `a[i * ars + p * aks]` and B's (p, j) at `b[p * bks + j * bjs]`, so either may be read
 * as it lies or transposed; C is row-major with leading dimension `ldc`.
 */
export interface GemmArgs {
  /** Rows of A and C. */
  m: number;
  /** Columns of B and C. */
  n: number;
  /** Columns of A, rows of B. */
  k: number;
  /** A's storage (a view on the heap; the first element is A(0, 0)). */
  a: Float32Array;
  /** A's row stride (floats). */
  ars: number;
  /** A's column stride (floats). */
  aks: number;
  /** B's storage (a view on the heap; the first element is B(0, 0)). */
  b: Float32Array;
  /** B's row stride (floats). */
  bks: number;
  /** B's column stride (floats). */
  bjs: number;
  /** C's storage (a view on the heap). */
  c: Float32Array;
  /** C's row stride (floats). */
  ldc: number;
  /** Add the product to C as it is (default false: overwrite). */
  beta?: boolean;
  /** n values added to every row (when not beta): each C value starts from its bias. */
  bias?: Float32Array;
  /**
   * A read from a convolution's input instead (`a` is x, NHWC; ars and aks unused): wasm/gemm.c's
   * geometry [mode, n, h, w, cin, kh, kw, sh, sw, pt, pl, ho, wo], mode 1 for A = P (the
   * forward product), 2 for A = P^T (the filter gradient's).
   */
  conv?: number[];
  /** Scratch of {@link GemmKernels.gemmScratchFloats}(k, n) floats on the heap. */
  scratch: Float32Array;
}

/** The product's methods of the SIMD kernels. */
export interface GemmKernels {
  /** See {@link GemmArgs}. */
  gemm(g: GemmArgs): void;
  /**
   * The register block's multiply-add rate on this thread, GFLOP/s: `reps` passes of one
   * 256-deep block held in L1 (`scratch`: the module's gemm_peak_floats(), 3,104, on the heap,
   * zeroed here). For the bench.
   */
  gemmPeak(reps: number, scratch: Float32Array): number;
  /** Floats of scratch a product with these k and n needs (packed B, each thread's slivers). */
  gemmScratchFloats(k: number, n: number): number;
  /**
   * Workers started for the products, how many of them are ready now, the jobs they were
   * given, and whether the products fuse their multiply-adds (relaxed SIMD).
   */
  gemmWorkers(): { started: number; ready: number; jobs: number; relaxed: boolean };
}

/** wasm/gemm.c's exports. */
export interface GemmExports {
  gemm_packed_b_floats(k: number, n: number): number;
  gemm_scratch_floats(): number;
  gemm_mr(): number;
  gemm_pack_b(...args: number[]): void;
  gemm_peak_floats(): number;
  gemm_peak(reps: number, scratch: number): number;
  gemm_rows(...args: number[]): void;
}

let workersOn = true;

/** Let products use the workers (default) or keep them on the calling thread: for tests. @internal */
export function useGemmWorkers(on: boolean): void {
  workersOn = on;
}

/** The pool's workers that may take a job now: none while {@link useGemmWorkers} is off. */
export function readyWorkers(pool: GemmPool | null): number[] {
  return pool != null && workersOn ? pool.ready() : [];
}

/** The names a pool's jobs index (the order of the first job argument). */
export const GEMM_FNS = ['gemm_pack_b', 'gemm_rows'];
const PACK = 0;
const ROWS = 1;

/** Split [0, units) into `parts` runs, as even as they go. */
function split(units: number, parts: number): number[] {
  const cuts = [0];
  for (let i = 1; i <= parts; i++) cuts.push(Math.round((units * i) / parts));
  return cuts;
}

/**
 * One job over units [0, units), split between the calling thread and as many of the `ready`
 * workers as there are further units: each worker is posted `[fn, ...args(from, to, t)]` (t its
 * thread index, from 1), the caller runs `mine(args(0, to, 0))`, then waits for the workers.
 */
export function shareOut(
  pool: GemmPool | null,
  ready: number[],
  units: number,
  fn: number,
  args: (from: number, to: number, t: number) => number[],
  mine: (args: number[]) => void,
): void {
  const workers = ready.slice(0, Math.max(0, Math.min(ready.length, units - 1)));
  const cuts = split(units, 1 + workers.length);
  workers.forEach((w, i) =>
    pool?.post(w, [fn, ...args(cuts[i + 1] as number, cuts[i + 2] as number, i + 1)]),
  );
  try {
    mine(args(0, cuts[1] as number, 0));
  } finally {
    if (workers.length > 0) pool?.join(workers);
  }
}

/**
 * The product on module exports `e` (relaxed: the relaxed-SIMD module's) and the pool's
 * workers; `ptr` maps a view to its byte address.
 */
export function gemmKernels(
  e: GemmExports,
  relaxed: boolean,
  pool: GemmPool | null,
  ptr: (a: Float32Array) => number,
): GemmKernels {
  const mr = e.gemm_mr();
  const per = e.gemm_scratch_floats();
  const threads = 1 + (pool?.size ?? 0);
  const scratchFloats = (k: number, n: number): number =>
    GEOMETRY + e.gemm_packed_b_floats(k, n) + threads * per;
  return {
    gemmPeak(reps, scratch) {
      const floats = e.gemm_peak_floats();
      if (scratch.length < floats)
        throw new Error(`medinets wasm gemmPeak: scratch has ${scratch.length} floats, needs ${floats}`);
      scratch.fill(0, 0, floats);
      e.gemm_peak(1, ptr(scratch));
      const t = performance.now();
      const flops = e.gemm_peak(reps, ptr(scratch));
      return flops / ((performance.now() - t) * 1e6);
    },
    gemmWorkers: () => ({
      started: pool?.size ?? 0,
      ready: pool?.ready().length ?? 0,
      jobs: pool?.jobs ?? 0,
      relaxed,
    }),
    gemmScratchFloats: scratchFloats,
    gemm(g) {
      const { m, n, k } = g;
      const need = scratchFloats(k, n);
      if (g.scratch.length < need)
        throw new Error(`medinets wasm gemm: scratch has ${g.scratch.length} floats, needs ${need}`);
      if (m === 0 || n === 0) return;
      const cv = ptr(g.scratch);
      if (g.conv != null) {
        if (g.conv.length > GEOMETRY) throw new Error('medinets wasm gemm: conv geometry too long');
        new Int32Array(g.scratch.buffer, g.scratch.byteOffset, g.conv.length).set(g.conv);
      }
      const packed = cv + 4 * GEOMETRY;
      const own = packed + 4 * e.gemm_packed_b_floats(k, n);
      const ready = 2 * m * n * k >= MIN_PARALLEL_FLOPS ? readyWorkers(pool) : [];
      const blocks = Math.ceil(m / mr);
      const b = ptr(g.b);
      // B's panels, shared out when there are several (with the workers that will take rows)
      const workers = ready.slice(0, Math.max(0, Math.min(ready.length, blocks - 1)));
      const packArgs = (j0: number, j1: number): number[] => [b, g.bks, g.bjs, k, n, packed, j0, j1];
      shareOut(pool, workers, Math.ceil(n / 8), PACK, packArgs, (args) => e.gemm_pack_b(...args));
      const a = ptr(g.a);
      const c = ptr(g.c);
      const bias = g.bias != null ? ptr(g.bias) : 0;
      const beta = g.beta === true ? 1 : 0;
      // rows in blocks of mr
      const rows = (b0: number, b1: number, t: number): number[] => [
        Math.min(m, b0 * mr),
        Math.min(m, b1 * mr),
        n,
        k,
        a,
        g.ars,
        g.aks,
        packed,
        c,
        g.ldc,
        beta,
        bias,
        own + 4 * t * per,
        g.conv != null ? cv : 0,
      ];
      shareOut(pool, ready, blocks, ROWS, rows, (args) => e.gemm_rows(...args));
    },
  };
}

/** An operand of {@link runGemm}: a tensor on the wasm heap and its first element's float offset. */
export interface HeapOperand {
  /** The tensor. */
  t: TensorInfo;
  /** Float offset of element (0, 0) in it (default 0). */
  at?: number;
}

/** {@link GemmArgs} with tensors for views: runGemm allocates the scratch, then takes the views. */
export interface HeapGemm extends Omit<GemmArgs, 'a' | 'b' | 'c' | 'bias' | 'scratch'> {
  /** A. */
  a: HeapOperand;
  /** B. */
  b: HeapOperand;
  /** C. */
  c: HeapOperand;
  /** The bias row (n values), if any. */
  bias?: TensorInfo;
}

/** The {@link HeapGemm} of C [m, n] = A [m, k] B [k, n], all three row-major tensors. */
export function rowMajorGemm(
  m: number,
  n: number,
  k: number,
  a: TensorInfo,
  b: TensorInfo,
  c: TensorInfo,
): HeapGemm {
  return { m, n, k, a: { t: a }, ars: k, aks: 1, b: { t: b }, bks: n, bjs: 1, c: { t: c }, ldc: n };
}

/** One product on the wasm heap through the SIMD module's kernels `k` (see {@link GemmArgs}). */
export function runGemm(backend: KernelBackend, k: GemmKernels, g: HeapGemm): void {
  const s = allocFloat(backend, [k.gemmScratchFloats(g.k, g.n)]);
  // views taken now: the allocation may have grown (replaced) the heap's buffer
  const v = (o: HeapOperand): Float32Array => viewFloat(backend, o.t).subarray(o.at ?? 0);
  k.gemm({
    ...g,
    a: v(g.a),
    b: v(g.b),
    c: v(g.c),
    bias: g.bias != null ? viewFloat(backend, g.bias) : undefined,
    scratch: viewFloat(backend, s.info),
  });
  release(backend, s.info);
}
