import { checkOneOf, checkRange } from '../util/checks';
import type { Rng } from '../util/random';
import {
  PHANTOM_DIFFICULTIES,
  type PhantomArrays,
  type PhantomDifficulty,
  type PhantomSet,
} from './phantom-types';
import { paintPhantoms, phantomTensors } from './phantom-batch';
import {
  addNoise,
  checkPair,
  type Ellipse,
  forEachInEllipse,
  pick,
  pickInt,
  softProfile,
} from './phantom-draw';

/** Difficulty knobs of {@link xrayPhantoms}; sizes in normalised units (image half-width = 1). */
export interface XrayDifficultyOptions {
  /** Preset the knobs below start from. Default 'medium'. */
  difficulty?: PhantomDifficulty;
  /** [min, max] number of opacity patches on a positive image. medium: [1, 3]. */
  lesionCount?: [number, number];
  /** [min, max] patch radius. medium: [0.1, 0.2]. */
  lesionSize?: [number, number];
  /** [min, max] patch brightness above the lung, in grey levels. medium: [35, 65]. */
  opacity?: [number, number];
  /** Gaussian noise standard deviation in grey levels. medium: 5. */
  noiseStd?: number;
  /** Probability (either class) of 1-3 small round distractors (nodules, nipple shadows). medium: 0.5. */
  distractorRate?: number;
  /** Exposure variation (gain and gamma spread), 0..1. medium: 1. */
  exposureJitter?: number;
}

/** Options of {@link xrayPhantoms}. */
export interface XrayPhantomOptions extends XrayDifficultyOptions {
  /** Number of images. */
  n: number;
  /** Height and width in pixels. Default 64. */
  size?: number;
  /** Seed; equal seeds and options give identical data. Default: random. */
  seed?: number;
  /** Fraction of pneumonia-like (label 1) images; exactly round(n * fraction). Default 0.5. */
  positiveFraction?: number;
}

type XrayKnobs = Required<Omit<XrayDifficultyOptions, 'difficulty'>>;

const PRESETS: Record<PhantomDifficulty, XrayKnobs> = {
  easy: {
    lesionCount: [2, 4],
    lesionSize: [0.14, 0.26],
    opacity: [50, 80],
    noiseStd: 3,
    distractorRate: 0.2,
    exposureJitter: 0.5,
  },
  // Between easy and medium.
  moderate: {
    lesionCount: [2, 3],
    lesionSize: [0.12, 0.23],
    opacity: [42, 72],
    noiseStd: 4,
    distractorRate: 0.35,
    exposureJitter: 0.75,
  },
  medium: {
    lesionCount: [1, 3],
    lesionSize: [0.1, 0.2],
    opacity: [35, 65],
    noiseStd: 5,
    distractorRate: 0.5,
    exposureJitter: 1,
  },
  hard: {
    lesionCount: [1, 2],
    lesionSize: [0.07, 0.14],
    opacity: [15, 35],
    noiseStd: 8,
    distractorRate: 0.8,
    exposureJitter: 1,
  },
};

function resolve(opts: XrayDifficultyOptions, fn: string): XrayKnobs {
  const difficulty = opts.difficulty ?? 'medium';
  checkOneOf(difficulty, PHANTOM_DIFFICULTIES, 'difficulty', fn);
  const k: XrayKnobs = { ...PRESETS[difficulty] };
  for (const key of Object.keys(k) as Array<keyof XrayKnobs>) {
    if (opts[key] !== undefined) (k as unknown as Record<string, unknown>)[key] = opts[key];
  }
  checkPair(k.lesionCount, 'lesionCount', fn, 0);
  checkPair(k.lesionSize, 'lesionSize', fn, 0);
  checkPair(k.opacity, 'opacity', fn, 0);
  checkRange(k.noiseStd, 'noiseStd', fn, { lo: 0 });
  checkRange(k.distractorRate, 'distractorRate', fn, { lo: 0, hi: 1 });
  checkRange(k.exposureJitter, 'exposureJitter', fn, { lo: 0, hi: 1 });
  return k;
}

