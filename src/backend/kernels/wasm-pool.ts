/*
 * Worker threads for the wasm SIMD module's matrix products (wasm/gemm.c). tfjs-backend-wasm
 * runs XNNPACK on its own pthread pool, which medinets' module cannot join; these workers
 * each instantiate the module on the same shared memory (the threaded binary's), wait on a
 * control block of their own, and compute the rows of a product the calling thread hands
 * them while it computes its own share. Each C value is computed whole by one thread, in
 * the same order, so results do not depend on how many threads run. A worker that is not
 * ready yet (workers start asynchronously) is skipped: the caller then does its rows.
 */
import { spawnWorker } from './wasm-worker-spawn';

/** Int32 slots of one worker's control block. */
const SLOT = 32;
/** Offsets in a control block. */
const SEQ = 0;
const DONE = 1;
const STATUS = 2;
const READY = 3;
const NARGS = 4;
const ARGS = 5;
/** The most argument words a job has. */
export const MAX_ARGS = SLOT - ARGS;

/**
 * The worker's body (a string, so bundlers and minifiers leave it alone): instantiate the
 * module on the memory, mark ready, then run each job posted in its control block.
 */
export const WORKER_BODY = `function medinetsGemmWorker(d) {
  var c = new Int32Array(d.ctl), s = d.slot * ${SLOT};
  var e = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  Atomics.store(c, s + ${READY}, 1);
  var seen = 0;
  for (;;) {
    Atomics.wait(c, s + ${SEQ}, seen);
    var q = Atomics.load(c, s + ${SEQ});
    if (q === seen) continue;
    seen = q;
    var a = [];
    for (var i = 1; i < c[s + ${NARGS}]; i++) a.push(c[s + ${ARGS} + i]);
    var ok = 1;
    try { e[d.fns[c[s + ${ARGS}]]].apply(null, a); } catch (err) { ok = 2; }
    Atomics.store(c, s + ${STATUS}, ok);
    Atomics.store(c, s + ${DONE}, q);
    Atomics.notify(c, s + ${DONE});
  }
}`;

/** A pool of workers on one shared memory. */
export interface GemmPool {
  /** Workers started (ready or not). */
  readonly size: number;
  /** Jobs posted so far. */
  readonly jobs: number;
  /** Workers ready to take a job now. */
  ready(): number[];
  /**
   * Post a job to worker `w` (of {@link GemmPool.ready}): `args[0]` the export's index, then
   * its arguments; {@link GemmPool.join} waits for it.
   */
  post(w: number, args: number[]): void;
  /** Wait for the jobs posted to `workers`; throws if one failed. */
  join(workers: number[]): void;
}

let mainCanWait: boolean | null = null;

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function canWait(probe: Int32Array): boolean {
  if (mainCanWait == null) {
    try {
      Atomics.wait(probe, 0, 1, 0);
      mainCanWait = true;
    } catch {
      mainCanWait = false;
    }
  }
  return mainCanWait;
}

/**
 * Start `count` workers running the exports `fns` of `module` on `memory` (a shared
 * WebAssembly.Memory); a job's first argument is the index in `fns` of the export it calls.
 * Null when workers cannot be started here.
 */
export function startPool(module: object, memory: object, fns: string[], count: number): GemmPool | null {
  if (count <= 0 || typeof SharedArrayBuffer === 'undefined') return null;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * SLOT * count));
  let size = 0;
  while (size < count && spawnWorker(WORKER_BODY, { module, memory, ctl: ctl.buffer, slot: size, fns }))
    size++;
  if (size === 0) return null;
  const seq = new Array<number>(size).fill(0);
  const wait = canWait(ctl);
  let jobs = 0;
  return {
    size,
    get jobs() {
      return jobs;
    },
    ready() {
      const out: number[] = [];
      for (let w = 0; w < size; w++) if (Atomics.load(ctl, w * SLOT + READY) === 1) out.push(w);
      return out;
    },
    post(w, args) {
      if (args.length > MAX_ARGS)
        throw new Error(`medinets wasm pool: ${args.length} arguments, at most ${MAX_ARGS}`);
      const s = w * SLOT;
      ctl[s + NARGS] = args.length;
      for (let i = 0; i < args.length; i++) ctl[s + ARGS + i] = args[i] as number;
      const q = ((seq[w] as number) % 0x7ffffffe) + 1;
      seq[w] = q;
      jobs++;
      Atomics.store(ctl, s + STATUS, 0);
      Atomics.store(ctl, s + SEQ, q);
      Atomics.notify(ctl, s + SEQ);
    },
    join(workers) {
      let failed = false;
      for (const w of workers) {
        const s = w * SLOT;
        const q = seq[w] as number;
        for (;;) {
          const done = Atomics.load(ctl, s + DONE);
          if (done === q) break;
          if (wait) Atomics.wait(ctl, s + DONE, done, 50);
        }
        if (Atomics.load(ctl, s + STATUS) !== 1) failed = true;
      }
      if (failed) throw new Error('medinets wasm pool: a worker failed to compute its rows of a product');
    },
  };
}
