// Float64 references of every native entry point, written from the definitions (not from
// the addon's algorithms), with the same parameter layouts; used by the fuzz child and the
// kernel tests.

/** What a convolution and a depthwise convolution share: extents, taps, steps, padding. */
interface Geometry {
  n: number;
  h: number;
  w: number;
  ho: number;
  wo: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  act: number;
}

/** The 16 convolution parameters, as the addon reads them. */
export interface ConvP extends Geometry {
  cin: number;
  cout: number;
}

/** The 16 depthwise parameters, as the addon reads them: channels c, multiplier m. */
export interface DwP extends Geometry {
  c: number;
  m: number;
}

/** The 16 parameters in the addon's order (native/bindings-conv.c, bindings-depthwise.c). */
const CONV_KEYS = [
  'n',
  'h',
  'w',
  'cin',
  'ho',
  'wo',
  'cout',
  'kh',
  'kw',
  'sh',
  'sw',
  'dh',
  'dw',
  'pt',
  'pl',
  'act',
];
const DW_KEYS = ['n', 'h', 'w', 'c', 'ho', 'wo', 'm', 'kh', 'kw', 'sh', 'sw', 'dh', 'dw', 'pt', 'pl', 'act'];

const toArray = (keys: string[], p: object): Int32Array =>
  Int32Array.from(keys.map((k) => (p as Record<string, number>)[k] as number));
const fromArray = <T>(keys: string[], q: ArrayLike<number>): T =>
  Object.fromEntries(keys.map((k, i) => [k, q[i] as number])) as T;

export const convArray = (p: ConvP): Int32Array => toArray(CONV_KEYS, p);
export const convFromArray = (q: ArrayLike<number>): ConvP => fromArray<ConvP>(CONV_KEYS, q);
export const dwArray = (p: DwP): Int32Array => toArray(DW_KEYS, p);
export const dwFromArray = (q: ArrayLike<number>): DwP => fromArray<DwP>(DW_KEYS, q);

export function activate(v: number, act: number, alpha: number): number {
  if (act === 1) return v > 0 ? v : 0;
  if (act === 2) return Math.min(Math.max(v, 0), 6);
  if (act === 3) return v < 0 ? v * alpha : v;
  return v;
}

/**
 * Visits every (output pixel, tap, input pixel) triple of a convolution: output pixel, input
 * pixel and tap indices (the caller multiplies by its channel counts).
 */
function eachTap(p: Geometry, f: (o: number, i: number, k: number) => void): void {
  for (let b = 0; b < p.n; b++)
    for (let oy = 0; oy < p.ho; oy++)
      for (let ox = 0; ox < p.wo; ox++)
        for (let ky = 0; ky < p.kh; ky++) {
          const iy = oy * p.sh - p.pt + ky * p.dh;
          if (iy < 0 || iy >= p.h) continue;
          for (let kx = 0; kx < p.kw; kx++) {
            const ix = ox * p.sw - p.pl + kx * p.dw;
            if (ix < 0 || ix >= p.w) continue;
            f((b * p.ho + oy) * p.wo + ox, (b * p.h + iy) * p.w + ix, ky * p.kw + kx);
          }
        }
}

/** Reference values and, per value, the sum of the absolute terms (the scale of its rounding). */
export interface Ref {
  v: Float64Array;
  abs: Float64Array;
}

/**
 * The three passes of a grouped convolution, from `terms`: for each (output pixel, input
 * pixel, tap), the (output element, input element, filter element) triples it multiplies.
 */
type Terms = (o: number, i: number, k: number, f: (oe: number, ie: number, we: number) => void) => void;

function sums(
  p: Geometry,
  size: number,
  terms: Terms,
  term: (oe: number, ie: number, we: number) => [number, number],
): Ref {
  const v = new Float64Array(size);
  const abs = new Float64Array(size);
  eachTap(p, (o, i, k) =>
    terms(o, i, k, (oe, ie, we) => {
      const [at, t] = term(oe, ie, we);
      v[at] += t;
      abs[at] += Math.abs(t);
    }),
  );
  return { v, abs };
}

/** + bias, activation, over outputs of `channels` channels. */
function finish(r: Ref, bias: Float32Array | null, channels: number, act: number, alpha: number): Ref {
  for (let o = 0; o < r.v.length; o++) {
    const bv = bias == null ? 0 : (bias[o % channels] as number);
    r.v[o] = activate((r.v[o] as number) + bv, act, alpha);
    r.abs[o] += Math.abs(bv);
  }
  return r;
}

