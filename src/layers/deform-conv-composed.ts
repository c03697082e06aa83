/**
 * Deformable convolution v2 from stock tfjs ops (gather, floor, step, matMul), differentiated
 * by tfjs's autodiff. It is the path for backends without the fast kernels (webgl, webgpu,
 * node) and a cross-check of the kernels in the tests. Same sampling rule as the kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DeformGeometry } from '../backend/kernels/deform-conv-math';

/**
 * `params[rows]` whose gradient flows to `params` only. tfjs's own gather also returns an int32
 * "gradient" for its indices, which the tape rejects whenever the indices depend on a variable
 * (ours come from the offsets), so the indices travel as float32 (exact below 2^24 rows).
 */
const gatherRows = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [params, rows] = args as [tf.Tensor2D, tf.Tensor];
  const save = args[2] as tf.GradSaveFunc;
  const idx = tf.cast(rows, 'int32');
  save([idx]);
  return {
    value: tf.gather(params, idx),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.unsortedSegmentSum(dy, saved[0] as tf.Tensor1D, params.shape[0]),
      tf.zerosLike(rows),
    ],
  };
});

/** A `[1, Ho, Wo, 1, K]` grid of the undeformed sampling coordinates along one axis. */
function baseGrid(g: DeformGeometry, axis: 'y' | 'x'): tf.Tensor {
  const K = g.kh * g.kw;
  const vals = new Float32Array(g.ho * g.wo * K);
  for (let oy = 0; oy < g.ho; oy++) {
    for (let ox = 0; ox < g.wo; ox++) {
      for (let i = 0; i < g.kh; i++) {
        for (let j = 0; j < g.kw; j++) {
          const v = axis === 'y' ? oy * g.sh - g.ph + i * g.dh : ox * g.sw - g.pw + j * g.dw;
          vals[(oy * g.wo + ox) * K + i * g.kw + j] = v;
        }
      }
    }
  }
  return tf.tensor(vals, [1, g.ho, g.wo, 1, K]);
}

/**
 * Composed-ops deformable convolution. `x [N,H,W,Cin]`, `offset [N,Ho,Wo,2*G*K]`,
 * `mask [N,Ho,Wo,G*K] | null`, `kernel [kh,kw,Cin,Cout]`, `bias [Cout] | null`;
 * returns `[N,Ho,Wo,Cout]`.
 */
export function deformConv2dComposed(
  g: DeformGeometry,
  x: tf.Tensor4D,
  offset: tf.Tensor4D,
  mask: tf.Tensor4D | null,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null,
): tf.Tensor4D {
  return tf.tidy(() => {
    const { n, h, w, cin, ho, wo, groups } = g;
    const K = g.kh * g.kw;
    const cg = cin / groups;
    const cout = kernel.shape[3];
    const off = tf.reshape(offset, [n, ho, wo, groups, K, 2]);
    const [dy, dx] = tf.split(off, 2, 5).map((t) => tf.reshape(t, [n, ho, wo, groups, K]));
    const y = tf.add(baseGrid(g, 'y'), dy);
    const xx = tf.add(baseGrid(g, 'x'), dx);
    const y0 = tf.floor(y);
    const x0 = tf.floor(xx);
    const ly = tf.sub(y, y0);
    const lx = tf.sub(xx, x0);
    // Row index of pixel (b, r, c) in x viewed as [N*H*W*G, Cg], offset by the group.
    const batchBase = tf.reshape(tf.range(0, n * h * w * groups, h * w * groups), [n, 1, 1, 1, 1]);
    const groupIdx = tf.reshape(tf.range(0, groups), [1, 1, 1, groups, 1]);
    const xRows = tf.reshape(x, [n * h * w * groups, cg]);
    const inside = (v: tf.Tensor, size: number): tf.Tensor =>
      // 1 where 0 <= v <= size-1 (v integral); step() has a zero gradient, unlike comparisons.
      tf.mul(tf.step(tf.add(v, 0.5)), tf.step(tf.sub(size - 0.5, v)));
    const corners: [tf.Tensor, tf.Tensor][] = [];
    for (const [cy, wy] of [
      [y0, tf.sub(1, ly)],
      [tf.add(y0, 1), ly],
    ] as const) {
      for (const [cx, wx] of [
        [x0, tf.sub(1, lx)],
        [tf.add(x0, 1), lx],
      ] as const) {
        const valid = tf.mul(inside(cy, h), inside(cx, w));
        // minimum/maximum rather than clipByValue: the same values, and a gradient without
        // tf.where, which webgpu lacks at these rank-5 shapes ("Where for rank 5").
        const ry = tf.minimum(tf.maximum(cy, 0), h - 1);
        const rx = tf.minimum(tf.maximum(cx, 0), w - 1);
        const row = tf.add(tf.add(batchBase, tf.mul(tf.add(tf.mul(ry, w), rx), groups)), groupIdx);
        corners.push([tf.reshape(row, [-1]), tf.mul(tf.mul(wy, wx), valid)]);
      }
    }
    let sampled: tf.Tensor | null = null;
    for (const [row, weight] of corners) {
      const vals = tf.reshape(gatherRows(xRows, row), [n, ho, wo, groups, K, cg]);
      const term = tf.mul(vals, tf.expandDims(weight, 5));
      sampled = sampled ? tf.add(sampled, term) : term;
    }
    let s = sampled as tf.Tensor;
    if (mask) s = tf.mul(s, tf.reshape(mask, [n, ho, wo, groups, K, 1]));
    // [N,Ho,Wo,G,K,Cg] -> [N*Ho*Wo, K*Cin] with column k*Cin + g*Cg + c, the kernels' layout.
    const cols = tf.reshape(tf.transpose(s, [0, 1, 2, 4, 3, 5]), [n * ho * wo, K * cin]);
    let out = tf.matMul(cols, tf.reshape(kernel, [K * cin, cout]));
    if (bias) out = tf.add(out, bias);
    return tf.reshape(out, [n, ho, wo, cout]);
  });
}
