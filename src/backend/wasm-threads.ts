import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { checkIntRange } from '../util/checks';

/** Options of {@link enableWasmThreads}. */
export interface WasmThreadsOptions {
  /**
   * Threads of XNNPACK's pool, the calling thread included, 1 to 8. Default: the number of
   * logical cores (`os.availableParallelism()`), at most 8.
   */
  threads?: number;
  /**
   * Folder under which the pthread worker script the threaded binary needs in Node is
   * written. Default `os.tmpdir()`. The script goes into a fresh private directory made
   * there (`fs.mkdtemp`, mode 0700, so no other user can plant or swap a file in it); it is
   * never reused from an earlier run and is removed when the process exits.
   */
  cacheDir?: string;
}

/** What {@link enableWasmThreads} did. */
export interface WasmThreadsReport {
  /** Threads XNNPACK will use once the wasm backend initialises (1 = single-threaded). */
  threads: number;
  /** Why threads are not used, when `threads` is 1 and more were asked for. */
  reason?: string;
}

interface WasmModule {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

let enabled: number | null = null;
let wasmModule: WasmModule | null = null;

/** The default thread count: every logical core, at most 8 (the worker pool of the binary). */
export function defaultWasmThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, n));
}

function isNode(): boolean {
  return typeof process === 'object' && typeof process.versions?.node === 'string';
}

/** True when the wasm backend has already been created in this process. */
function wasmInitialised(): boolean {
  const registry = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  return registry != null && 'wasm' in registry;
}

/**
 * Write the pthread worker script of tfjs-backend-wasm's threaded SIMD binary to a file and
 * return its path. The package embeds the script as a string and, in the browser, starts it
 * from a Blob URL; Node's `Worker` takes only paths and `data:`/`file:` URLs (the
 * `ERR_WORKER_PATH` of tfjs issue 3830). The script's `URL.createObjectURL` is pointed at the
 * package's own glue file, which the worker evaluates in place of the Blob it is sent.
 */
function writeWorkerScript(req: NodeRequire, base: string): string {
  const gluePath = req.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = req(
    '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js',
  ) as { wasmWorkerContents: string };
  // The embedded script carries real newlines inside string literals; tfjs escapes them too.
  const body = wasmWorkerContents.replace(/\n/g, '\\n');
  const text =
    `// medinets: pthread worker of @tensorflow/tfjs-backend-wasm for Node (generated).\n` +
    `URL.createObjectURL = function () { return ${JSON.stringify(gluePath)}; };\n` +
    `URL.revokeObjectURL = function () {};\n` +
    body;
  // Issue 18: a predictable name in a shared temp dir, reused when present, let another user
  // plant code that every pthread worker then ran. A directory made by mkdtemp is new, owned
  // by this user and 0700, so nothing in it can have been written by anyone else; 'wx' makes
  // the write fail rather than follow anything already there.
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'medinets-wasm-'));
  const file = join(dir, 'pthread-worker.cjs');
  writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return file;
}

/**
 * Make the wasm backend run XNNPACK (convolutions, matrix products, and so the training
 * kernels medinets builds on them) on several threads in Node.
 *
 * tfjs-backend-wasm ships a threaded SIMD binary but never loads it in Node: its feature
 * flag answers "no threads" there, its pthread workers start from Blob URLs that Node's
 * `Worker` rejects, and the binary caps the pool at half the logical cores (so 1 on a
 * 2-core machine). This sets the flag, gives the workers a script file, and lifts the cap
 * for the moment the binary initialises, then restores what it changed. Call it before
 * the wasm backend is first used; {@link setupBackend} does, with its `threads` option.
 * In the browser it only sets the thread count (threads there need cross-origin isolation).
 *
 * @returns the thread count that will be used, or 1 with the reason when threads are not
 *   possible (the backend already initialised single-threaded, or the package missing).
 * @throws Error when `threads` is not an integer from 1 to 8.
 */
export async function enableWasmThreads(options: WasmThreadsOptions = {}): Promise<WasmThreadsReport> {
  const threads = options.threads ?? defaultWasmThreads();
  checkIntRange(threads, 1, 8, 'threads', 'enableWasmThreads');
  if (enabled != null) return { threads: enabled };
  let wasm: WasmModule;
  try {
    const spec = '@tensorflow/tfjs-backend-wasm';
    wasm = (await import(/* @vite-ignore */ spec)) as unknown as WasmModule;
  } catch {
    return { threads: 1, reason: '@tensorflow/tfjs-backend-wasm is not installed' };
  }
  if (wasmInitialised()) {
    return {
      threads: 1,
      reason: 'the wasm backend was initialised before enableWasmThreads was called',
    };
  }
  wasmModule = wasm;
  wasm.setThreadsCount(threads);
  if (threads === 1 || !isNode()) {
    enabled = threads;
    return { threads };
  }
  const req = createRequire(import.meta.url);
  const workerFile = writeWorkerScript(req, options.cacheDir ?? os.tmpdir());
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wrapFactory(workerFile, threads);
  enabled = threads;
  return { threads };
}

interface EngineRegistry {
  registryFactory: Record<string, { priority: number } | undefined>;
}

/**
 * Re-register the wasm backend's factory so that, while it runs, Node's `os.cpus()` reports
 * `2 * threads` cores (the binary's cap is half of them) and `URL.createObjectURL` turns the
 * worker Blob into the script file. Both are restored as soon as the binary is up.
 */
function wrapFactory(workerFile: string, threads: number): void {
  const factory = tf.findBackendFactory('wasm');
  if (factory == null) return;
  const entry = (tf.engine() as unknown as EngineRegistry).registryFactory.wasm;
  const priority = entry?.priority ?? 2;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const cpus = os.cpus;
      const createObjectURL = URL.createObjectURL;
      os.cpus = () => {
        const one = cpus()[0] as os.CpuInfo;
        return Array.from({ length: 2 * threads }, () => one);
      };
      URL.createObjectURL = (obj: Parameters<typeof URL.createObjectURL>[0]): string =>
        obj instanceof Blob && obj.type === 'application/javascript' ? workerFile : createObjectURL(obj);
      try {
        const backend = await factory();
        unrefPthreads(backend);
        return backend;
      } finally {
        os.cpus = cpus;
        URL.createObjectURL = createObjectURL;
      }
    },
    priority,
  );
}

interface NodeWorkerLike {
  ref(): void;
  unref(): void;
}
interface PThreadPool {
  unusedWorkers?: NodeWorkerLike[];
  runningWorkers?: NodeWorkerLike[];
}

/**
 * XNNPACK's pool threads never end, and emscripten `ref()`s a Node worker while its pthread
 * runs, so a process that used the threaded backend would never exit. The pool only works
 * while the main thread waits on it, so the workers need not keep the event loop alive.
 */
function unrefPthreads(backend: unknown): void {
  const pool = (backend as { wasm?: { PThread?: PThreadPool } }).wasm?.PThread;
  if (pool == null) return;
  for (const w of [...(pool.unusedWorkers ?? []), ...(pool.runningWorkers ?? [])]) {
    w.ref = () => undefined;
    w.unref();
  }
}

/** The threads the initialised wasm backend actually uses (1 before it is initialised or when it is not). */
export function wasmThreadsInUse(): number {
  if (!wasmInitialised() || wasmModule == null) return 1;
  return wasmModule.getThreadsCount();
}