/** Paint one radiograph into `buf` (grey levels) and its opacity mask into `mask`. */
function paintRadiograph(
  buf: Float32Array,
  mask: Float32Array,
  size: number,
  positive: boolean,
  k: XrayKnobs,
  rng: Rng,
): void {
  const j = (amount: number): number => 1 + amount * rng.uniform(-1, 1);
  const lungs: Ellipse[] = [-1, 1].map((sigma) => ({
    cx: sigma * 0.36 * j(0.05) + 0.03 * rng.uniform(-1, 1),
    cy: -0.06 * j(0.3),
    a: 0.27 * j(0.08),
    b: 0.56 * j(0.06),
    theta: sigma * -0.06,
  }));
  const heart: Ellipse = {
    cx: 0.1 * j(0.3),
    cy: 0.24 * j(0.1),
    a: 0.34 * j(0.12),
    b: 0.25 * j(0.1),
    theta: -0.25,
  };
  const ribY0 = -0.72 + 0.04 * rng.uniform(-1, 1);
  const ribGap = 0.13 * j(0.08);
  const lungField = new Float32Array(size * size);
  // Ribs no thinner than about a pixel, so low resolutions do not alias them into stripes.
  const ribWidth = Math.max(0.028, 1.6 / size);
  const ribCurve = new Float32Array(size);
  for (let jx = 0; jx < size; jx++) {
    const ax = Math.abs(((jx + 0.5) / size) * 2 - 1);
    ribCurve[jx] = 0.35 * Math.pow(Math.max(0, ax - 0.08), 1.6);
  }

  for (let i = 0; i < size; i++) {
    const y = ((i + 0.5) / size) * 2 - 1;
    for (let jx = 0; jx < size; jx++) {
      const x = ((jx + 0.5) / size) * 2 - 1;
      const idx = i * size + jx;
      // Soft-tissue thickness across a torso (plus neck), brighter where thicker.
      const qb = Math.hypot(x / 0.95, (y - 0.25) / 1.12);
      const qn = Math.hypot(x / 0.2, (y + 0.95) / 0.3);
      let v = 10;
      const body = softProfile(qb, 0.02);
      v += body * (70 + 45 * Math.sqrt(Math.max(0, 1 - qb * qb))) + (1 - body) * softProfile(qn, 0.05) * 90;
      // Spine behind the mediastinum.
      v += body * 30 * Math.exp(-((x / 0.08) ** 2));
      let lf = 0;
      for (const l of lungs) {
        const u = (x - l.cx) / l.a;
        const w = (y - l.cy) / l.b;
        lf = Math.max(lf, softProfile(Math.hypot(u, w * (w < 0 ? 1.1 : 1)), 0.05));
      }
      lungField[idx] = lf;
      v -= 62 * lf;
      // Posterior ribs: arcs that sweep down and out from the spine.
      if (body > 0.2) {
        const ax = Math.abs(x);
        if (ax > 0.06 && ax < 0.78) {
          const rel = (y - ribY0 - (ribCurve[jx] as number)) / ribGap;
          const r = Math.round(rel);
          if (r >= 0 && r < 9) {
            const d = ((rel - r) * ribGap) / ribWidth;
            v += 14 * Math.exp(-d * d) * body;
          }
        }
        // Clavicles.
        const yc = -0.7 - 0.25 * (ax - 0.35);
        const d = (y - yc) / 0.03;
        if (ax > 0.05 && ax < 0.6 && d > -3 && d < 3) v += 22 * Math.exp(-d * d);
      }
      buf[idx] = v;
    }
  }
  // Heart and hila over the medial lungs.
  forEachInEllipse(size, heart, 1.5, (idx, q) => {
    buf[idx] = (buf[idx] as number) + 36 * softProfile(q, 0.08);
  });
  // Vascular markings radiating from the hila.
  for (const [s, l] of lungs.entries()) {
    const sigma = s === 0 ? -1 : 1;
    const hx = l.cx - sigma * 0.6 * l.a;
    const count = 6 + rng.int(5);
    for (let m = 0; m < count; m++) {
      const ang = rng.uniform(-1.2, 1.2);
      const len = rng.uniform(0.15, 0.35);
      const dir = { x: sigma * Math.cos(ang), y: Math.sin(ang) };
      const e: Ellipse = {
        cx: hx + (dir.x * len) / 2,
        cy: l.cy + 0.05 + (dir.y * len) / 2,
        a: len / 2,
        b: 0.018,
        theta: Math.atan2(dir.y, dir.x),
      };
      forEachInEllipse(size, e, 1.4, (idx, q) => {
        buf[idx] = (buf[idx] as number) + 10 * Math.exp(-2 * q * q) * (lungField[idx] as number);
      });
    }
  }
  // Distractors in either class: small sharp round densities.
  if (rng.bernoulli(k.distractorRate)) {
    const count = 1 + rng.int(3);
    for (let c = 0; c < count; c++) {
      const l = lungs[rng.int(2)] as Ellipse;
      const e: Ellipse = {
        cx: l.cx + rng.uniform(-0.7, 0.7) * l.a,
        cy: l.cy + rng.uniform(-0.6, 0.7) * l.b,
        a: rng.uniform(0.025, 0.05),
        b: 0,
        theta: 0,
      };
      e.b = e.a;
      const amp = rng.uniform(12, 30);
      forEachInEllipse(size, e, 1.3, (idx, q) => {
        buf[idx] = (buf[idx] as number) + amp * softProfile(q, 0.08);
      });
    }
  }
  if (positive) {
    const opac = new Float32Array(size * size);
    const count = Math.max(1, pickInt(rng, k.lesionCount));
    for (let c = 0; c < count; c++) {
      const l = lungs[rng.int(2)] as Ellipse;
      // Pneumonia favours the lower and middle zones.
      const cx = l.cx + rng.uniform(-0.6, 0.6) * l.a;
      const cy = l.cy + rng.uniform(-0.3, 0.75) * l.b;
      const r = pick(rng, k.lesionSize);
      const amp = pick(rng, k.opacity);
      const f1 = rng.uniform(25, 45);
      const f2 = rng.uniform(25, 45);
      const p1 = rng.uniform(0, 6.3);
      const p2 = rng.uniform(0, 6.3);
      const blobs = 2 + rng.int(4);
      for (let b = 0; b < blobs; b++) {
        const e: Ellipse = {
          cx: cx + rng.uniform(-0.7, 0.7) * r,
          cy: cy + rng.uniform(-0.7, 0.7) * r,
          a: r * rng.uniform(0.5, 0.9),
          b: r * rng.uniform(0.5, 0.9),
          theta: rng.uniform(0, Math.PI),
        };
        forEachInEllipse(size, e, 2.2, (idx, q, _d, u, w) => {
          const lf = lungField[idx] as number;
          if (lf < 0.05) return;
          // Fluffy alveolar texture: a smooth random modulation of the patch.
          const tex = 0.85 + 0.15 * Math.sin(f1 * u * e.a + p1) * Math.sin(f2 * w * e.b + p2);
          const p = softProfile(q, 0.25) * lf;
          // Overlapping blobs merge (max), so a patch peaks at its amplitude.
          const o = amp * p * tex;
          if (o > (opac[idx] as number)) opac[idx] = o;
          if (p > (mask[idx] as number)) mask[idx] = p;
        });
      }
    }
    for (let p = 0; p < opac.length; p++) buf[p] = (buf[p] as number) + (opac[p] as number);
  }
  // Exposure: gain and gamma differ between machines and patients.
  const gain = 1 + 0.12 * k.exposureJitter * rng.uniform(-1, 1);
  const gamma = 1 + 0.2 * k.exposureJitter * rng.uniform(-1, 1);
  addNoise(buf, rng, k.noiseStd);
  for (let p = 0; p < buf.length; p++) {
    const v = Math.max(0, Math.min(255, buf[p] as number)) / 255;
    buf[p] = Math.max(0, Math.min(255, 255 * gain * Math.pow(v, gamma)));
    mask[p] = (mask[p] as number) >= 0.5 ? 1 : 0;
  }
}

