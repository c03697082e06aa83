// Run by test/backend/wasm-gemm.test.ts in a fresh process whose engine has relaxed SIMD (Node 20
// needs --experimental-wasm-relaxed-simd): the wasm backend's products then fuse their
// multiply-adds (wasm/gemm.c built with MEDINETS_RELAXED). Prints one JSON line: whether the
// relaxed module runs, the products' and a training step's errors against float64 / the cpu
// backend, and whether the workers change any bit.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '../../../src/backend';
import { useWinograd } from '../../../src/backend/kernels/conv2d-wasm';
import { allocFloat, release, viewFloat } from '../../../src/backend/kernels/util';
import { runGemm, useGemmWorkers } from '../../../src/backend/kernels/wasm-gemm';
import { wasmSimd } from '../../../src/backend/kernels/wasm-simd';
import { relErr } from '../kernel-helpers';

await setupBackend({ prefer: 'wasm', threads: 2, native: false });
const be = tf.backend();
const simd = wasmSimd(be);
if (simd == null) throw new Error('no wasm SIMD kernels');
const until = Date.now() + 30_000;
while (simd.gemmWorkers().ready < simd.gemmWorkers().started && Date.now() < until)
  await new Promise((r) => setTimeout(r, 20));

let seed = 7;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 1073741824 - 1;
};
const fill = (n: number): Float32Array => Float32Array.from({ length: n }, rnd);

/** max |C - C64| / max |C64| over a product with a bias, each layout of A. */
function productErr(m: number, n: number, k: number, aT: boolean): { err: number; bits: string } {
  const a = fill(m * k);
  const b = fill(k * n);
  const bias = fill(n);
  const stored = aT
    ? Float32Array.from({ length: m * k }, (_, i) => a[(i % m) * k + Math.floor(i / m)] as number)
    : a;
  const at = tf.tensor(stored);
  const bt = tf.tensor(b);
  const biast = tf.tensor(bias);
  const c = allocFloat(be, [m, n]);
  const run = (): Float32Array => {
    runGemm(be, simd as NonNullable<typeof simd>, {
      m,
      n,
      k,
      a: { t: at },
      ars: aT ? 1 : k,
      aks: aT ? m : 1,
      b: { t: bt },
      bks: n,
      bjs: 1,
      c: { t: c.info },
      ldc: n,
      bias: biast,
    });
    return viewFloat(be, c.info).slice();
  };
  const got = run();
  useGemmWorkers(false);
  const one = run();
  useGemmWorkers(true);
  let err = 0;
  let top = 1e-6;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = bias[j] as number;
      for (let p = 0; p < k; p++) s += (a[i * k + p] as number) * (b[p * n + j] as number);
      err = Math.max(err, Math.abs((got[i * n + j] as number) - s));
      top = Math.max(top, Math.abs(s));
    }
  release(be, c.info);
  tf.dispose([at, bt, biast]);
  const same = Buffer.from(got.buffer).equals(Buffer.from(one.buffer));
  return { err: err / top, bits: same ? 'same' : 'differ' };
}

const products = [
  productErr(300, 72, 700, false),
  productErr(130, 70, 513, true),
  productErr(37, 13, 29, false),
];
// a convolution and its two gradients through the kernels, against the cpu backend
// (a filter of 18K values: the forward takes the module's product too)
const x = tf.randomUniform([2, 12, 12, 32], -1, 1, 'float32', 1);
const w = tf.randomUniform([3, 3, 32, 64], -1, 1, 'float32', 2);
const grads = (): Float32Array[] =>
  tf.tidy(() => {
    const f = (xi: tf.Tensor, wi: tf.Tensor): tf.Scalar =>
      tf.sum(tf.square(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same')));
    const [dx, dw] = tf.grads(f)([x, w]);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
    return [y, dx, dw].map((t) => (t as tf.Tensor).dataSync() as Float32Array);
  });
// inference of a convolution Winograd's F(4x4, 3x3) takes (128 tiles), its products relaxed too
const xw = tf.randomUniform([8, 16, 16, 32], -1, 1, 'float32', 3);
const ww = tf.randomUniform([3, 3, 32, 32], -1, 1, 'float32', 4);
const infer = (): Float32Array =>
  tf.tidy(() => tf.conv2d(xw as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same').dataSync() as Float32Array);
const before = simd.gemmWorkers().jobs;
const onWasm = [...grads(), infer()];
const convJobs = simd.gemmWorkers().jobs - before;
useWinograd(false);
const direct = infer();
useWinograd(true);
const winograd = Buffer.from((onWasm[3] as Float32Array).buffer).equals(Buffer.from(direct.buffer))
  ? 'direct'
  : 'own';
await tf.setBackend('cpu');
const onCpu = [...grads(), infer()];
console.log(
  JSON.stringify({
    relaxed: simd.gemmWorkers().relaxed,
    workers: simd.gemmWorkers().started,
    jobs: simd.gemmWorkers().jobs,
    products,
    convJobs,
    winograd,
    conv: onWasm.map((v, i) => relErr(v, onCpu[i] as Float32Array)),
  }),
);
