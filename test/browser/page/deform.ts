// Runs in Chromium (bundled by test/browser/harness.ts): deformable convolution v2 on webgl
// (the tiled GLSL kernels) against torchvision's fixture and against the cpu kernels, forward
// and every gradient, on tiles small enough to cross tile borders; then the 256x256x64 batch-8
// case, forward and one gradient step, timed. Reports to the Node test through window.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setupBackend } from '../../../src/backend';
import { deformConv2d } from '../../../src/layers';
import { deformConv2dTiled } from '../../../src/layers/deform-conv-tiled';
import { convOutSize } from '../../../src/layers/deform-conv-op';
import fixture from '../../fixtures/layers/deform_conv.json';

interface Arr {
  shape: number[];
  data: number[];
}
interface Opts {
  strides: [number, number];
  padding: [number, number];
  dilation: [number, number];
  offsetGroups: number;
}
interface Case {
  name: string;
  options: Opts;
  x: Arr;
  offset: Arr;
  mask?: Arr | null;
  kernel: Arr;
  bias?: Arr | null;
  y?: Arr;
  dy?: Arr;
  dx?: Arr;
  dOffset?: Arr;
  dMask?: Arr;
  dKernel?: Arr;
  dBias?: Arr;
}

/** Output and gradients (x, offset, kernel[, mask][, bias]) of sum(y * dy). */
function run(c: Case, dyArr: Arr, tile: number | null): Float32Array[] {
  return tf.tidy(() => {
    const t = (a: Arr): tf.Tensor => tf.tensor(a.data, a.shape);
    const ins = [t(c.x), t(c.offset), t(c.kernel)];
    if (c.mask) ins.push(t(c.mask));
    if (c.bias) ins.push(t(c.bias));
    const dy = t(dyArr);
    const f = (...a: tf.Tensor[]): tf.Tensor => {
      const [x, o, k] = a as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const m = c.mask ? (a[3] as tf.Tensor4D) : null;
      const b = c.bias ? (a[c.mask ? 4 : 3] as tf.Tensor1D) : null;
      if (tile == null) return deformConv2d(x, o, m, k, b, c.options);
      const [n, h, w, cin] = x.shape;
      const [kh, kw] = k.shape;
      const { strides: s, padding: p, dilation: d, offsetGroups: groups } = c.options;
      const g = {
        n,
        h,
        w,
        cin,
        kh,
        kw,
        groups,
        ho: convOutSize(h, kh, s[0], p[0], d[0]),
        wo: convOutSize(w, kw, s[1], p[1], d[1]),
        sh: s[0],
        sw: s[1],
        ph: p[0],
        pw: p[1],
        dh: d[0],
        dw: d[1],
      };
      return deformConv2dTiled(g, x, o, m, k, b, tile);
    };
    const y = f(...ins);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dy)))(ins);
    return [y, ...grads].map((v) => v.dataSync() as Float32Array);
  });
}

/** max |a - b| / max(1, max |b|) over each pair of arrays, the worst of them. */
function diff(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let worst = 0;
  a.forEach((ai, k) => {
    const bk = b[k] as ArrayLike<number>;
    let d = ai.length === bk.length ? 0 : Infinity;
    let scale = 1;
    for (let i = 0; i < ai.length; i++) {
      d = Math.max(d, Math.abs((ai[i] as number) - (bk[i] as number)));
      scale = Math.max(scale, Math.abs(bk[i] as number));
    }
    worst = Math.max(worst, Number.isFinite(d) ? d / scale : Infinity);
  });
  return worst;
}

/** A seeded case with offsets of a few pixels (some far outside the image). */
function randomCase(
  name: string,
  n: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
  o: Opts,
  mask: boolean,
): Case {
  const [kh, kw] = [3, 3];
  const ho = convOutSize(h, kh, o.strides[0], o.padding[0], o.dilation[0]);
  const wo = convOutSize(w, kw, o.strides[1], o.padding[1], o.dilation[1]);
  const K = kh * kw;
  const arr = (shape: number[], seed: number, scale: number): Arr => ({
    shape,
    data: Array.from(tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale)).dataSync()),
  });
  const off = arr([n, ho, wo, 2 * o.offsetGroups * K], 2, 2.5);
  for (let i = 0; i < off.data.length; i += 97) off.data[i] = 40; // far outside
  return {
    name,
    options: o,
    x: arr([n, h, w, cin], 1, 1),
    offset: off,
    mask: mask
      ? {
          shape: [n, ho, wo, o.offsetGroups * K],
          data: arr([n, ho, wo, o.offsetGroups * K], 3, 1).data.map((v) => 1 / (1 + Math.exp(-v))),
        }
      : null,
    kernel: arr([kh, kw, cin, cout], 4, 0.3),
    bias: arr([cout], 5, 0.1),
    dy: arr([n, ho, wo, cout], 6, 1),
  };
}