/** A convolution's element triples: every input channel to every output channel. */
const convTerms =
  (p: ConvP): Terms =>
  (o, i, k, f) => {
    for (let ci = 0; ci < p.cin; ci++)
      for (let co = 0; co < p.cout; co++) f(o * p.cout + co, i * p.cin + ci, (k * p.cin + ci) * p.cout + co);
  };

/** A depthwise convolution's: output channel ch * m + q reads input channel ch. */
const dwTerms =
  (p: DwP): Terms =>
  (o, i, k, f) => {
    const cm = p.c * p.m;
    for (let j = 0; j < cm; j++) f(o * cm + j, i * p.c + Math.floor(j / p.m), k * cm + j);
  };

type Arr = Float32Array;
const at = (a: Arr, i: number): number => a[i] as number;

export const convRef = (p: ConvP, x: Arr, w: Arr, bias: Arr | null, alpha: number): Ref =>
  finish(
    sums(p, p.n * p.ho * p.wo * p.cout, convTerms(p), (oe, ie, we) => [oe, at(x, ie) * at(w, we)]),
    bias,
    p.cout,
    p.act,
    alpha,
  );
export const convDxRef = (p: ConvP, dy: Arr, w: Arr): Ref =>
  sums(p, p.n * p.h * p.w * p.cin, convTerms(p), (oe, ie, we) => [ie, at(dy, oe) * at(w, we)]);
export const convDwRef = (p: ConvP, x: Arr, dy: Arr): Ref =>
  sums(p, p.kh * p.kw * p.cin * p.cout, convTerms(p), (oe, ie, we) => [we, at(x, ie) * at(dy, oe)]);

export const dwRef = (p: DwP, x: Arr, w: Arr, bias: Arr | null, alpha: number): Ref =>
  finish(
    sums(p, p.n * p.ho * p.wo * p.c * p.m, dwTerms(p), (oe, ie, we) => [oe, at(x, ie) * at(w, we)]),
    bias,
    p.c * p.m,
    p.act,
    alpha,
  );
export const dwDxRef = (p: DwP, dy: Arr, w: Arr): Ref =>
  sums(p, p.n * p.h * p.w * p.c, dwTerms(p), (oe, ie, we) => [ie, at(dy, oe) * at(w, we)]);
export const dwDwRef = (p: DwP, x: Arr, dy: Arr): Ref =>
  sums(p, p.kh * p.kw * p.c * p.m, dwTerms(p), (oe, ie, we) => [we, at(x, ie) * at(dy, oe)]);

/** A batched product with numpy broadcasting over padA / padB (same rank). */
export function matmulRef(
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  padA: number[],
  padB: number[],
  m: number,
  n: number,
  k: number,
  tA: boolean,
  tB: boolean,
  act: number,
  alpha: number,
): Ref {
  const outer = padA.map((d, i) => (d === 1 ? (padB[i] as number) : d));
  const batch = outer.reduce((s, d) => s * d, 1);
  const v = new Float64Array(batch * m * n);
  const abs = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    let rem = i;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let d = outer.length - 1; d >= 0; d--) {
      const od = outer[d] as number;
      const idx = rem % od;
      rem = Math.floor(rem / od);
      if (padA[d] !== 1) ia += idx * sa;
      if (padB[d] !== 1) ib += idx * sb;
      sa *= padA[d] as number;
      sb *= padB[d] as number;
    }
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        let sAbs = 0;
        for (let q = 0; q < k; q++) {
          const av = a[ia * m * k + (tA ? q * m + r : r * k + q)] as number;
          const bv = b[ib * k * n + (tB ? c * k + q : q * n + c)] as number;
          s += av * bv;
          sAbs += Math.abs(av * bv);
        }
        const bv = bias == null ? 0 : (bias[c] as number);
        const o = (i * m + r) * n + c;
        v[o] = activate(s + bv, act, alpha);
        abs[o] = sAbs + Math.abs(bv);
      }
  }
  return { v, abs };
}

/** Max-pool gradient: each dy value to the first maximum of its window (row-major), NaN-free input. */
export function maxPoolGradRef(q: Int32Array, dy: Float32Array, x: Float32Array): Float64Array {
  const [n, h, w, c, ho, wo, fh, fw, sh, sw, dh, dw, pt, pl] = Array.from(q) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const dx = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let pos = -1;
          for (let ky = 0; ky < fh; ky += dh) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < fw; kx += dw) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= w) continue;
              const idx = ((b * h + iy) * w + ix) * c + ch;
              if ((x[idx] as number) > best) {
                best = x[idx] as number;
                pos = idx;
              }
            }
          }
          if (pos >= 0) dx[pos] += dy[((b * ho + oy) * wo + ox) * c + ch] as number;
        }
  return dx;
}
