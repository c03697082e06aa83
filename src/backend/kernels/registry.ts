import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelTarget } from './util';
import { guardWasmMalloc } from './wasm-memory';

/** Why medinets registers a kernel: it is absent, the stock one is wrong, or it is slow. */
export type TrainingKernelKind = 'missing' | 'fix' | 'speed';

/** One kernel medinets registers for the wasm, cpu or webgl backend. */
export interface TrainingKernelInfo {
  /** The tfjs kernel name, e.g. `'Conv2DBackpropFilter'`. */
  kernelName: string;
  /** The backend it is registered for. */
  backendName: KernelTarget;
  /** Whether it fills a gap, fixes a wrong stock kernel, or replaces a slow one. */
  kind: TrainingKernelKind;
  /** One line on what the stock kernel lacks and how this one works. */
  why: string;
}

/** A kernel entry: its description and a factory given the stock kernel it replaces, if any. */
export interface KernelEntry extends TrainingKernelInfo {
  /** Build the kernel function; `stock` is the replaced stock kernel (undefined for a gap). */
  make(stock: KernelConfig | undefined): KernelFunc;
}

const entries: KernelEntry[] = [];
const installed = new Map<string, KernelConfig>();
const stockKernels = new Map<string, KernelConfig>();
const suspended = new Set<KernelTarget>();
const key = (name: string, backend: string): string => `${backend}:${name}`;

/** Add kernel entries to the table that {@link ensureTrainingKernels} installs. */
export function addEntries(list: KernelEntry[]): void {
  entries.push(...list);
}

/** The stock kernel medinets replaced, for fallbacks on cases a replacement does not handle. */
export function stockKernel(name: string, backend: KernelTarget): KernelConfig | undefined {
  return stockKernels.get(key(name, backend));
}

/**
 * Install every entry whose backend is present: gaps always (registerKernel keys by backend
 * name, so this works before the backend initialises); replacements only once the stock
 * kernel is registered, unregistering it first and keeping it for fallbacks. Idempotent.
 */
export function ensureTrainingKernels(): void {
  for (const e of entries) {
    if (suspended.has(e.backendName)) continue;
    const k = key(e.kernelName, e.backendName);
    const current = tf.getKernel(e.kernelName, e.backendName);
    const mine = installed.get(k);
    if (current != null && current === mine) continue;
    if (current == null && e.kind !== 'missing' && tf.getKernel('Add', e.backendName) == null) {
      continue; // the backend package is not loaded yet: the anchor's setupFunc retries later
    }
    if (current != null) {
      stockKernels.set(k, current);
      tf.unregisterKernel(e.kernelName, e.backendName);
    }
    const stock = current ?? undefined;
    const config: KernelConfig = {
      kernelName: e.kernelName,
      backendName: e.backendName,
      kernelFunc: e.make(stock),
      // The stock kernel may bind wasm functions in its setup; our fallbacks call it.
      setupFunc: stock?.setupFunc,
      disposeFunc: stock?.disposeFunc,
    };
    tf.registerKernel(config);
    installed.set(k, config);
  }
}

/**
 * Put tfjs' own kernels back for the given backends (default both) and keep them there
 * until {@link registerTrainingKernels} is called again: for comparisons with stock tfjs and for debugging.
 */
export function suspendTrainingKernels(backends: readonly KernelTarget[] = ['wasm', 'cpu']): void {
  for (const be of backends) suspended.add(be);
  for (const e of entries) {
    if (!backends.includes(e.backendName)) continue;
    const k = key(e.kernelName, e.backendName);
    const mine = installed.get(k);
    if (mine == null) continue;
    installed.delete(k);
    if (tf.getKernel(e.kernelName, e.backendName) !== mine) continue;
    tf.unregisterKernel(e.kernelName, e.backendName);
    const stock = stockKernels.get(k);
    if (stock != null) tf.registerKernel(stock);
  }
}

/** Whether {@link suspendTrainingKernels} put tfjs' own kernels back on `backend`. */
export function trainingKernelsSuspended(backend: KernelTarget): boolean {
  return suspended.has(backend);
}

/** Undo {@link suspendTrainingKernels}: medinets' kernels are installed again. */
export function resumeTrainingKernels(): void {
  suspended.clear();
  ensureTrainingKernels();
}

const ANCHOR = 'MedinetsTrainingKernels';

/**
 * Register, for each target backend, a placeholder kernel whose setup hook runs whenever
 * that backend becomes active (tf.setBackend), so replacements are installed even when the
 * backend package was imported after medinets. On wasm the hook also makes a failed tensor
 * allocation throw (see {@link guardWasmMalloc}).
 */
export function registerAnchors(): void {
  for (const backendName of ['wasm', 'cpu'] as const) {
    if (tf.getKernel(ANCHOR, backendName) != null) continue;
    tf.registerKernel({
      kernelName: ANCHOR,
      backendName,
      kernelFunc: () => {
        throw new Error(`${ANCHOR} is a registration hook, not a kernel`);
      },
      setupFunc: (backend) => {
        ensureTrainingKernels();
        if (backendName === 'wasm') guardWasmMalloc(backend);
      },
    });
  }
}

/** Every kernel medinets registers (or will register once its backend loads). */
export function listTrainingKernels(): TrainingKernelInfo[] {
  return entries.map(({ kernelName, backendName, kind, why }) => ({ kernelName, backendName, kind, why }));
}
