// Float64 references of every native entry point, written from the definitions (not from
// the addon's algorithms), with the same parameter layouts; used by the fuzz child.

/** The 16 convolution parameters, as the addon reads them. */
export interface ConvP {
  n: number;
  h: number;
  w: number;
  cin: number;
  ho: number;
  wo: number;
  cout: number;
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

export const convArray = (p: ConvP): Int32Array =>
  Int32Array.from([
    p.n,
    p.h,
    p.w,
    p.cin,
    p.ho,
    p.wo,
    p.cout,
    p.kh,
    p.kw,
    p.sh,
    p.sw,
    p.dh,
    p.dw,
    p.pt,
    p.pl,
    p.act,
  ]);

export function activate(v: number, act: number, alpha: number): number {
  if (act === 1) return v > 0 ? v : 0;
  if (act === 2) return Math.min(Math.max(v, 0), 6);
  if (act === 3) return v < 0 ? v * alpha : v;
  return v;
}

/**
 * Visits every (output pixel, tap, input pixel) triple of a convolution: out index base,
 * input index base and filter index base (channels are added by the caller).
 */
function eachTap(p: ConvP, f: (o: number, i: number, k: number) => void): void {
  for (let b = 0; b < p.n; b++)
    for (let oy = 0; oy < p.ho; oy++)
      for (let ox = 0; ox < p.wo; ox++)
        for (let ky = 0; ky < p.kh; ky++) {
          const iy = oy * p.sh - p.pt + ky * p.dh;
          if (iy < 0 || iy >= p.h) continue;
          for (let kx = 0; kx < p.kw; kx++) {
            const ix = ox * p.sw - p.pl + kx * p.dw;
            if (ix < 0 || ix >= p.w) continue;
            f(
              ((b * p.ho + oy) * p.wo + ox) * p.cout,
              ((b * p.h + iy) * p.w + ix) * p.cin,
              (ky * p.kw + kx) * p.cin,
            );
          }
        }
}

/** Reference values and, per value, the sum of the absolute terms (the scale of its rounding). */
export interface Ref {
  v: Float64Array;
  abs: Float64Array;
}

export function convRef(
  p: ConvP,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  alpha: number,
): Ref {
  const size = p.n * p.ho * p.wo * p.cout;
  const v = new Float64Array(size);
  const abs = new Float64Array(size);
  eachTap(p, (o, i, k) => {
    for (let ci = 0; ci < p.cin; ci++) {
      const xv = x[i + ci] as number;
      const wb = (k + ci) * p.cout;
      for (let co = 0; co < p.cout; co++) {
        const t = xv * (w[wb + co] as number);
        v[o + co] += t;
        abs[o + co] += Math.abs(t);
      }
    }
  });
  for (let o = 0; o < size; o++) {
    const bv = bias == null ? 0 : (bias[o % p.cout] as number);
    v[o] = activate((v[o] as number) + bv, p.act, alpha);
    abs[o] += Math.abs(bv);
  }
  return { v, abs };
}

export function convDxRef(p: ConvP, dy: Float32Array, w: Float32Array): Ref {
  const size = p.n * p.h * p.w * p.cin;
  const v = new Float64Array(size);
  const abs = new Float64Array(size);
  eachTap(p, (o, i, k) => {
    for (let ci = 0; ci < p.cin; ci++) {
      const wb = (k + ci) * p.cout;
      for (let co = 0; co < p.cout; co++) {
        const t = (dy[o + co] as number) * (w[wb + co] as number);
        v[i + ci] += t;
        abs[i + ci] += Math.abs(t);
      }
    }
  });
  return { v, abs };
}

export function convDwRef(p: ConvP, x: Float32Array, dy: Float32Array): Ref {
  const size = p.kh * p.kw * p.cin * p.cout;
  const v = new Float64Array(size);
  const abs = new Float64Array(size);
  eachTap(p, (o, i, k) => {
    for (let ci = 0; ci < p.cin; ci++) {
      const wb = (k + ci) * p.cout;
      const xv = x[i + ci] as number;
      for (let co = 0; co < p.cout; co++) {
        const t = xv * (dy[o + co] as number);
        v[wb + co] += t;
        abs[wb + co] += Math.abs(t);
      }
    }
  });
  return { v, abs };
}

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
