// medinets' WebAssembly SIMD kernels (wasm/*.c) on the wasm backend without the addon give
// the same bits as the JS kernels they replace (batch norm in training and its gradient, the
// ReLU gradient) and as tfjs' own optimizer updates; they run in place on the backend's heap,
// write nothing but their outputs, and the shared-memory build (tfjs' threaded binary) computes
// the same as the plain one.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableNativeKernels, enableNativeKernels } from '../../src/backend';
import { useFusedOptimizers } from '../../src/backend/fused-optimizers';
import { BN_TRAIN_GRAD_KERNEL, BN_TRAIN_KERNEL } from '../../src/backend/kernels/batch-norm';
import { RELU_GRAD_KERNEL } from '../../src/backend/kernels/relu-grad';
import { useWasmSimd, wasmSimdStatus } from '../../src/backend/kernels/wasm-simd';
import { SIMD_PLAIN_WASM, SIMD_SHARED_WASM } from '../../src/backend/kernels/wasm-simd-binary';
import { randn } from './kernel-helpers';

beforeAll(async () => {
  disableNativeKernels();
  await tf.setBackend('wasm');
});
afterAll(async () => {
  useWasmSimd(true);
  useFusedOptimizers(true);
  enableNativeKernels();
  await tf.setBackend('cpu');
});

const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function sameBits(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    const y = b[i] as Float32Array;
    expect(x.length).toBe(y.length);
    // NaN payloads may differ; NaN-ness may not
    const clean = (v: Float32Array): Float32Array => v.map((e) => (Number.isNaN(e) ? NaN : e));
    expect(bits(clean(x)).equals(bits(clean(y)))).toBe(true);
  });
}

/** Run `f` with the SIMD kernels on or off; the outputs copied out of the heap. */
function withSimd(on: boolean, f: () => tf.Tensor[]): Float32Array[] {
  useWasmSimd(on);
  try {
    return tf.tidy(() => f().map((t) => Float32Array.from(t.dataSync() as Float32Array)));
  } finally {
    useWasmSimd(true);
  }
}

describe('wasm SIMD kernels', () => {
  it('are active on the wasm backend without the addon', () => {
    const s = wasmSimdStatus(tf.backend());
    expect(s.reason).toBeUndefined();
    expect(s.active).toBe(true);
  });

  // channel counts: 16-wide blocks, 4-wide blocks and single-channel tails, alone and mixed;
  // the last three over several chunks of rows (16384 / c rows each, at least 16), the last
  // chunk partial
  for (const shape of [
    [2, 5, 3, 64],
    [3, 7, 23],
    [6, 4],
    [9, 1],
    [4, 3, 3],
    [1, 35],
    [3, 20, 20, 64],
    [700, 37],
    [40, 1001],
  ]) {
    it(`batch norm in training and its gradient on ${JSON.stringify(shape)}: the JS kernels' bits`, () => {
      const c = shape[shape.length - 1] as number;
      const run = (): tf.Tensor[] => {
        // an offset mean and spread, so the float64 sums matter
        const x = tf.add(tf.mul(tf.tensor(randn(shape, 1).data, shape), 3), 20);
        const scale = tf.tensor(randn([c], 2).data);
        const offset = tf.tensor(randn([c], 3).data);
        const dy = tf.tensor(randn(shape, 4).data, shape);
        const fwd = tf
          .engine()
          .runKernel(BN_TRAIN_KERNEL, { x, scale, offset }, { epsilon: 1e-3 }) as tf.Tensor[];
        const [, mean, , invStd] = fwd as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const grad = tf
          .engine()
          .runKernel(BN_TRAIN_GRAD_KERNEL, { dy, x, scale, mean, invStd }, {}) as tf.Tensor[];
        return [...fwd, ...grad];
      };
      const simd = withSimd(true, run);
      const js = withSimd(false, run);
      sameBits(simd, js);
      // and they are a batch norm: mean ~ 20, y with the offset as its mean
      expect(Math.abs((simd[1] as Float32Array)[0]! - 20)).toBeLessThan(5);
    });
  }

  it('ReLU and ReLU6 gradients: the JS kernel bits, NaN, zeros, the cap and infinities included', () => {
    const special = [0, -0, 6, 6.0000005, 5.9999995, NaN, -1, 1e-30, Infinity, -Infinity];
    const x = Float32Array.from([...randn([1001], 5).data].map((v) => v * 4).concat(special));
    const dy = Float32Array.from([...randn([x.length], 6).data].map((v, i) => (i % 5 === 0 ? Infinity : v)));
    for (const cap of [Infinity, 6]) {
      const run = (): tf.Tensor[] => [
        tf
          .engine()
          .runKernel(RELU_GRAD_KERNEL, { dy: tf.tensor1d(dy), x: tf.tensor1d(x) }, { cap }) as tf.Tensor,
      ];
      sameBits(withSimd(true, run), withSimd(false, run));
    }
  });

  const MAKERS: Record<string, () => tf.Optimizer> = {
    adam: () => tf.train.adam(0.01),
    adamCustom: () => tf.train.adam(0.003, 0.8, 0.95, 1e-4),
    momentum: () => tf.train.momentum(0.05, 0.9),
    nesterov: () => tf.train.momentum(0.05, 0.7, true),
    rmsprop: () => tf.train.rmsprop(0.01, 0.8, 0.5, 1e-6),
    rmspropCentered: () => tf.train.rmsprop(0.01, 0.9, 0.3, 1e-6, true),
    sgd: () => tf.train.sgd(0.1),
  };
  for (const [name, make] of Object.entries(MAKERS)) {
    it(`${name}: the SIMD update gives tfjs' own update's bits, and runs none of tfjs' kernels`, async () => {
      const run = async (fused: boolean): Promise<{ out: Float32Array[]; kernels: number }> => {
        useFusedOptimizers(fused);
        // sizes not multiples of 4: the vector loop and its scalar tail
        const vars = [[5, 3], [17], [2, 2, 3, 4]].map((s, i) =>
          tf.variable(tf.tensor(randn(s, 10 + i).data, s), true, `simd-opt-${name}-${i}-${String(fused)}`),
        );
        const opt = make();
        let kernels = 0;
        for (let k = 0; k < 4; k++) {
          const grads = vars.map((v, i) => ({
            name: v.name,
            tensor: tf.tensor(randn(v.shape, 100 * k + i).data, v.shape),
          }));
          const p = await tf.profile(() => opt.applyGradients(grads));
          kernels = p.kernels.filter((e) => ['Sqrt', 'RealDiv', 'Square'].includes(e.name)).length;
          tf.dispose(grads.map((g) => g.tensor));
        }
        const out = [...vars, ...(await opt.getWeights()).map((w) => w.tensor)].map((t) =>
          Float32Array.from(t.dataSync() as Float32Array),
        );
        opt.dispose();
        tf.dispose(vars);
        useFusedOptimizers(true);
        return { out, kernels };
      };
      const stock = await run(false);
      const fused = await run(true);
      sameBits(fused.out, stock.out);
      expect(fused.kernels).toBe(0);
    });
  }

  it('write only their outputs: tensors allocated around them keep their bits', () => {
    const shape = [4, 6, 20];
    const guards = Array.from({ length: 8 }, (_, i) => tf.tensor(randn([37], 50 + i).data));
    const before = guards.map((g) => Float32Array.from(g.dataSync() as Float32Array));
    withSimd(true, () => {
      const x = tf.tensor(randn(shape, 7).data, shape);
      const s = tf.ones([20]);
      const o = tf.zeros([20]);
      const out = tf
        .engine()
        .runKernel(BN_TRAIN_KERNEL, { x, scale: s, offset: o }, { epsilon: 1e-3 }) as tf.Tensor[];
      return [
        tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: x, x: out[0] as tf.Tensor }, { cap: 6 }) as tf.Tensor,
      ];
    });
    sameBits(
      guards.map((g) => Float32Array.from(g.dataSync() as Float32Array)),
      before,
    );
    tf.dispose(guards);
  });
});

