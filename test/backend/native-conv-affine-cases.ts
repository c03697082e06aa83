// The convolutions of the native conv + batch-norm epilogue tests (native-conv-affine.test.ts and
// its child): one per path of the addon's forward (the implicit GEMM's full tiles and tails, the
// stem's padded rows, Winograd's two schedules, the depthwise gather and spread loops), each run
// with an inference batch norm's scale and shift in the epilogue and, for reference, as the
// separate kernels the unfused layers run: the convolution, then bnInfer (with its ReLU).
import type { NativeAddon } from '../../src/backend/native';
import { bnAffine } from '../../src/backend/kernels/bn-activation';
import { type ConvP, convArray, type DwP, dwArray } from './native-reference';
import { normals } from './native-winograd-cases';

/** A case: a convolution or a depthwise one, its batch norm's parameters, what it covers. */
export interface AffineCase {
  conv?: ConvP;
  dw?: DwP;
  bias: boolean;
  gamma: boolean;
  beta: boolean;
  what: string;
}

const geo = (
  n: number,
  h: number,
  w: number,
  k: number,
  s: number,
  pad: [number, number],
  out: [number, number],
  act: number,
): Omit<ConvP, 'cin' | 'cout'> => ({
  n,
  h,
  w,
  ho: out[0],
  wo: out[1],
  kh: k,
  kw: k,
  sh: s,
  sw: s,
  dh: 1,
  dw: 1,
  pt: pad[0],
  pl: pad[1],
  act,
});

export const AFFINE_CASES: AffineCase[] = [
  {
    conv: { ...geo(2, 15, 17, 1, 1, [0, 0], [15, 17], 2), cin: 40, cout: 72 },
    bias: false,
    gamma: true,
    beta: true,
    what: '1x1 (the GEMM on x in place), 40 -> 72: full 12 x 32 tiles and both tails, ReLU6',
  },
  {
    conv: { ...geo(2, 17, 17, 3, 2, [1, 1], [9, 9], 1), cin: 24, cout: 48 },
    bias: true,
    gamma: true,
    beta: false,
    what: '3x3 stride 2 (the implicit im2col GEMM), bias, ReLU, no offset',
  },
  {
    conv: { ...geo(2, 32, 32, 3, 2, [0, 0], [16, 16], 0), cin: 3, cout: 32 },
    bias: false,
    gamma: false,
    beta: true,
    what: "a 3-channel stem (the padded rows' copy), no activation, no scale",
  },
  {
    conv: { ...geo(2, 30, 26, 3, 1, [1, 1], [30, 26], 1), cin: 72, cout: 80 },
    bias: true,
    gamma: true,
    beta: true,
    what: "3x3 stride 1 by Winograd, each thread's own blocks, bias, ReLU",
  },
  {
    conv: { ...geo(4, 18, 18, 3, 1, [1, 1], [18, 18], 2), cin: 136, cout: 150 },
    bias: false,
    gamma: true,
    beta: true,
    what: "3x3 stride 1 by Winograd's shared schedule, 150 outputs (9 vectors + 6), ReLU6",
  },
  {
    dw: { ...geo(2, 15, 13, 3, 1, [1, 1], [15, 13], 2), c: 40, m: 1 },
    bias: true,
    gamma: true,
    beta: true,
    what: 'depthwise 3x3 stride 1 (blocks of 4 pixels), 40 channels (a tail), bias, ReLU6',
  },
  {
    dw: { ...geo(2, 16, 16, 3, 2, [0, 1], [8, 8], 0), c: 24, m: 1 },
    bias: false,
    gamma: true,
    beta: true,
    what: 'depthwise 3x3 stride 2 with explicit padding, no activation',
  },
  {
    dw: { ...geo(2, 9, 9, 3, 1, [1, 1], [9, 9], 1), c: 12, m: 2 },
    bias: false,
    gamma: true,
    beta: true,
    what: 'depthwise with multiplier 2 (the spread loop), ReLU',
  },
];

const EPS = 1e-3;

/** A case's inputs (seeded by its index), its fused output and the separate kernels' one. */
export function runAffineCase(
  addon: NativeAddon,
  c: AffineCase,
  i: number,
): { fused: Float32Array; ref: Float32Array } {
  const p = (c.conv ?? c.dw) as ConvP | DwP;
  const cin = c.conv != null ? c.conv.cin : (c.dw as DwP).c;
  const cout = c.conv != null ? c.conv.cout : (c.dw as DwP).c * (c.dw as DwP).m;
  const x = normals(p.n * p.h * p.w * cin, 100 * i + 1);
  const w = normals(p.kh * p.kw * cin * (c.conv != null ? cout : (c.dw as DwP).m), 100 * i + 2, 0.2);
  const b = c.bias ? normals(cout, 100 * i + 3) : null;
  const mean = normals(cout, 100 * i + 4, 0.5);
  const variance = normals(cout, 100 * i + 5).map((v) => 0.2 + v * v);
  const gamma = c.gamma ? normals(cout, 100 * i + 6) : null;
  const beta = c.beta ? normals(cout, 100 * i + 7) : null;
  const size = p.n * p.ho * p.wo * cout;
  const run = (act: number, out: Float32Array, affine: Float32Array | null): void => {
    if (c.conv != null) addon.conv2d(x, w, b, out, convArray({ ...c.conv, act }), 0, affine);
    else addon.depthwiseConv2d(x, w, b, out, dwArray({ ...(c.dw as DwP), act }), 0, affine);
  };
  const fused = new Float32Array(size);
  run(p.act, fused, bnAffine(mean, variance, gamma, beta, EPS));
  const y = new Float32Array(size);
  run(0, y, null);
  const ref = new Float32Array(size);
  // the inference batch norm alone, or with the ReLU (cap -1) or ReLU6 fused as the layers run it
  if (p.act === 0) addon.bnInfer(y, mean, variance, gamma, beta, ref, EPS);
  else addon.bnInfer(y, mean, variance, gamma, beta, ref, EPS, p.act === 1 ? -1 : 6);
  return { fused, ref };
}
