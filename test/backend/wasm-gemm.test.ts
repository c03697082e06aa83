// The wasm SIMD module's matrix product (wasm/gemm.c through wasm-gemm.ts) and its workers
// (wasm-pool.ts) on the wasm backend without the addon: every operand layout, edges that are no
// multiple of the register block, several k blocks, beta and bias, against the cpu backend's
// product; the same bits as XNNPACK's BatchMatMul (same terms, same order, one thread or two);
// the same bits whether the workers take rows or not; and A read straight from a convolution's
// input (both modes) against the cpu convolution and its filter gradient. Nothing leaks.
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableNativeKernels } from '../../src/backend';
import { allocFloat, release, viewFloat } from '../../src/backend/kernels/util';
import { convGeometry } from '../../src/backend/kernels/wasm-filter-grad';
import { runGemm, useGemmWorkers, type HeapGemm } from '../../src/backend/kernels/wasm-gemm';
import type { SimdKernels } from '../../src/backend/kernels/wasm-simd';
import { SIMD_RELAXED_PLAIN_WASM } from '../../src/backend/kernels/wasm-simd-binary';
import { plainWasmWithWorkers } from './wasm-workers';
import { randn as randnInput, relErr, runKernel } from './kernel-helpers';

/** Seeded normal values as float32. */
const randn = (shape: number[], seed: number): { shape: number[]; data: Float32Array } => {
  const r = randnInput(shape, seed);
  return { shape: r.shape, data: Float32Array.from(r.data) };
};

let simd: SimdKernels;

beforeAll(async () => {
  simd = await plainWasmWithWorkers();
});
afterAll(async () => {
  useGemmWorkers(true);
  enableNativeKernels();
  await tf.setBackend('cpu');
});

const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** C = A B (+ C0 or + bias) in float64 from row-major A [m, k], B [k, n]. */
function reference(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  start?: (i: number, j: number) => number,
): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = start?.(i, j) ?? 0;
      for (let p = 0; p < k; p++) s += (a[i * k + p] as number) * (b[p * n + j] as number);
      c[i * n + j] = s;
    }
  return c;
}

/** Run one product on the heap: A, B as given (storage order by the flags), C filled with c0. */
function product(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  opts: { aT?: boolean; bT?: boolean; beta?: Float32Array; bias?: Float32Array },
): Float32Array {
  const be = tf.backend();
  const store = (v: Float32Array, rows: number, cols: number, t: boolean): tf.Tensor => {
    if (!t) return tf.tensor(v, [rows, cols]);
    const out = new Float32Array(v.length);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) out[j * rows + i] = v[i * cols + j] as number;
    return tf.tensor(out, [cols, rows]);
  };
  const at = store(a, m, k, opts.aT === true);
  const bt = store(b, k, n, opts.bT === true);
  const bias = opts.bias != null ? tf.tensor(opts.bias) : null;
  const c = allocFloat(be, [m, n]);
  viewFloat(be, c.info).set(opts.beta ?? new Float32Array(m * n).fill(NaN));
  const g: HeapGemm = {
    m,
    n,
    k,
    a: { t: at },
    ars: opts.aT === true ? 1 : k,
    aks: opts.aT === true ? m : 1,
    b: { t: bt },
    bks: opts.bT === true ? 1 : n,
    bjs: opts.bT === true ? k : 1,
    c: { t: c.info },
    ldc: n,
    beta: opts.beta != null,
    bias: bias ?? undefined,
  };
  runGemm(be, simd, g);
  const out = viewFloat(be, c.info).slice();
  release(be, c.info);
  tf.dispose([at, bt, ...(bias != null ? [bias] : [])]);
  return out;
}

