// Seeded random cases for every native entry point: a call (function name and arguments)
// and, for valid calls, a check of the outputs against the float64 references.
import type { NativeAddon } from '../../src/backend/native';
import {
  activate,
  type ConvP,
  convArray,
  convDwRef,
  convDxRef,
  convRef,
  matmulRef,
  maxPoolGradRef,
  type Ref,
} from './native-reference';

/** mulberry32: a small seeded generator (the fuzz needs reproducible streams, not quality). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

export function randArray(r: Rand, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

/** A call of one entry point; `check` (for calls expected to succeed) returns a mismatch or null. */
export interface Case {
  fn: keyof NativeAddon;
  args: unknown[];
  check?: () => string | null;
}

/** Compares output values with a reference: |got - ref| <= 1e-4 * (sum of |terms|) + 1e-5. */
export function compare(what: string, got: Float32Array, ref: Ref | Float64Array): string | null {
  const v = ref instanceof Float64Array ? ref : ref.v;
  const abs = ref instanceof Float64Array ? null : ref.abs;
  if (got.length !== v.length) return `${what}: length ${got.length}, reference ${v.length}`;
  for (let i = 0; i < v.length; i++) {
    const g = got[i] as number;
    const e = v[i] as number;
    if (Number.isNaN(e) && Number.isNaN(g)) continue;
    const tol = 1e-4 * (abs == null ? Math.abs(e) : (abs[i] as number)) + 1e-5;
    if (!(Math.abs(g - e) <= tol)) return `${what}[${i}]: ${g}, reference ${e}`;
  }
  return null;
}

/** A random convolution geometry: mostly the natural output size, sometimes any (generalised). */
export function randConv(r: Rand, big: boolean): ConvP {
  const kh = int(r, 1, big ? 3 : 5);
  const kw = int(r, 1, big ? 3 : 5);
  const p: ConvP = {
    n: r() < 0.03 ? 0 : int(r, 1, big ? 4 : 3),
    h: r() < 0.03 ? 0 : int(r, 1, big ? 24 : 12),
    w: r() < 0.03 ? 0 : int(r, 1, big ? 24 : 12),
    cin: r() < 0.03 ? 0 : big ? int(r, 8, 48) : pick(r, [1, 2, 3, 5, 8, 16, 17, 20]),
    ho: 0,
    wo: 0,
    cout: r() < 0.03 ? 0 : big ? int(r, 8, 48) : int(r, 1, 24),
    kh,
    kw,
    sh: int(r, 1, 4),
    sw: int(r, 1, 4),
    dh: r() < 0.7 ? 1 : int(r, 2, 3),
    dw: r() < 0.7 ? 1 : int(r, 2, 3),
    pt: int(r, 0, kh),
    pl: int(r, 0, kw),
    act: int(r, 0, 3),
  };
  if (r() < 0.15) {
    p.kh = p.kw = 1;
    p.sh = p.sw = 1;
    p.pt = p.pl = 0; // the pointwise (dense) path
  }
  const natural = (size: number, pad: number, k: number, s: number, d: number): number =>
    Math.max(0, Math.floor((size + pad + int(r, 0, k) - ((k - 1) * d + 1)) / s) + 1);
  p.ho = r() < 0.1 ? int(r, 0, 8) : natural(p.h, p.pt, p.kh, p.sh, p.dh);
  p.wo = r() < 0.1 ? int(r, 0, 8) : natural(p.w, p.pl, p.kw, p.sw, p.dw);
  if (p.kh === 1 && p.kw === 1 && p.sh === 1 && p.sw === 1 && p.pt === 0 && p.pl === 0 && r() < 0.8) {
    p.ho = p.h;
    p.wo = p.w;
  }
  return p;
}

const sizes = (p: ConvP): [number, number, number] => [
  p.n * p.h * p.w * p.cin,
  p.n * p.ho * p.wo * p.cout,
  p.kh * p.kw * p.cin * p.cout,
];

/** An output buffer filled with NaN, so that a value the kernel never wrote is seen. */
export const sentinel = (n: number): Float32Array => new Float32Array(n).fill(Number.NaN);

export function convCases(r: Rand, p: ConvP): Case[] {
  const [ni, no, nf] = sizes(p);
  const x = randArray(r, ni);
  const w = randArray(r, nf);
  const dy = randArray(r, no);
  const bias = r() < 0.5 ? randArray(r, p.cout) : null;
  const alpha = r() * 0.5;
  const out = sentinel(no);
  const dx = sentinel(ni);
  const dw = sentinel(nf);
  const params = convArray(p);
  const gradP = convArray({ ...p, act: 0 });
  return [
    {
      fn: 'conv2d',
      args: [x, w, bias, out, params, alpha],
      check: () => compare('conv2d', out, convRef(p, x, w, bias, alpha)),
    },
    {
      fn: 'conv2dBackpropInput',
      args: [dy, w, dx, gradP],
      check: () => compare('conv2dBackpropInput', dx, convDxRef(p, dy, w)),
    },
    {
      fn: 'conv2dBackpropFilter',
      args: [x, dy, dw, gradP],
      check: () => compare('conv2dBackpropFilter', dw, convDwRef(p, x, dy)),
    },
  ];
}