interface Row {
  name: string;
  vs: string;
  forward: number;
  grads: number;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const glBackends = new Set<string>();
  const one: Opts = { strides: [1, 1], padding: [1, 1], dilation: [1, 1], offsetGroups: 1 };
  const random = [
    randomCase('random 2x13x11x6 s1 p1 mask', 2, 13, 11, 6, 5, one, true),
    randomCase(
      'random 1x12x9x4 s2 p1 d2 g2 nomask',
      1,
      12,
      9,
      4,
      3,
      { strides: [2, 2], padding: [1, 1], dilation: [2, 2], offsetGroups: 2 },
      false,
    ),
  ];
  const cases = [...(fixture as unknown as { cases: Case[] }).cases, ...random];
  for (const c of cases) {
    for (const tile of [null, 40]) {
      await setupBackend({ prefer: 'webgl' });
      glBackends.add(tf.getBackend());
      const gl = run(c, c.dy as Arr, tile);
      if (c.y) {
        const want = [
          c.y,
          c.dx,
          c.dOffset,
          c.dKernel,
          ...(c.mask ? [c.dMask] : []),
          ...(c.bias ? [c.dBias] : []),
        ];
        const ref = want.map((a) => (a as Arr).data);
        rows.push({
          name: `${c.name}${tile ? ' tiles' : ''}`,
          vs: 'torchvision',
          forward: diff(gl.slice(0, 1), ref.slice(0, 1)),
          grads: diff(gl.slice(1), ref.slice(1)),
        });
      }
      await setupBackend({ prefer: 'cpu' });
      const cpu = run(c, c.dy as Arr, null);
      rows.push({
        name: `${c.name}${tile ? ' tiles' : ''}`,
        vs: 'cpu',
        forward: diff(gl.slice(0, 1), cpu.slice(0, 1)),
        grads: diff(gl.slice(1), cpu.slice(1)),
      });
    }
  }
  // The 256x256x64 batch-8 layer: forward and one gradient step on webgl, timed.
  if (/nobig/.test((globalThis as unknown as { location: { search: string } }).location.search)) {
    (globalThis as unknown as { __result: unknown }).__result = { rows, backend: [...glBackends].join() };
    return;
  }
  await setupBackend({ prefer: 'webgl' });
  const big = tf.tidy(() => {
    const [n, h, w, c] = [8, 256, 256, 64];
    const x = tf.randomNormal([n, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
    // Offsets within a pixel, as a deformable layer's start from its zero-initialised offset
    // convolution: the input-gradient pass visits (range of floor(dy) + 2)^2 sampling points per
    // tap and pixel (deform-webgl-glsl.ts), 9 here.
    const off = tf.randomUniform([n, h, w, 18], -0.99, 0.99, 'float32', 2) as tf.Tensor4D;
    const m = tf.sigmoid(tf.randomNormal([n, h, w, 9], 0, 1, 'float32', 3)) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, c, c], 0, 0.05, 'float32', 4) as tf.Tensor4D;
    return { x, off, m, k };
  });
  const t0 = performance.now();
  const y = deformConv2d(big.x, big.off, big.m, big.k, null, { padding: 1 });
  const ySum = (await tf.sum(y).data())[0] as number;
  const t1 = performance.now();
  const grads = tf.grads((x: tf.Tensor, o: tf.Tensor, k: tf.Tensor, m: tf.Tensor) =>
    tf.sum(
      deformConv2d(x as tf.Tensor4D, o as tf.Tensor4D, m as tf.Tensor4D, k as tf.Tensor4D, null, {
        padding: 1,
      }),
    ),
  )([big.x, big.off, big.k, big.m]);
  const sums = await Promise.all(grads.map(async (g) => (await tf.sum(tf.abs(g)).data())[0] as number));
  const t2 = performance.now();
  const bigResult = {
    shape: y.shape,
    gradShapes: grads.map((g) => g.shape),
    finite: [ySum, ...sums].every(Number.isFinite) && sums.every((s) => s > 0),
    forwardMs: Math.round(t1 - t0),
    stepMs: Math.round(t2 - t1),
  };
  (globalThis as unknown as { __result: unknown }).__result = {
    rows,
    big: bigResult,
    backend: tf.getBackend(),
  };
}

main().catch((err) => {
  (globalThis as unknown as { __result: unknown }).__result = { error: String((err as Error)?.stack ?? err) };
});
