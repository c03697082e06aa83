import * as tf from '@tensorflow/tfjs-core';
import { checkIntRange } from '../util/checks';
import {
  disableNativeKernels,
  enableNativeKernels,
  nativeKernelsInUse,
  type NativeKernelsReport,
} from './native';
import { prepareWasmSimd } from './kernels/wasm-simd';
import { enableWasmThreads, wasmThreadsInUse } from './wasm-threads';

/** A backend medinets knows how to load. `'node'` and `'node-gpu'` are native TensorFlow. */
export type BackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu' | 'webgl' | 'webgpu';

/** Options of {@link setupBackend}. */
export interface SetupBackendOptions {
  /**
   * The backend to use. When given, it must load or `setupBackend` throws; when omitted,
   * the fastest backend present is chosen, in the order of {@link DEFAULT_BACKEND_ORDER}.
   */
  prefer?: BackendName;
  /** Print the choice and the reasons others were skipped to the console. Default `false`. */
  verbose?: boolean;
  /**
   * Threads of the wasm backend's XNNPACK pool (see {@link enableWasmThreads}), 1 to 8.
   * Default: 1 when the native kernels are in use (they compute the convolutions and matrix
   * products on their own pool, and idle XNNPACK workers spinning beside them cost ~40%),
   * else every logical core, at most 8. `1` keeps tfjs' single-threaded binary. Has effect
   * only if the wasm backend is chosen and was not initialised before.
   */
  threads?: number;
  /**
   * Use medinets' native addon for convolutions, matrix products, batch-norm training and
   * max-pooling gradients on wasm and cpu, when it loads (see {@link enableNativeKernels}).
   * Default: used wherever it loads, unless `MEDINETS_NATIVE=0` is set or
   * {@link disableNativeKernels} was called. `false` keeps the pure wasm / JavaScript kernels;
   * `true` (re)enables it.
   */
  native?: boolean;
}

/** One backend that was tried and not chosen, with the reason. */
export interface SkippedBackend {
  /** The backend that was skipped. */
  backend: BackendName;
  /** Why: the package is missing, it failed to initialise, or it is not tried on this platform. */
  reason: string;
}

/** What {@link setupBackend} chose. */
export interface BackendReport {
  /** The medinets name of the backend in use. */
  backend: BackendName;
  /** The name tfjs-core knows it by (`tf.getBackend()`), e.g. `'tensorflow'` for tfjs-node. */
  tfBackend: string;
  /** The backends tried before it, with why each was not used. */
  skipped: SkippedBackend[];
  /** Threads the backend computes on: XNNPACK's pool on wasm, 1 on cpu, 0 when unknown (native, GPU). */
  threads: number;
  /** Whether medinets' native kernels are in use on this backend, and why not when they are not. */
  native: NativeKernelsReport;
}

/** The order in which backends are tried in Node when no preference is given: fastest first. */
export const DEFAULT_BACKEND_ORDER: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/**
 * The order in a browser (or worker): webgpu when the app imported its backend and the
 * browser has `navigator.gpu`, else webgl, then wasm, then cpu. A page must import each
 * backend package it wants (bundlers only ship what is imported); none is fetched here.
 */
export const BROWSER_BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

// Read through globalThis: a bundle for the web has no `process` binding at all.
const inNode =
  typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';

interface BackendSpec {
  pkg: string;
  tfName: string;
}

const SPECS: Record<BackendName, BackendSpec> = {
  'node-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  node: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
  webgl: { pkg: '@tensorflow/tfjs-backend-webgl', tfName: 'webgl' },
  webgpu: { pkg: '@tensorflow/tfjs-backend-webgpu', tfName: 'webgpu' },
};

const loaded = new Set<BackendName>();

// A variable specifier keeps bundlers from trying to resolve optional peers at build time.
async function importOptional(pkg: string): Promise<void> {
  const spec = pkg;
  await import(/* @vite-ignore */ /* webpackIgnore: true */ spec);
}

