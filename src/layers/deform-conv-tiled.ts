/**
 * Deformable convolution v2 one tile of output rows at a time, for backends whose kernels work
 * per tile (webgl: `deform-webgl.ts`). The sampled columns of a tile, `[rows*Wo, K*Cin]`, are
 * the only large intermediate, bounded by {@link TILE_ELEMENTS} whatever the batch and image
 * size; the backward pass recomputes them per tile instead of keeping them all.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DeformGeometry } from '../backend/kernels/deform-conv-math';
import {
  DEFORM_DX_BAND,
  DEFORM_IM2COL_TILE,
  DEFORM_OFFSET_GRAD_TILE,
  type DeformBand,
  type DeformTile,
} from '../backend/kernels/deform-webgl';

/**
 * Largest tile, in sampled values (`rows * Wo * K * Cin`): 2^22 float32 = 16 MB, well inside
 * WebGL's texture limits (SwiftShader's 8192^2) and small beside a GPU's memory.
 */
export const TILE_ELEMENTS = 1 << 22;

/** Whether the active backend has the tile kernels. */
export function hasTileKernels(): boolean {
  return tf.getKernel(DEFORM_IM2COL_TILE, tf.getBackend()) !== undefined;
}

/** Tiles of whole output rows, image by image, each at most {@link TILE_ELEMENTS} values. */
export function planTiles(g: DeformGeometry, limit = TILE_ELEMENTS): DeformTile[] {
  const perRow = g.wo * g.kh * g.kw * g.cin;
  const rows = Math.max(1, Math.min(g.ho, Math.floor(limit / perRow)));
  const tiles: DeformTile[] = [];
  for (let batch = 0; batch < g.n; batch++) {
    for (let oy0 = 0; oy0 < g.ho; oy0 += rows) tiles.push({ batch, oy0, rows: Math.min(rows, g.ho - oy0) });
  }
  return tiles;
}

/** `[N, Ho, Wo, C]` from per-tile `[1, rows, Wo, C]` pieces in {@link planTiles} order (disposed). */
function assemble(pieces: tf.Tensor[], tiles: DeformTile[]): tf.Tensor {
  const images: tf.Tensor[] = [];
  let i = 0;
  while (i < tiles.length) {
    const b = (tiles[i] as DeformTile).batch;
    const mine: tf.Tensor[] = [];
    while (i < tiles.length && (tiles[i] as DeformTile).batch === b) mine.push(pieces[i++] as tf.Tensor);
    images.push(mine.length === 1 ? (mine[0] as tf.Tensor) : tf.concat(mine, 1));
    if (mine.length > 1) tf.dispose(mine);
  }
  const out = images.length === 1 ? (images[0] as tf.Tensor) : tf.concat(images, 0);
  if (images.length > 1) tf.dispose(images);
  return out;
}

/**
 * The input rows a tile's sampling points can reach, from the range of its offsets (one
 * read-back of four numbers). Non-finite offsets sample nothing; the range is then clamped
 * to one beyond which every point falls outside the image.
 */
function bandOf(g: DeformGeometry, t: DeformTile, offset: tf.Tensor): DeformBand | null {
  const K = g.kh * g.kw;
  const range = tf.tidy(() => {
    const o = tf.reshape(
      tf.slice(offset, [t.batch, t.oy0, 0, 0], [1, t.rows, g.wo, 2 * g.groups * K]),
      [-1, 2],
    );
    return tf.concat([tf.min(o, 0), tf.max(o, 0)]);
  });
  const [dyMin, dxMin, dyMax, dxMax] = range.dataSync() as Float32Array;
  range.dispose();
  const big = 2 * (g.h + g.w + g.kh * g.dh + g.kw * g.dw + g.ph + g.pw) + 4;
  const fl = (v: number | undefined, dflt: number): number =>
    Number.isFinite(v) ? Math.max(-big, Math.min(big, Math.floor(v as number))) : dflt;
  const fy: [number, number] = [fl(dyMin, -big), fl(dyMax, big)];
  const fx: [number, number] = [fl(dxMin, -big), fl(dxMax, big)];
  const r0 = Math.max(0, t.oy0 * g.sh - g.ph + fy[0]);
  const r1 = Math.min(g.h - 1, (t.oy0 + t.rows - 1) * g.sh - g.ph + (g.kh - 1) * g.dh + fy[1] + 1);
  return r1 < r0 ? null : { r0, bandRows: r1 - r0 + 1, fy, fx };
}

/**
 * Tiled deformable convolution, same contract as `deformConv2dComposed`: `x [N,H,W,Cin]`,
 * `offset [N,Ho,Wo,2GK]`, `mask [N,Ho,Wo,GK] | null`, `kernel [kh,kw,Cin,Cout]`,
 * `bias [Cout] | null` -> `[N,Ho,Wo,Cout]`, differentiable in all of them. `tileElements`
 * bounds a tile (tests use small ones to cross tile borders).
 */
