// BatchMatMul with batch dimensions broadcast on both sides. tfjs 4.22's own cpu and wasm
// kernels compute [2,1,m,k] x [1,4,k,n] wrongly (they read batch i % batchA and i % batchB)
// and its gradient keeps the broadcast axes; medinets' kernel and gradient get them right,
// with the addon and without, against a float64 reference.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  disableNativeKernels,
  enableNativeKernels,
  nativeKernelsInUse,
  registerTrainingKernels,
  suspendTrainingKernels,
} from '../../src/backend';
import { matmulRef } from './native-reference';

const native = nativeKernelsInUse().active;
const CASES: [number[], number[], boolean, boolean][] = [
  [[2, 1, 3, 4], [1, 4, 4, 5], false, false],
  [[1, 3, 3, 4], [2, 1, 5, 4], false, true],
  [[2, 3, 4, 3], [2, 1, 4, 5], true, false],
  [[3, 1, 4, 3], [1, 2, 5, 4], true, true],
  [[2, 3, 4], [2, 1, 4, 5], false, false],
];

function reference(a: tf.Tensor, b: tf.Tensor, tA: boolean, tB: boolean): Float64Array {
  const pad = (s: number[], r: number): number[] => [...new Array<number>(r - s.length).fill(1), ...s];
  const oa = a.shape.slice(0, -2);
  const ob = b.shape.slice(0, -2);
  const r = Math.max(oa.length, ob.length);
  const m = a.shape[a.rank - (tA ? 1 : 2)] as number;
  const k = a.shape[a.rank - (tA ? 2 : 1)] as number;
  const n = b.shape[b.rank - (tB ? 2 : 1)] as number;
  const args = [
    a.dataSync() as Float32Array,
    b.dataSync() as Float32Array,
    null,
    pad(oa, r),
    pad(ob, r),
  ] as const;
  return matmulRef(...args, m, n, k, tA, tB, 0, 0).v;
}

const maxErr = (got: ArrayLike<number>, want: ArrayLike<number>): number =>
  got.length !== want.length
    ? Infinity
    : Math.max(...Array.from(got, (v, i) => Math.abs(v - (want[i] as number))));

describe.each(['cpu', 'wasm'])('BatchMatMul broadcast on %s', (backend) => {
  afterAll(() => {
    if (native) enableNativeKernels();
  });

  it.each(native ? [true, false] : [false])('with the addon: %s', async (useNative) => {
    await tf.setBackend(backend);
    if (useNative) enableNativeKernels();
    else disableNativeKernels();
    for (const [sa, sb, tA, tB] of CASES) {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
      const c = tf.matMul(a, b, tA, tB);
      expect(maxErr(c.dataSync(), reference(a, b, tA, tB)), `${sa} x ${sb}`).toBeLessThan(1e-5);
      // gradients against the same product on operands repeated to the full batch
      const outer = c.shape.slice(0, -2);
      const r = tf.randomNormal(c.shape, 0, 1, 'float32', 3);
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), r));
      const full = (x: tf.Tensor, y: tf.Tensor): tf.Tensor =>
        f(
          tf.broadcastTo(x, [...outer, ...x.shape.slice(-2)]),
          tf.broadcastTo(y, [...outer, ...y.shape.slice(-2)]),
        );
      const [da, db] = tf.grads(f)([a, b]);
      const [ra, rb] = tf.grads(full)([a, b]);
      expect(da?.shape).toEqual(sa);
      expect(db?.shape).toEqual(sb);
      expect(maxErr((da as tf.Tensor).dataSync(), (ra as tf.Tensor).dataSync())).toBeLessThan(1e-4);
      expect(maxErr((db as tf.Tensor).dataSync(), (rb as tf.Tensor).dataSync())).toBeLessThan(1e-4);
      tf.dispose([a, b, c, r, da as tf.Tensor, db as tf.Tensor, ra as tf.Tensor, rb as tf.Tensor]);
    }
  });

  it('is computed wrongly by the stock kernel (the bug this fixes)', async () => {
    await tf.setBackend(backend);
    suspendTrainingKernels([backend as 'cpu' | 'wasm']);
    try {
      const a = tf.randomNormal([2, 1, 3, 4], 0, 1, 'float32', 1);
      const b = tf.randomNormal([1, 4, 4, 5], 0, 1, 'float32', 2);
      const c = tf.matMul(a, b);
      expect(maxErr(c.dataSync(), reference(a, b, false, false))).toBeGreaterThan(0.1);
      tf.dispose([a, b, c]);
    } finally {
      registerTrainingKernels();
    }
  });
});
