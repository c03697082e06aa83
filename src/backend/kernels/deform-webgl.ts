/**
 * Deformable convolution v2 on webgl, one tile of output rows at a time: the three programs of
 * `deform-webgl-glsl.ts` as kernels. `deformConv2d` (layers) plans the tiles, runs the matrix
 * products on the backend's MatMul, and wires forward and backward with `tf.customGrad`.
 * The webgl backend is reached through the structural `compileAndRun` it hands every kernel,
 * so tfjs-backend-webgl stays an optional peer, not an import.
 */
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { geometryAttr } from './deform-conv-math';
import { dxBandProgram, type GlslProgram, im2colProgram, offsetMaskGradProgram } from './deform-webgl-glsl';

/** Kernel name of the tile im2col: inputs `x, offset[, mask]`, attrs {@link DeformTileAttrs}. */
export const DEFORM_IM2COL_TILE = 'MedinetsDeformIm2ColTile';
/** Kernel name of the tile's offset/mask gradients: inputs `x, offset, dcols[, mask]`. */
export const DEFORM_OFFSET_GRAD_TILE = 'MedinetsDeformOffsetGradTile';
/** Kernel name of a band of `dx` from one tile: inputs `offset, dcols[, mask]`. */
export const DEFORM_DX_BAND = 'MedinetsDeformDxBand';

/** Where a tile sits: output rows `[oy0, oy0 + rows)` of image `batch`. */
export interface DeformTile {
  /** Image index. */
  batch: number;
  /** First output row. */
  oy0: number;
  /** Number of output rows. */
  rows: number;
}

/** A dx band: input rows `[r0, r0 + bandRows)`, and the floors of the tile's offsets. */
export interface DeformBand {
  /** First input row. */
  r0: number;
  /** Number of input rows. */
  bandRows: number;
  /** `[floor(min dy), floor(max dy)]` over the tile's sampling points. */
  fy: [number, number];
  /** `[floor(min dx), floor(max dx)]`. */
  fx: [number, number];
}

interface WebGLLike {
  compileAndRun(
    program: GlslProgram,
    inputs: TensorInfo[],
    dtype?: string,
    uniforms?: number[][],
  ): TensorInfo;
}

type Args<I> = { inputs: I; backend: KernelBackend; attrs: NamedAttrMap };

function tileAttr(attrs: NamedAttrMap): DeformTile {
  const t = (attrs as unknown as { tile?: DeformTile }).tile;
  if (t == null) throw new Error("medinets: deformable-convolution tile kernels need the 'tile' attribute");
  return t;
}

function run(backend: KernelBackend, p: GlslProgram, inputs: TensorInfo[], uniforms: number[]): TensorInfo {
  return (backend as unknown as WebGLLike).compileAndRun(
    p,
    inputs,
    'float32',
    uniforms.map((u) => [u]),
  );
}

/** `cols [rows*Wo, K*Cin]` of one tile. */
export function deformIm2colTileWebgl(
  args: Args<{ x: TensorInfo; offset: TensorInfo; mask?: TensorInfo }>,
): TensorInfo {
  const { x, offset, mask } = args.inputs;
  const g = geometryAttr(args.attrs);
  const t = tileAttr(args.attrs);
  const p = im2colProgram(g, t.rows, mask != null);
  return run(args.backend, p, mask ? [x, offset, mask] : [x, offset], [t.batch, t.oy0]);
}

/** `[1, rows, Wo, 2GK (+GK)]`: the tile's offset gradients, then its mask gradients. */
export function deformOffsetGradTileWebgl(
  args: Args<{ x: TensorInfo; offset: TensorInfo; dcols: TensorInfo; mask?: TensorInfo }>,
): TensorInfo {
  const { x, offset, dcols, mask } = args.inputs;
  const g = geometryAttr(args.attrs);
  const t = tileAttr(args.attrs);
  const p = offsetMaskGradProgram(g, t.rows, mask != null);
  return run(args.backend, p, mask ? [x, offset, dcols, mask] : [x, offset, dcols], [t.batch, t.oy0]);
}

/** `[1, bandRows, W, Cin]`: the tile's share of `dx` on input rows `[r0, r0 + bandRows)`. */
export function deformDxBandWebgl(
  args: Args<{ offset: TensorInfo; dcols: TensorInfo; mask?: TensorInfo }>,
): TensorInfo {
  const { offset, dcols, mask } = args.inputs;
  const g = geometryAttr(args.attrs);
  const t = tileAttr(args.attrs);
  const b = (args.attrs as unknown as { band?: DeformBand }).band;
  if (b == null) throw new Error("medinets: MedinetsDeformDxBand needs the 'band' attribute");
  const p = dxBandProgram(g, t.rows, b.bandRows, mask != null);
  return run(args.backend, p, mask ? [offset, dcols, mask] : [offset, dcols], [
    t.batch,
    t.oy0,
    b.r0,
    b.fy[0],
    b.fy[1],
    b.fx[0],
    b.fx[1],
  ]);
}