export function deformConv2dTiled(
  g: DeformGeometry,
  x: tf.Tensor4D,
  offset: tf.Tensor4D,
  mask: tf.Tensor4D | null,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  tileElements = TILE_ELEMENTS,
): tf.Tensor4D {
  const K = g.kh * g.kw;
  const cout = kernel.shape[3];
  const tiles = planTiles(g, tileElements);
  const attrs = (tile: DeformTile, band?: DeformBand): tf.NamedAttrMap =>
    ({ geometry: g, tile, band }) as unknown as tf.NamedAttrMap;
  const run = (name: string, inputs: tf.NamedTensorMap, a: tf.NamedAttrMap): tf.Tensor =>
    tf.engine().runKernel(name, inputs, a) as tf.Tensor;
  const im2col = (xt: tf.Tensor, ot: tf.Tensor, mt: tf.Tensor | null, t: DeformTile): tf.Tensor2D =>
    run(
      DEFORM_IM2COL_TILE,
      mt ? { x: xt, offset: ot, mask: mt } : { x: xt, offset: ot },
      attrs(t),
    ) as tf.Tensor2D;
  const inputs: tf.Tensor[] = [x, offset, kernel];
  if (mask) inputs.push(mask);
  if (bias) inputs.push(bias);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xt, ot, kt, ...rest] = args.slice(0, -1) as tf.Tensor[];
    const mt = mask ? (rest[0] as tf.Tensor) : null;
    const bt = bias ? (rest[mask ? 1 : 0] as tf.Tensor) : null;
    const w2 = tf.reshape(kt, [K * g.cin, cout]) as tf.Tensor2D;
    const pieces = tiles.map((t) =>
      tf.tidy(() => tf.reshape(tf.matMul(im2col(xt, ot, mt, t), w2), [1, t.rows, g.wo, cout])),
    );
    let y = assemble(pieces, tiles);
    if (bt) y = tf.add(y, bt);
    save(mt ? [xt, ot, w2, mt] : [xt, ot, w2]);
    return {
      value: y as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, os, ws, ms] = saved as [tf.Tensor, tf.Tensor, tf.Tensor2D, tf.Tensor | undefined];
        let dW: tf.Tensor = tf.zeros([K * g.cin, cout]);
        const dxImages: (tf.Tensor | null)[] = new Array<tf.Tensor | null>(g.n).fill(null);
        const om: tf.Tensor[] = [];
        for (const t of tiles) {
          const band = bandOf(g, t, os);
          const { dW2, omT, dxT } = tf.tidy(() => {
            const dyT = tf.reshape(tf.slice(dy, [t.batch, t.oy0, 0, 0], [1, t.rows, g.wo, cout]), [
              t.rows * g.wo,
              cout,
            ]) as tf.Tensor2D;
            const cols = im2col(xs, os, ms ?? null, t);
            const dWn = tf.add(dW, tf.matMul(cols, dyT, true, false));
            const dcols = tf.matMul(dyT, ws, false, true);
            const omg = run(
              DEFORM_OFFSET_GRAD_TILE,
              ms ? { x: xs, offset: os, dcols, mask: ms } : { x: xs, offset: os, dcols },
              attrs(t),
            );
            let dxn: tf.Tensor | null = dxImages[t.batch] ?? null;
            if (band) {
              const part = run(
                DEFORM_DX_BAND,
                ms ? { offset: os, dcols, mask: ms } : { offset: os, dcols },
                attrs(t, band),
              );
              const full = tf.pad(part, [
                [0, 0],
                [band.r0, g.h - band.r0 - band.bandRows],
                [0, 0],
                [0, 0],
              ]);
              dxn = dxn ? tf.add(dxn, full) : full;
            }
            return dxn ? { dW2: dWn, omT: omg, dxT: dxn } : { dW2: dWn, omT: omg };
          }) as { dW2: tf.Tensor; omT: tf.Tensor; dxT?: tf.Tensor };
          dW.dispose();
          dW = dW2;
          om.push(omT);
          const old = dxImages[t.batch];
          if (old && old !== dxT) old.dispose();
          dxImages[t.batch] = dxT ?? null;
        }
        const dx = tf.concat(
          dxImages.map((d) => d ?? tf.zeros([1, g.h, g.w, g.cin])),
          0,
        );
        const offMask = assemble(om, tiles);
        const grads: tf.Tensor[] = [dx];
        if (ms) {
          const [dOff, dMask] = tf.split(offMask, [2 * g.groups * K, g.groups * K], 3);
          grads.push(dOff as tf.Tensor, tf.reshape(dW, kernel.shape), dMask as tf.Tensor);
        } else {
          grads.push(offMask, tf.reshape(dW, kernel.shape));
        }
        if (bias) grads.push(tf.sum(tf.reshape(dy, [-1, cout]), 0));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor4D;
}
