/**
 * A small, fast, seedable pseudo-random generator (mulberry32 for uniforms) with the
 * distributions augmentations, initialisers and splits need. Every random choice in
 * medinets goes through one of these so that a seed makes a run repeat exactly.
 */
export class Rng {
  private state: number;
  private spareNormal: number | null = null;

  /**
   * Create a generator.
   * @param seed any finite number; equal seeds give equal sequences.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: 'seed' must be a finite number; got ${seed}`);
    // Fold the seed (possibly fractional or large) into 32 bits.
    this.state = (Math.floor(seed) ^ 0x9e3779b9 ^ Math.floor((seed % 1) * 2 ** 32)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, caching the second value), scaled to mean / std. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, 1) by Marsaglia-Tsang (with the shape < 1 boost). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new Error(`Rng.gamma: 'shape' must be > 0; got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.next() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) from two gammas. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i] as T;
      arr[i] = arr[j] as T;
      arr[j] = t;
    }
    return arr;
  }

  /** A new seed drawn from this generator, for handing to a child generator or a tf op. */
  seed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }
}

/** A generator from a seed, or a fresh one seeded from Math.random when none is given. */
export function makeRng(seed?: number | Rng): Rng {
  if (seed instanceof Rng) return seed;
  return new Rng(seed ?? Math.floor(Math.random() * 2 ** 31));
}