/** {@link xrayPhantoms} as plain typed arrays (no tensors). */
export function xrayPhantomArrays(options: XrayPhantomOptions): PhantomArrays {
  const fn = 'xrayPhantoms';
  return paintPhantoms(options, fn, (size) => {
    const k = resolve(options, fn);
    return (image, mask, positive, rng) => paintRadiograph(image, mask, size, positive, k, rng);
  });
}

/**
 * Synthetic frontal chest radiographs (grey levels 0..255, like an 8-bit Kermany image):
 * torso and neck soft tissue, dark lung fields with domed bases, heart and mediastinum,
 * spine, posterior ribs and clavicles, hilar vascular markings. Positives (label 1) carry
 * pneumonia-like patchy, fluffy airspace opacities, favouring the middle and lower zones.
 * Round distractors (nodules, nipple shadows) occur in either class; exposure (gain and
 * gamma) varies per image; then Gaussian noise.
 *
 * Difficulty: `difficulty` picks a preset; `lesionCount`, `lesionSize`, `opacity`,
 * `noiseStd`, `distractorRate`, `exposureJitter` override it.
 *
 * @returns `images` `[n, size, size, 1]` in 0..255, `labels` `[n]` int32, `masks` `[n, size, size, 1]`.
 */
export function xrayPhantoms(options: XrayPhantomOptions): PhantomSet {
  return phantomTensors(xrayPhantomArrays(options));
}