describe('the wasm SIMD matrix product', () => {
  // m and n off the 4 / 5-row and 8-column blocks; k past one 256-deep block; big enough to
  // be shared with the workers (>= 4 MFLOP) and small ones that are not
  const shapes = [
    [1, 1, 1],
    [3, 5, 7],
    [37, 13, 29],
    [64, 64, 300],
    [130, 70, 513],
    [257, 96, 600],
  ] as const;
  shapes.forEach(([m, n, k], i) => {
    it(`${m} x ${k} times ${k} x ${n}, every layout, beta and bias, against float64`, () => {
      const a = randn([m, k], 10 + i).data;
      const b = randn([k, n], 20 + i).data;
      const c0 = randn([m, n], 30 + i).data;
      const bias = randn([n], 40 + i).data;
      const before = tf.memory().numTensors;
      const buffers = tf.backend().numDataIds();
      const plain = reference(a, b, m, n, k);
      const tol = 1e-5;
      for (const aT of [false, true])
        for (const bT of [false, true])
          expect(relErr(product(m, n, k, a, b, { aT, bT }), plain)).toBeLessThan(tol);
      const withC = reference(a, b, m, n, k, (r, j) => c0[r * n + j] as number);
      expect(relErr(product(m, n, k, a, b, { beta: c0 }), withC)).toBeLessThan(tol);
      const withBias = reference(a, b, m, n, k, (_, j) => bias[j] as number);
      expect(relErr(product(m, n, k, a, b, { bias }), withBias)).toBeLessThan(tol);
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.backend().numDataIds()).toBe(buffers);
    });
  });

  it('k = 0 leaves the start: zeros, C or the bias', () => {
    const bias = new Float32Array([1, 2, 3]);
    const c0 = new Float32Array([4, 5, 6, 7, 8, 9]);
    const none = new Float32Array(0);
    expect(Array.from(product(2, 3, 0, none, none, {}))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(product(2, 3, 0, none, none, { beta: c0 }))).toEqual(Array.from(c0));
    expect(Array.from(product(2, 3, 0, none, none, { bias }))).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it("XNNPACK's BatchMatMul bits, with the workers and without", () => {
    const [m, n, k] = [300, 72, 700]; // 30 MFLOP: split between the threads
    const a = randn([m, k], 50).data;
    const b = randn([k, n], 51).data;
    const at = tf.tensor(a, [m, k]);
    const bt = tf.tensor(b, [k, n]);
    const xnn = tf.matMul(at, bt);
    const want = bits(xnn.dataSync() as Float32Array);
    tf.dispose([at, bt, xnn]);
    const jobs = simd.gemmWorkers().jobs;
    expect(bits(product(m, n, k, a, b, {}))).toBe(want);
    // each worker packed panels of B (9 panels) and took rows
    const posted = jobs + 2 * simd.gemmWorkers().started;
    expect(simd.gemmWorkers().jobs).toBe(posted);
    useGemmWorkers(false);
    try {
      expect(bits(product(m, n, k, a, b, {}))).toBe(want);
      expect(simd.gemmWorkers().jobs).toBe(posted); // none now
    } finally {
      useGemmWorkers(true);
    }
  });

  it("measures its register block's rate (the bench's peak), and names the scratch it lacks", () => {
    const be = tf.backend();
    const t = allocFloat(be, [4096]);
    const v = viewFloat(be, t.info);
    const gf = simd.gemmPeak(2000, v);
    expect(Number.isFinite(gf) && gf > 0.1).toBe(true);
    expect(() => simd.gemmPeak(1, v.subarray(0, 100))).toThrow(
      /gemmPeak: scratch has 100 floats, needs 3104/,
    );
    release(be, t.info);
  });

  it('names the scratch it lacks', () => {
    const be = tf.backend();
    const t = allocFloat(be, [64]);
    const v = viewFloat(be, t.info);
    const g = { m: 8, n: 8, k: 8, a: v, ars: 8, aks: 1, b: v, bks: 8, bjs: 1, c: v, ldc: 8 };
    expect(() => simd.gemm({ ...g, scratch: v.subarray(0, 4) })).toThrow(
      /medinets wasm gemm: scratch has 4 floats, needs \d+/,
    );
    release(be, t.info);
  });
});

describe("the wasm SIMD product reading a convolution's input", () => {
  const cases = [
    { x: [2, 9, 7, 4], f: [3, 3, 4, 8], s: [1, 1], pad: 'same' },
    { x: [2, 11, 10, 3], f: [3, 2, 3, 12], s: [2, 2], pad: 'valid' },
    { x: [1, 12, 12, 1], f: [7, 7, 1, 16], s: [2, 2], pad: 'same' },
    { x: [2, 12, 12, 32], f: [3, 3, 32, 40], s: [1, 1], pad: 'same' }, // shared with the workers
    { x: [2, 6, 6, 6], f: [1, 1, 6, 9], s: [1, 1], pad: 'valid' },
  ] as const;
  cases.forEach((c, i) => {
    const label = `x${c.x.join('x')} f${c.f.join('x')} s${c.s.join('')} ${c.pad}`;
    it(`P W and P^T dy against the cpu convolution and filter gradient ${label}`, async () => {
      const info = tf.backend_util.computeConv2DInfo([...c.x], [...c.f], [...c.s], 1, c.pad);
      const x = randn([...c.x], 60 + i);
      const f = randn([...c.f], 70 + i);
      const dy = randn(info.outShape, 80 + i);
      const fa = { strides: [...c.s], pad: c.pad, dilations: [1, 1], dataFormat: 'NHWC' };
      const ya = await runKernel('cpu', 'Conv2D', { x, filter: f }, fa, true);
      const bpf = { strides: [...c.s], pad: c.pad, dataFormat: 'NHWC', filterShape: [...c.f] };
      const dwa = await runKernel('cpu', 'Conv2DBackpropFilter', { x, dy }, bpf, true);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const be = tf.backend();
      const [kh, kw, cin, cout] = c.f;
      const k = kh * kw * cin;
      const m = info.batchSize * info.outHeight * info.outWidth;
      const xt = tf.tensor(x.data, x.shape);
      const ft = tf.tensor(f.data, f.shape);
      const dyt = tf.tensor(dy.data, dy.shape);
      const run = (mode: 1 | 2): Float32Array => {
        const rows = mode === 1 ? m : k;
        const c2 = allocFloat(be, [rows, cout]);
        const b = mode === 1 ? ft : dyt;
        const g = {
          a: { t: xt },
          ars: 0,
          aks: 0,
          conv: convGeometry(info, mode),
          b: { t: b },
          bks: cout,
          bjs: 1,
        };
        runGemm(be, simd, { ...g, m: rows, n: cout, k: mode === 1 ? k : m, c: { t: c2.info }, ldc: cout });
        const out = viewFloat(be, c2.info).slice();
        release(be, c2.info);
        return out;
      };
      expect(relErr(run(1), ya.values)).toBeLessThan(1e-5);
      expect(relErr(run(2), dwa.values)).toBeLessThan(1e-5);
      // the workers take rows of the larger ones: the bits do not change without them
      const jobs = simd.gemmWorkers().jobs;
      const both = [bits(run(1)), bits(run(2))];
      if (i === 3) expect(simd.gemmWorkers().jobs).toBeGreaterThan(jobs);
      useGemmWorkers(false);
      try {
        expect([bits(run(1)), bits(run(2))]).toEqual(both);
      } finally {
        useGemmWorkers(true);
      }
      tf.dispose([xt, ft, dyt]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('the relaxed-SIMD product (fused multiply-adds)', () => {
  it('runs where the engine has relaxed SIMD, within float32 rounding of float64, the same bits with and without workers', () => {
    // Node 20 has relaxed SIMD behind a flag (on by default from Node 22, Chrome 114)
    const wa = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    const relaxed = wa.validate(Buffer.from(SIMD_RELAXED_PLAIN_WASM, 'base64'));
    const child = fileURLToPath(new URL('./child/wasm-relaxed-child.ts', import.meta.url));
    const flags = relaxed ? [] : ['--experimental-wasm-relaxed-simd'];
    const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0); // also fails when the workers keep the process alive
    const line =
      r.stdout
        .trim()
        .split('\n')
        .find((l) => l.startsWith('{')) ?? '';
    const out = JSON.parse(line) as {
      relaxed: boolean;
      workers: number;
      jobs: number;
      convJobs: number;
      products: { err: number; bits: string }[];
      conv: number[];
      winograd: string;
    };
    expect(out.relaxed).toBe(true);
    expect(out.workers).toBeGreaterThanOrEqual(1);
    expect(out.jobs).toBeGreaterThan(0);
    expect(out.convJobs).toBeGreaterThan(0); // the convolution's products ran through it
    for (const p of out.products) {
      expect(p.err).toBeLessThan(1e-5);
      expect(p.bits).toBe('same');
    }
    // y, dx, dW, and an inference by Winograd's F(4x4, 3x3), against the cpu backend
    expect(out.conv).toHaveLength(4);
    for (const e of out.conv) expect(e).toBeLessThan(1e-5);
    expect(out.winograd).toBe('own'); // its bits are not the direct product's: Winograd ran
  });
});
