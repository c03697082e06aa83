// The depthwise entry points in the native fuzz (native/bindings-depthwise.c): seeded random
// geometries (channel multiplier, strides, dilations, explicit pads, empty extents, channel
// counts across the vector widths), checked against native-reference.ts' float64 definition:
// out[b, oy, ox, c*m + q] = sum over taps of x[b, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c] w[ky, kx, c, q].
import { type Case, compare, int, type Rand, randArray, sentinel } from './native-fuzz-cases';
import { dwArray, dwDwRef, dwDxRef, dwFromArray, type DwP, dwRef } from './native-reference';

/** A random depthwise geometry: mostly the natural output size, sometimes any. */
export function randDw(r: Rand): DwP {
  const kh = int(r, 1, 5);
  const kw = int(r, 1, 5);
  const pick = <T>(xs: readonly T[]): T => xs[int(r, 0, xs.length - 1)] as T;
  const p: DwP = {
    n: r() < 0.03 ? 0 : int(r, 1, 3),
    h: r() < 0.03 ? 0 : int(r, 1, 14),
    w: r() < 0.03 ? 0 : int(r, 1, 14),
    c: r() < 0.03 ? 0 : pick([1, 3, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 64, 65]),
    ho: 0,
    wo: 0,
    m: r() < 0.03 ? 0 : r() < 0.7 ? 1 : int(r, 2, 4),
    kh,
    kw,
    sh: int(r, 1, 3),
    sw: int(r, 1, 3),
    dh: r() < 0.7 ? 1 : int(r, 2, 3),
    dw: r() < 0.7 ? 1 : int(r, 2, 3),
    pt: int(r, 0, kh),
    pl: int(r, 0, kw),
    act: int(r, 0, 3),
  };
  const natural = (size: number, pad: number, k: number, s: number, d: number): number =>
    Math.max(0, Math.floor((size + pad + int(r, 0, k) - ((k - 1) * d + 1)) / s) + 1);
  p.ho = r() < 0.1 ? int(r, 0, 8) : natural(p.h, p.pt, p.kh, p.sh, p.dh);
  p.wo = r() < 0.1 ? int(r, 0, 8) : natural(p.w, p.pl, p.kw, p.sw, p.dw);
  return p;
}

/** The three depthwise calls on one random geometry. */
export function dwCases(r: Rand, p: DwP): Case[] {
  const cm = p.c * p.m;
  const x = randArray(r, p.n * p.h * p.w * p.c);
  const w = randArray(r, p.kh * p.kw * cm);
  const dy = randArray(r, p.n * p.ho * p.wo * cm);
  const bias = r() < 0.5 ? randArray(r, cm) : null;
  const alpha = r() * 0.5;
  const out = sentinel(dy.length);
  const dx = sentinel(x.length);
  const dwt = sentinel(w.length);
  const params = dwArray(p);
  const gradP = dwArray({ ...p, act: 0 });
  return [
    {
      fn: 'depthwiseConv2d',
      args: [x, w, bias, out, params, alpha],
      check: () => compare('depthwiseConv2d', out, dwRef(p, x, w, bias, alpha)),
    },
    {
      fn: 'depthwiseConv2dBackpropInput',
      args: [dy, w, dx, gradP],
      check: () => compare('depthwiseConv2dBackpropInput', dx, dwDxRef(p, dy, w)),
    },
    {
      fn: 'depthwiseConv2dBackpropFilter',
      args: [x, dy, dwt, gradP],
      check: () => compare('depthwiseConv2dBackpropFilter', dwt, dwDwRef(p, x, dy)),
    },
  ];
}

/** Re-checks a depthwise call that succeeded after a parameter mutation, or null when too big to check. */
export function dwRecheck(c: Case, q: Int32Array): string | null {
  const p = dwFromArray(q);
  if (p.n * p.ho * p.wo * Math.min(p.kh, p.h + 1) * Math.min(p.kw, p.w + 1) * Math.max(p.c * p.m, 1) > 5e7)
    return null;
  const f = c.args as Float32Array[];
  if (c.fn === 'depthwiseConv2d')
    return compare(
      c.fn,
      f[3] as Float32Array,
      dwRef(
        p,
        f[0] as Float32Array,
        f[1] as Float32Array,
        (c.args[2] as Float32Array | null) ?? null,
        c.args[5] as number,
      ),
    );
  if (c.fn === 'depthwiseConv2dBackpropInput')
    return compare(c.fn, f[2] as Float32Array, dwDxRef(p, f[0] as Float32Array, f[1] as Float32Array));
  return compare(c.fn, f[2] as Float32Array, dwDwRef(p, f[0] as Float32Array, f[1] as Float32Array));
}