/** A matrix product with random batch dimensions (rank 0-3), broadcast on random axes. */
export function matmulCase(r: Rand, big: boolean): Case {
  const rank = int(r, 0, 3);
  const padA: number[] = [];
  const padB: number[] = [];
  for (let d = 0; d < rank; d++) {
    const e = int(r, 1, 3);
    const kind = r();
    padA.push(kind < 0.3 ? 1 : e);
    padB.push(kind > 0.7 ? 1 : kind < 0.3 ? e : r() < 0.5 ? e : 1);
  }
  const dim = (): number => (r() < 0.04 ? 0 : big ? int(r, 1, 300) : int(r, 1, 40));
  const m = dim();
  const n = dim();
  const k = dim();
  const tA = r() < 0.5;
  const tB = r() < 0.5;
  const act = int(r, 0, 3);
  const bA = padA.reduce((s, v) => s * v, 1);
  const bB = padB.reduce((s, v) => s * v, 1);
  const outer = padA.map((v, i) => (v === 1 ? (padB[i] as number) : v));
  const batch = outer.reduce((s, v) => s * v, 1);
  const a = randArray(r, bA * m * k);
  const b = randArray(r, bB * k * n);
  const bias = r() < 0.4 ? randArray(r, n) : null;
  const c = sentinel(batch * m * n);
  const alpha = r() * 0.5;
  const head = [bA, bB, m, n, k, tA ? 1 : 0, tB ? 1 : 0, act];
  const simple = padA.every((v, i) => v === padB[i]) || bA === 1 || bB === 1;
  const params = Int32Array.from(
    simple && r() < 0.7 ? head : [...head, Math.max(rank, 1), ...(rank === 0 ? [1, 1] : [...padA, ...padB])],
  );
  return {
    fn: 'matmul',
    args: [a, b, bias, c, params, alpha],
    check: () => compare('matmul', c, matmulRef(a, b, bias, padA, padB, m, n, k, tA, tB, act, alpha)),
  };
}

export function bnCases(r: Rand): Case[] {
  // sometimes big enough for the pool's channel blocks and row ranges
  const big = r() < 0.08;
  const c = big ? int(r, 24, 80) : int(r, 1, 40);
  const n = r() < 0.03 ? 0 : big ? int(r, 1000, 2200) : int(r, 1, 60);
  const x = randArray(r, n * c).map((v) => v * 3 + 0.5);
  const scale = randArray(r, c);
  const offset = randArray(r, c);
  const eps = 1e-3;
  const [y, mean, variance, inv] = [sentinel(n * c), sentinel(c), sentinel(c), sentinel(c)];
  const trainRef = (): { mu: Float64Array; iv: Float64Array; y: Float64Array } => {
    const mu = new Float64Array(c);
    const va = new Float64Array(c);
    for (let i = 0; i < n * c; i++) mu[i % c] += (x[i] as number) / n;
    for (let i = 0; i < n * c; i++) va[i % c] += ((x[i] as number) - (mu[i % c] as number)) ** 2 / n;
    const iv = va.map((v) => 1 / Math.sqrt(v + eps));
    const yr = new Float64Array(n * c);
    for (let i = 0; i < n * c; i++)
      yr[i] =
        ((x[i] as number) - (mu[i % c] as number)) * (iv[i % c] as number) * (scale[i % c] as number) +
        (offset[i % c] as number);
    return { mu, iv, y: yr };
  };
  const dy = randArray(r, n * c);
  const gMean = randArray(r, c);
  const gInv = randArray(r, c).map((v) => 1 + Math.abs(v));
  const [dx, dScale, dOffset] = [sentinel(n * c), sentinel(c), sentinel(c)];
  const gradRef = (): { dx: Ref; ds: Float64Array; db: Float64Array } => {
    const sdy = new Float64Array(c);
    const sdyx = new Float64Array(c);
    for (let i = 0; i < n * c; i++) {
      sdy[i % c] += dy[i] as number;
      sdyx[i % c] += (dy[i] as number) * ((x[i] as number) - (gMean[i % c] as number));
    }
    const v = new Float64Array(n * c);
    const abs = new Float64Array(n * c);
    for (let i = 0; i < n * c; i++) {
      const j = i % c;
      const g = (scale[j] as number) * (gInv[j] as number);
      const t1 = g * (dy[i] as number);
      const t2 = (g * (sdy[j] as number)) / n;
      const t3 =
        (g * (gInv[j] as number) ** 2 * (sdyx[j] as number) * ((x[i] as number) - (gMean[j] as number))) / n;
      v[i] = t1 - t2 - t3;
      abs[i] = (Math.abs(t1) + Math.abs(t2) + Math.abs(t3)) * 10;
    }
    return { dx: { v, abs }, ds: sdyx.map((s, j) => s * (gInv[j] as number)), db: sdy };
  };
  const iMean = randArray(r, c);
  const iVar = randArray(r, c).map((v) => Math.abs(v) + 0.1);
  const withScale = r() < 0.7;
  const withOffset = r() < 0.7;
  const yi = sentinel(n * c);
  const inferRef = (): Float64Array =>
    Float64Array.from({ length: n * c }, (_, i) => {
      const j = i % c;
      const a = (withScale ? (scale[j] as number) : 1) / Math.sqrt((iVar[j] as number) + eps);
      return ((x[i] as number) - (iMean[j] as number)) * a + (withOffset ? (offset[j] as number) : 0);
    });
  return [
    {
      fn: 'bnTrain',
      args: [x, scale, offset, y, mean, variance, inv, eps],
      check: () => {
        if (n === 0) return null;
        const t = trainRef();
        return (
          compare('bnTrain mean', mean, t.mu) ??
          compare('bnTrain invStd', inv, t.iv) ??
          compare('bnTrain y', y, t.y)
        );
      },
    },
    {
      fn: 'bnTrainGrad',
      args: [dy, x, scale, gMean, gInv, dx, dScale, dOffset],
      check: () => {
        if (n === 0) return null;
        const g = gradRef();
        return (
          compare('bnTrainGrad dOffset', dOffset, g.db) ??
          compare('bnTrainGrad dScale', dScale, g.ds) ??
          compare('bnTrainGrad dx', dx, g.dx)
        );
      },
    },
    {
      fn: 'bnInfer',
      args: [x, iMean, iVar, withScale ? scale : null, withOffset ? offset : null, yi, eps],
      check: () => compare('bnInfer', yi, inferRef()),
    },
  ];
}