describe('the wasm SIMD modules', () => {
  // the WebAssembly JS API as used here (the project's lib has no DOM types)
  interface Api {
    Module: { new (b: Uint8Array): object; imports(m: object): unknown[] };
    Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBuffer };
    Instance: new (m: object, imports: object) => { exports: object };
  }
  const WA = (globalThis as unknown as { WebAssembly: Api }).WebAssembly;
  const bytes = (b64: string): Uint8Array => Uint8Array.from(Buffer.from(b64, 'base64'));

  /** Section ids of a module, walking the binary format's (id, LEB128 size) headers. */
  function sections(b: Uint8Array): number[] {
    const ids: number[] = [];
    for (let p = 8; p < b.length;) {
      const id = b[p++] as number;
      let size = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = b[p++] as number;
        size += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) break;
      }
      ids.push(id);
      p += size;
    }
    return ids;
  }

  it('import the memory and nothing else, and carry no data segment', () => {
    for (const b64 of [SIMD_PLAIN_WASM, SIMD_SHARED_WASM]) {
      const m = new WA.Module(bytes(b64));
      expect(WA.Module.imports(m)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      expect(sections(bytes(b64))).not.toContain(11); // data
    }
  });

  it('the shared-memory build computes what the plain one does', () => {
    const run = (b64: string, shared: boolean): Float32Array => {
      const memory = new WA.Memory({ initial: 2, maximum: 65536, shared });
      const e = new WA.Instance(new WA.Module(bytes(b64)), { env: { memory } }).exports as Record<
        string,
        (...a: number[]) => void
      >;
      const n = 1000;
      const heap = new Float32Array(memory.buffer);
      heap.set(randn([n], 8).data, 0);
      heap.set(randn([n], 9).data, n);
      e.relu_grad!(n * 4, 0, 2 * n * 4, n, 6);
      e.sgd!(0, n * 4, 3 * n * 4, n, -0.1);
      return Float32Array.from(heap.subarray(2 * n, 4 * n));
    };
    sameBits([run(SIMD_SHARED_WASM, true)], [run(SIMD_PLAIN_WASM, false)]);
  });
});
