/**
 * Internal rasteriser shared by the phantom generators. Shapes live in normalised
 * coordinates (x, y in [-1, 1], y pointing down, so the top of an axial CT slice is
 * anterior) and are painted onto a `size x size` Float32Array with partial-volume edges.
 * Not re-exported: the public surface is the phantom functions.
 */
import type { Rng } from '../util/random';

/** An ellipse in normalised coordinates; `theta` rotates it (radians). */
export interface Ellipse {
  cx: number;
  cy: number;
  a: number;
  b: number;
  theta: number;
}

/**
 * Visit every pixel whose centre lies within `reach` (in units of the ellipse's own radius,
 * 1 = on the boundary) and hand the normalised radius q (0 centre, 1 boundary) and the
 * signed distance to the boundary in pixels to `fn`.
 */
export function forEachInEllipse(
  size: number,
  e: Ellipse,
  reach: number,
  fn: (idx: number, q: number, dPix: number, u: number, v: number) => void,
): void {
  const px = 2 / size;
  const r = Math.max(e.a, e.b) * reach + px;
  const c = Math.cos(e.theta);
  const s = Math.sin(e.theta);
  const j0 = Math.max(0, Math.floor(((e.cx - r + 1) / 2) * size));
  const j1 = Math.min(size - 1, Math.ceil(((e.cx + r + 1) / 2) * size));
  const i0 = Math.max(0, Math.floor(((e.cy - r + 1) / 2) * size));
  const i1 = Math.min(size - 1, Math.ceil(((e.cy + r + 1) / 2) * size));
  const minAxis = Math.min(e.a, e.b);
  for (let i = i0; i <= i1; i++) {
    const y = ((i + 0.5) / size) * 2 - 1 - e.cy;
    for (let j = j0; j <= j1; j++) {
      const x = ((j + 0.5) / size) * 2 - 1 - e.cx;
      const u = (x * c + y * s) / e.a;
      const v = (-x * s + y * c) / e.b;
      const q = Math.sqrt(u * u + v * v);
      if (q > reach) continue;
      fn(i * size + j, q, ((q - 1) * minAxis) / px, u, v);
    }
  }
}

/** Coverage of a pixel by a hard-edged shape from its signed distance (anti-aliasing). */
export function coverage(dPix: number): number {
  const c = 0.5 - dPix;
  return c <= 0 ? 0 : c >= 1 ? 1 : c;
}

/** Paint a uniform ellipse of `value`, blending its partial-volume edge; returns nothing. */
export function fillEllipse(buf: Float32Array, size: number, e: Ellipse, value: number): void {
  forEachInEllipse(size, e, 1 + (2 * 2) / size / Math.min(e.a, e.b), (idx, _q, d) => {
    const c = coverage(d);
    if (c > 0) buf[idx] = (buf[idx] as number) * (1 - c) + value * c;
  });
}

/** Like {@link fillEllipse} but also records coverage into `cov` (max with what is there). */
export function fillEllipseTracked(
  buf: Float32Array,
  cov: Float32Array,
  size: number,
  e: Ellipse,
  value: number,
): void {
  forEachInEllipse(size, e, 1 + (2 * 2) / size / Math.min(e.a, e.b), (idx, _q, d) => {
    const c = coverage(d);
    if (c > 0) {
      buf[idx] = (buf[idx] as number) * (1 - c) + value * c;
      if (c > (cov[idx] as number)) cov[idx] = c;
    }
  });
}

/** Paint an ellipse and scale `cov` down by its coverage (an organ pushing into the lung). */
export function carveEllipse(
  buf: Float32Array,
  cov: Float32Array,
  size: number,
  e: Ellipse,
  value: number,
): void {
  forEachInEllipse(size, e, 1 + (2 * 2) / size / Math.min(e.a, e.b), (idx, _q, d) => {
    const c = coverage(d);
    if (c > 0) {
      buf[idx] = (buf[idx] as number) * (1 - c) + value * c;
      cov[idx] = (cov[idx] as number) * (1 - c);
    }
  });
}

/** Logistic soft edge: 1 inside, 0.5 on the boundary, width `soft` in units of q. */
export function softProfile(q: number, soft: number): number {
  return 1 / (1 + Math.exp((q - 1) / soft));
}

/** A value from a [lo, hi] range. */
export function pick(rng: Rng, range: readonly [number, number]): number {
  return rng.uniform(range[0], range[1]);
}

/** An integer from an inclusive [lo, hi] range. */
export function pickInt(rng: Rng, range: readonly [number, number]): number {
  return range[0] + rng.int(range[1] - range[0] + 1);
}

/** Index of a category drawn with the given (unnormalised) weights. */
export function pickWeighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let r = rng.uniform(0, total);
  for (let k = 0; k < weights.length; k++) {
    r -= weights[k] as number;
    if (r < 0) return k;
  }
  return weights.length - 1;
}

/** Add independent Gaussian noise of standard deviation `std`. */
export function addNoise(buf: Float32Array, rng: Rng, std: number): void {
  if (std <= 0) return;
  for (let k = 0; k < buf.length; k++) buf[k] = (buf[k] as number) + rng.normal(0, std);
}

/** Exactly round(n * fraction) ones, shuffled by `rng`. */
export function balancedLabels(n: number, fraction: number, rng: Rng): Int32Array {
  const pos = Math.round(n * fraction);
  const arr: number[] = [];
  for (let k = 0; k < n; k++) arr.push(k < pos ? 1 : 0);
  rng.shuffle(arr);
  return Int32Array.from(arr);
}

/** Validate a [lo, hi] option. */
export function checkPair(v: readonly [number, number], arg: string, fn: string, lo = -Infinity): void {
  if (!Array.isArray(v) || v.length !== 2 || !(v[0] <= v[1]) || !(v[0] >= lo) || !Number.isFinite(v[1])) {
    throw new Error(
      `${fn}: '${arg}' must be a [min, max] pair with ${lo} <= min <= max; got ${JSON.stringify(v)}`,
    );
  }
}
