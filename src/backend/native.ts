import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkIntRange } from '../util/checks';
import { defaultWasmThreads } from './wasm-threads';

/** The tensors and epsilon of a training batch norm: the input and its factors, then its outputs. */
export type BnTrainArgs = [
  x: Float32Array,
  scale: Float32Array,
  offset: Float32Array,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  invStd: Float32Array,
  epsilon: number,
];

/** The tensors of its gradient: dy and the forward's, then dx, dScale and dOffset. */
export type BnTrainGradArgs = [
  dy: Float32Array,
  x: Float32Array,
  scale: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  dx: Float32Array,
  dScale: Float32Array,
  dOffset: Float32Array,
];

/**
 * The functions of medinets' native addon (`native/*.c`, built to
 * `prebuilds/<platform>-<arch>/medinets.node`). Every array is float32 NHWC / row-major and is
 * read or written in place; `params` packs the shapes (see `native/bindings-conv.c` and
 * `native/bindings.c`). The addon checks every argument before it touches memory and throws an
 * Error "medinets native <function>: <argument> ..." for a bad one. It may be called from
 * several worker_threads at once (one parallel GEMM at a time on its shared pool).
 * @internal
 */
export interface NativeAddon {
  conv2d(
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    params: Int32Array,
    alpha: number,
    /** [2, outChannels]: an inference batch norm's scale then shift, after the bias, before the activation. */
    affine?: Float32Array | null,
  ): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, params: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, params: Int32Array): void;
  depthwiseConv2d(
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    params: Int32Array,
    alpha: number,
    /** [2, outChannels]: an inference batch norm's scale then shift, after the bias, before the activation. */
    affine?: Float32Array | null,
  ): void;
  depthwiseConv2dBackpropInput(
    dy: Float32Array,
    filter: Float32Array,
    dx: Float32Array,
    params: Int32Array,
  ): void;
  depthwiseConv2dBackpropFilter(
    x: Float32Array,
    dy: Float32Array,
    dw: Float32Array,
    params: Int32Array,
  ): void;
  matmul(
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    c: Float32Array,
    params: Int32Array,
    alpha: number,
  ): void;
  /**
   * Batch norm in training; with `cap` (-1: no cap, ReLU; 6: ReLU6) a ReLU fused after y, and
   * `coef` then receives the float64 per-channel a and shift (4c float32 slots) its gradient
   * takes back.
   */
  bnTrain(...args: [...BnTrainArgs, cap?: number, coef?: Float32Array]): void;
  /** Its gradient; through bnTrain's fused ReLU with its cap (-1: none) and the coef it wrote. */
  bnTrainGrad(...args: [...BnTrainGradArgs, cap?: number, coef?: Float32Array]): void;
  bnInfer(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    offset: Float32Array | null,
    y: Float32Array,
    epsilon: number,
    /** A ReLU capped at `cap` (-1: no cap) fused after the normalisation. */
    cap?: number,
  ): void;
  /** y = min(max(x, 0), cap), -0 to +0, NaN kept; cap +inf when omitted (ReLU6: 6). */
  relu(x: Float32Array, y: Float32Array, cap?: number): void;
  /** dx = dy where 0 < x <= cap, else 0, NaN where x is NaN (ReLU: cap Infinity; ReLU6: 6). */
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, cap: number): void;
  /** dx = dy where lo <= x <= hi, else +0 (+0 where x is NaN): ClipByValue's gradient. */
  clipGrad?(dy: Float32Array, x: Float32Array, dx: Float32Array, lo: number, hi: number): void;
  /**
   * dst[d .. d + len) = src[s .. s + len) for each (s, d, len) triplet of `runs` (destinations
   * increasing, not overlapping), split over the pool by whole runs.
   */
  copyRuns?(src: Float32Array, dst: Float32Array, runs: Int32Array): void;
  /** y = a op b elementwise, one length (op 0 add, 1 sub, 2 mul, 3 div), on the pool. */
  binary?(op: number, a: Float32Array, b: Float32Array, y: Float32Array): void;
  /**
   * y[o, m, i] = big[o, m, i] op small[o, i] (smallFirst 1: small op big), params
   * [outer, mid, inner, smallFirst], ops as binary's, on the pool.
   */
  binaryBroadcast?(
    op: number,
    big: Float32Array,
    small: Float32Array,
    y: Float32Array,
    params: Int32Array,
  ): void;
  /** out[p, j] = scale * sum_i x[p, i, j] in float64, params [pre, mid, inner], on the pool. */
  reduceMid?(x: Float32Array, out: Float32Array, params: Int32Array, scale: number): void;
  concat(out: Float32Array, inputs: Float32Array[], outer: number): void;
  split(x: Float32Array, outputs: Float32Array[], outer: number): void;
  /**
   * Max pooling, channels last (params as maxPoolGrad's): the window's largest value, NaN
   * ignored, -Infinity for an empty window, as tfjs' cpu kernel; on the pool.
   */
  maxPool?(x: Float32Array, y: Float32Array, params: Int32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, params: Int32Array): void;
  /**
   * One optimizer step over one variable (native/optimizers.c): `kind` 0 Adam, 1 momentum,
   * 2 RMSprop, 3 centered RMSprop, 4 SGD; inputs [param, grad, state...], outputs
   * [param, state...], scalars as that kind reads them.
   */
  optimizerUpdate(kind: number, inputs: Float32Array[], outputs: Float32Array[], scalars: Float32Array): void;
  /** GFLOP/s of one thread running only FMAs of the GEMM's vector width, best over `seconds` (bench). */
  fmaPeak(seconds: number): number;
  /**
   * Whether the addon tuned glibc's malloc at load to keep freed tensor memory instead of
   * unmapping it (native/memory.c; off with MEDINETS_NATIVE_MALLOC=0).
   */
  mallocTuned?(): boolean;
  setThreads(n: number): number;
  /** 3x3 stride-1 convolutions' forward and dx by Winograd F(4x4, 3x3) (1, the default) or directly (0). */
  setWinograd(on: 0 | 1): void;
  simd(): string;
}