// In a page, bare specifiers do not resolve at run time: the app imports the backend package
// (which registers its factory) and setupBackend only chooses among the registered ones.
function checkBrowserBackend(name: BackendName): void {
  if (name === 'node' || name === 'node-gpu') throw new Error('runs only in Node');
  if (name === 'webgpu' && (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu == null) {
    throw new Error('this browser has no WebGPU (navigator.gpu)');
  }
  if (tf.findBackendFactory(SPECS[name].tfName) == null) {
    throw new Error(`not imported: add import '${SPECS[name].pkg}' to the app`);
  }
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (
    /Cannot find (module|package)|Could not resolve|Failed to (resolve|load url)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND/.test(
      msg,
    )
  ) {
    return 'not installed';
  }
  return msg.split('\n')[0] ?? msg;
}

async function tryBackend(name: BackendName, threads: number | undefined): Promise<void> {
  const spec = SPECS[name];
  if (!inNode) checkBrowserBackend(name);
  else if (!loaded.has(name)) {
    await importOptional(spec.pkg);
    loaded.add(name);
  }
  if (name === 'wasm') await enableWasmThreads({ threads });
  if (tf.findBackendFactory(spec.tfName) == null) {
    throw new Error(
      `${spec.pkg} loaded but registered no '${spec.tfName}' backend (two copies of tfjs-core?)`,
    );
  }
  const ok = await tf.setBackend(spec.tfName);
  if (!ok) throw new Error(`tf.setBackend('${spec.tfName}') failed to initialise`);
  await tf.ready();
  // medinets' SIMD kernels, compiled now: a browser's main thread may not compile them in a kernel
  if (name === 'wasm') await prepareWasmSimd(tf.backend());
  if (name === 'webgpu') avoidSplitKOnSwiftShader(tf.backend());
}

/**
 * tfjs-webgpu's split-K matrix product, its pick for a batch-1 product with K >= 2000 and few
 * output tiles (a Dense layer's input gradient at a small batch), sums wrongly on SwiftShader's
 * WebGPU adapter (Chromium without a GPU): [2,4096] x [512,4096]^T came out off by 280 where the
 * largest value is 234, and VGG11's gradients 6.2e-2 off. On that adapter its small-output-size
 * program, what it picks otherwise for few tiles, is used instead, unless the app chose a
 * program itself (`WEBGPU_MATMUL_PROGRAM_TYPE` not left at tfjs' automatic -1).
 */
function avoidSplitKOnSwiftShader(backend: unknown): void {
  const info = (backend as { adapterInfo?: { architecture?: string } }).adapterInfo;
  if (info?.architecture !== 'swiftshader') return;
  if (tf.env().getNumber('WEBGPU_MATMUL_PROGRAM_TYPE') < 0) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', 2);
}

/**
 * Select the fastest TensorFlow.js backend actually installed and make it current.
 *
 * Tries, in order, `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`,
 * `@tensorflow/tfjs-backend-wasm` and `@tensorflow/tfjs-backend-cpu` (all optional peer
 * dependencies), each by dynamic import, and keeps the first that initialises. On wasm and
 * cpu the training kernels medinets registers at import time are active; on native and GPU
 * backends the built-in kernels are used untouched.
 *
 * In a browser nothing is imported: the page imports the backends it ships, and the first
 * registered one of {@link BROWSER_BACKEND_ORDER} that initialises is kept (webgl, unless the
 * page imports webgpu and the browser has it). wasm there runs threads only when the page is
 * cross-origin isolated (see {@link enableWasmThreads}).On SwiftShader's WebGPU adapter (no GPU), webgpu
 * matrix products avoid tfjs' split-K program, which sums wrongly there.
 *
 * @example
 * ```ts
 * import { setupBackend } from 'medinets';
 * const { backend, skipped } = await setupBackend();           // fastest present
 * await setupBackend({ prefer: 'wasm' });                       // exactly wasm, or throw
 * ```
 * @throws Error naming the package to install when `prefer` is given and cannot be loaded,
 *   or listing every reason when no backend loads at all.
 */
export async function setupBackend(options: SetupBackendOptions = {}): Promise<BackendReport> {
  const { prefer, verbose = false, native } = options;
  let { threads } = options;
  if (prefer !== undefined && !(prefer in SPECS)) {
    throw new Error(
      `setupBackend: option 'prefer' must be one of ${Object.keys(SPECS).join(', ')}; got ${JSON.stringify(prefer)}`,
    );
  }
  if (threads !== undefined) checkIntRange(threads, 1, 8, 'threads', 'setupBackend');
  if (native !== undefined && typeof native !== 'boolean') {
    throw new Error(`setupBackend: option 'native' must be a boolean; got ${JSON.stringify(native)}`);
  }
  if (native === false) disableNativeKernels();
  else if (native === true) enableNativeKernels();
  if (threads === undefined && nativeKernelsInUse().active) threads = 1;
  const skipped: SkippedBackend[] = [];
  if (prefer !== undefined) {
    try {
      await tryBackend(prefer, threads);
    } catch (err) {
      const why = describe(err);
      throw new Error(
        `setupBackend: preferred backend '${prefer}' is unavailable (${why}). ` +
          (why === 'not installed' ? `Install it with: npm install ${SPECS[prefer].pkg}` : ''),
      );
    }
    return finish(
      { backend: prefer, tfBackend: tf.getBackend(), skipped, threads: 0, native: nativeKernelsInUse() },
      verbose,
    );
  }
  for (const name of inNode ? DEFAULT_BACKEND_ORDER : BROWSER_BACKEND_ORDER) {
    try {
      await tryBackend(name, threads);
      return finish(
        { backend: name, tfBackend: tf.getBackend(), skipped, threads: 0, native: nativeKernelsInUse() },
        verbose,
      );
    } catch (err) {
      skipped.push({ backend: name, reason: describe(err) });
    }
  }
  throw new Error(
    'setupBackend: no TensorFlow.js backend could be loaded: ' +
      skipped.map((s) => `${s.backend} (${s.reason})`).join('; ') +
      (inNode
        ? '. Install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-backend-cpu.'
        : ". Import one in the app, e.g. import '@tensorflow/tfjs-backend-webgl'."),
  );
}

function finish(report: BackendReport, verbose: boolean): BackendReport {
  report.threads = report.backend === 'wasm' ? wasmThreadsInUse() : report.backend === 'cpu' ? 1 : 0;
  if (report.backend !== 'wasm' && report.backend !== 'cpu') {
    report.native = { ...report.native, active: false, reason: `not used on the ${report.backend} backend` };
  }
  if (verbose) {
    const why = report.skipped.map((s) => `${s.backend}: ${s.reason}`).join(', ');
    console.log(
      `medinets: using backend '${report.backend}'${report.threads > 1 ? ` on ${report.threads} threads` : ''}` +
        (report.native.active
          ? ` with native kernels (${report.native.simd}, ${report.native.threads} threads)`
          : '') +
        (why ? ` (skipped ${why})` : ''),
    );
  }
  return report;
}
