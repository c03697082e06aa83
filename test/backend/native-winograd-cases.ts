// The convolutions of the native Winograd tests (native-winograd.test.ts and its child): each
// meets native/winograd.c's pays() and pays_filter() on purpose, so the addon computes its
// forward, its dx and its dW by F(4x4, 3x3).
import type { NativeAddon } from '../../src/backend/native';
import { makeRng } from '../../src/util/random';
import { type ConvP, convArray } from './native-reference';

/** A case: the geometry (3x3, stride 1) and what it covers. */
export interface WinoCase {
  p: ConvP;
  bias: boolean;
  alpha: number;
  what: string;
}

const conv = (
  n: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
  pad: [number, number, number, number],
  act: number,
): ConvP => {
  const [top, bottom, left, right] = pad;
  return {
    n,
    h,
    w,
    cin,
    cout,
    ho: h + top + bottom - 2,
    wo: w + left + right - 2,
    kh: 3,
    kw: 3,
    sh: 1,
    sw: 1,
    dh: 1,
    dw: 1,
    pt: top,
    pl: left,
    act,
  };
};

export const WINO_CASES: WinoCase[] = [
  {
    p: conv(2, 30, 26, 72, 80, [1, 1, 1, 1], 1),
    bias: true,
    alpha: 0,
    what: "same, ReLU: tiles cut by both edges, 72 channels (4 vectors + 8), 80 outputs (5 panels: a zero one), each thread's own blocks",
  },
  {
    p: conv(4, 18, 18, 136, 150, [1, 1, 1, 1], 2),
    bias: true,
    alpha: 0,
    what: 'same, ReLU6: a 3.1 MB filter transform, so the shared schedule (all tiles, products split by position and panel), 150 outputs (9 vectors + 6)',
  },
  {
    p: conv(4, 24, 24, 64, 64, [2, 0, 0, 1], 3),
    bias: false,
    alpha: 0.2,
    what: 'explicit uneven padding (2 above, 1 right), leaky ReLU, no bias',
  },
  {
    p: conv(4, 20, 22, 64, 96, [0, 0, 0, 0], 0),
    bias: true,
    alpha: 0,
    what: "valid: 18 x 20 outputs; dx's padding of 2",
  },
  {
    p: conv(4, 64, 64, 24, 40, [1, 1, 1, 1], 0),
    bias: false,
    alpha: 0,
    what: "1,024 tiles: dW's tiles in two blocks (M summed over them), 24 in-channels (3 of dW's rows of 8), 40 outputs (32 + a masked 8)",
  },
];

/** Seeded normal values. */
export function normals(size: number, seed: number, scale = 1): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: size }, () => rng.normal() * scale);
}

/** A case's inputs (seeded by its index) and the addon's forward, dx and dW. */
export function runCase(
  addon: NativeAddon,
  c: WinoCase,
  i: number,
): {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  dy: Float32Array;
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
} {
  const { p } = c;
  const x = normals(p.n * p.h * p.w * p.cin, 10 * i + 1);
  const w = normals(9 * p.cin * p.cout, 10 * i + 2, 0.1);
  const b = c.bias ? normals(p.cout, 10 * i + 3) : null;
  const dy = normals(p.n * p.ho * p.wo * p.cout, 10 * i + 4);
  const y = new Float32Array(p.n * p.ho * p.wo * p.cout);
  const dx = new Float32Array(x.length);
  addon.conv2d(x, w, b, y, convArray(p), c.alpha);
  const dw = new Float32Array(w.length);
  addon.conv2dBackpropInput(dy, w, dx, convArray({ ...p, act: 0 }));
  addon.conv2dBackpropFilter(x, dy, dw, convArray({ ...p, act: 0 }));
  return { x, w, b, dy, y, dx, dw };
}