export function eltCases(r: Rand): Case[] {
  const len = r() < 0.08 ? int(r, 1 << 15, 3 << 15) : int(r, 0, 500);
  const x = randArray(r, len);
  if (len > 2) {
    x[0] = -0;
    x[1] = Number.NaN;
  }
  const y = sentinel(len);
  const outer = int(r, 1, 8);
  const inners = Array.from({ length: int(r, 1, 5) }, () => int(r, 0, 9));
  const total = inners.reduce((s, v) => s + v, 0);
  const parts = inners.map((v) => randArray(r, outer * v));
  const whole = sentinel(outer * total);
  const src = randArray(r, outer * total);
  const outs = inners.map((v) => sentinel(outer * v));
  const rows = (arrs: Float32Array[]): Float64Array => {
    const res = new Float64Array(outer * total);
    let o = 0;
    for (let row = 0; row < outer; row++)
      arrs.forEach((a, k) => {
        const inner = inners[k] as number;
        for (let j = 0; j < inner; j++) res[o++] = a[row * inner + j] as number;
      });
    return res;
  };
  const cap = r() < 0.5 ? undefined : 6;
  if (len > 4) x[2] = 6.5;
  return [
    {
      fn: 'relu',
      args: cap === undefined ? [x, y] : [x, y, cap],
      check: () =>
        compare(
          'relu',
          y,
          Float64Array.from(x, (v) => (Number.isNaN(v) ? v : v > 0 ? Math.min(v, cap ?? Infinity) : 0)),
        ) ?? (len > 2 && !Object.is(y[0], 0) ? `relu(-0) gave ${y[0]}, not +0` : null),
    },
    { fn: 'concat', args: [whole, parts, outer], check: () => compare('concat', whole, rows(parts)) },
    {
      fn: 'split',
      args: [src, outs, outer],
      check: () => compare('split', Float32Array.from(rows(outs)), Float64Array.from(src)),
    },
  ];
}

export function poolCase(r: Rand): Case {
  const p = randConv(r, false);
  const c = int(r, 1, 6);
  const fh = (p.kh - 1) * p.dh + 1;
  const fw = (p.kw - 1) * p.dw + 1;
  const q = Int32Array.from([p.n, p.h, p.w, c, p.ho, p.wo, fh, fw, p.sh, p.sw, p.dh, p.dw, p.pt, p.pl]);
  const x = randArray(r, p.n * p.h * p.w * c).map((v) => (r() < 0.2 ? -1 : v)); // ties and negative windows
  const dy = randArray(r, p.n * p.ho * p.wo * c);
  const dx = sentinel(x.length);
  return {
    fn: 'maxPoolGrad',
    args: [dy, x, dx, q],
    check: () => compare('maxPoolGrad', dx, maxPoolGradRef(q, dy, x)),
  };
}

export { activate };