/** Options of {@link enableNativeKernels}. */
export interface NativeKernelsOptions {
  /**
   * Threads of the addon's GEMM pool, 1 to 16. Default: every logical core, at most 8
   * (the same default as the wasm pool; the two never compute at the same time).
   */
  threads?: number;
  /**
   * Path of the `medinets.node` file. Default: the environment variable
   * `MEDINETS_NATIVE_PATH`, else `prebuilds/<platform>-<arch>/medinets.node` in the package.
   */
  path?: string;
}

/** Whether the native kernels are in use, and why not when they are not. */
export interface NativeKernelsReport {
  /** True when convolutions and matrix products on wasm and cpu run in the addon. */
  active: boolean;
  /** The addon file that was loaded or looked for. */
  path: string;
  /**
   * The micro-kernel the CPU runs: `'avx512'`, `'avx2-fma'`, or `'scalar'` (correct but slow).
   * The environment variable `MEDINETS_NATIVE_ISA=avx2` caps it at AVX2 (the two give the
   * same bits).
   */
  simd: string;
  /** Threads of the addon's pool (0 when inactive). */
  threads: number;
  /** Why the addon is not in use (absent file, load error, disabled, no AVX2), when inactive. */
  reason?: string;
}

type State = 'auto' | 'on' | 'off';

let state: State = process.env.MEDINETS_NATIVE === '0' ? 'off' : 'auto';
let addon: NativeAddon | null = null;
let report: NativeKernelsReport = {
  active: false,
  path: '',
  simd: '',
  threads: 0,
  reason: state === 'off' ? 'disabled by MEDINETS_NATIVE=0' : 'not loaded yet',
};

function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** Where the addon is looked for: the given path, the environment, or the package's prebuilds. */
export function nativeAddonPath(path?: string): string {
  if (path !== undefined) return resolve(path);
  const env = process.env.MEDINETS_NATIVE_PATH;
  if (env !== undefined && env !== '') return resolve(env);
  const rel = join('prebuilds', `${process.platform}-${process.arch}`, 'medinets.node');
  let dir = moduleDir();
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(moduleDir(), '..', '..', rel);
}

function load(options: NativeKernelsOptions): NativeKernelsReport {
  const path = nativeAddonPath(options.path);
  const threads = options.threads ?? defaultWasmThreads();
  if (!existsSync(path)) {
    return {
      active: false,
      path,
      simd: '',
      threads: 0,
      reason: `no addon at ${path} (run npm run build:native)`,
    };
  }
  let mod: NativeAddon;
  try {
    mod = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { active: false, path, simd: '', threads: 0, reason: `could not load ${path}: ${msg}` };
  }
  const simd = mod.simd();
  if (simd !== 'avx2-fma' && simd !== 'avx512') {
    return {
      active: false,
      path,
      simd,
      threads: 0,
      reason: 'this CPU lacks AVX2/FMA; the wasm kernels are faster',
    };
  }
  addon = mod;
  return { active: true, path, simd, threads: mod.setThreads(threads) };
}

/**
 * Route the convolutions (forward, dx, dW) and matrix products of the wasm and cpu backends
 * through medinets' native addon: an AVX-512 or AVX2/FMA GEMM (chosen by CPUID) on a thread
 * pool, with the convolutions as implicit GEMMs over the NHWC tensors in place (no copies; on
 * wasm the addon reads and writes the wasm heap directly). About 4x the arithmetic rate of XNNPACK's 128-bit wasm SIMD
 * on the same cores.
 *
 * The addon is used by default wherever it loads (see {@link nativeKernelsInUse}); this call
 * (re)loads it with options and reports why it is unavailable when it is. Without it every
 * kernel falls back to the wasm / JavaScript implementations. The result of every output
 * element is independent of the thread count.
 *
 * @throws Error naming `threads` when it is not an integer from 1 to 16.
 */
export function enableNativeKernels(options: NativeKernelsOptions = {}): NativeKernelsReport {
  if (options.threads !== undefined) checkIntRange(options.threads, 1, 16, 'threads', 'enableNativeKernels');
  if (addon != null && options.path === undefined) {
    state = 'on';
    report = { ...report, active: true, threads: addon.setThreads(options.threads ?? defaultWasmThreads()) };
    delete report.reason;
    return { ...report };
  }
  report = load(options);
  state = report.active ? 'on' : 'off';
  return { ...report };
}

/** Stop using the native addon: the wasm / JavaScript kernels run until {@link enableNativeKernels}. */
export function disableNativeKernels(): void {
  state = 'off';
  report = { ...report, active: false, threads: 0, reason: 'disabled by disableNativeKernels()' };
}

/** Whether the native kernels are in use (loading the addon first if that was not tried yet). */
export function nativeKernelsInUse(): NativeKernelsReport {
  activeAddon();
  return { ...report };
}

/** The addon when native kernels are on, loading it on first use unless disabled. @internal */
export function activeAddon(): NativeAddon | null {
  if (state === 'auto') {
    report = load({});
    state = report.active ? 'on' : 'off';
  }
  return state === 'on' ? addon : null;
}
