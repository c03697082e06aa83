/**
 * Internal painter of one chest-CT-like axial slice in Hounsfield units, shared by
 * {@link ctPhantoms} and {@link ctSeriesPhantoms}. Anatomy is described at a height
 * `z` (0 = lung apex, 1 = lung base) so a series can sweep it; lesions are described
 * relative to a lung so that a 3D lesion can be sliced.
 */
import type { Rng } from '../util/random';
import {
  addNoise,
  carveEllipse,
  coverage,
  type Ellipse,
  fillEllipse,
  fillEllipseTracked,
  forEachInEllipse,
  softProfile,
} from './phantom-draw';

/** Hounsfield values of the tissues (textbook numbers). */
export const HU = {
  air: -1000,
  lung: -860,
  fat: -100,
  soft: 40,
  blood: 45,
  boneCortex: 700,
  boneMarrow: 250,
} as const;

/** The per-patient body plan; `jitter` (0..1) scales how much patients differ. */
export interface CtBodyPlan {
  cx: number;
  cy: number;
  a: number;
  b: number;
  theta: number;
  fat: number;
  lungA: [number, number];
  lungB: [number, number];
  lungDx: [number, number];
  heartScale: number;
  gradient: number;
  ribPhase: number;
}

/** Draw a body plan for one patient. */
export function sampleBodyPlan(rng: Rng, jitter: number): CtBodyPlan {
  const j = (amount = 1): number => 1 + amount * jitter * rng.uniform(-1, 1);
  return {
    cx: 0.03 * jitter * rng.uniform(-1, 1),
    cy: 0.03 + 0.03 * jitter * rng.uniform(-1, 1),
    a: 0.86 * j(0.06),
    b: 0.64 * j(0.08),
    theta: 0.05 * jitter * rng.uniform(-1, 1),
    fat: 0.045 + 0.05 * rng.next(),
    lungA: [0.28 * j(0.08), 0.26 * j(0.08)],
    lungB: [0.43 * j(0.06), 0.42 * j(0.06)],
    lungDx: [0.37 * j(0.05), 0.37 * j(0.05)],
    heartScale: j(0.12),
    gradient: 30 + 50 * rng.next(),
    ribPhase: rng.uniform(-0.25, 0.25),
  };
}

/** A finding placed relative to a lung: angle and radial fraction inside that lung's ellipse. */
export interface CtLesion {
  /** 0 = ground glass, 1 = crazy paving (GGO + septal lines), 2 = consolidation, 3 = nodule. */
  kind: 0 | 1 | 2 | 3;
  /** 0 = image-left lung (patient's right), 1 = image-right lung. */
  side: 0 | 1;
  phi: number;
  rf: number;
  /** Radius in normalised units (image half-width = 1). */
  r: number;
  aspect: number;
  theta: number;
  hu: number;
  soft: number;
  /** Septal line spacing for crazy paving, normalised units. */
  period: number;
  /** Extra blobs that make a patch irregular: offsets in units of r and relative sizes. */
  blobs: Array<[number, number, number]>;
  /** Whether it counts as a COVID-like finding (drawn into the mask). */
  finding: boolean;
}

/** The lungs' ellipses at height z. */
export function lungEllipses(plan: CtBodyPlan, z: number): [Ellipse, Ellipse] {
  // Lungs are small at the apex, widest in the middle, narrower at the bases.
  const s = 0.45 + 0.55 * Math.sin(Math.PI * (0.08 + 0.84 * z));
  const mk = (k: 0 | 1): Ellipse => {
    const sigma = k === 0 ? -1 : 1;
    return {
      cx: plan.cx + sigma * plan.lungDx[k] * (0.85 + 0.15 * s),
      cy: plan.cy - 0.04,
      a: plan.lungA[k] * s,
      b: plan.lungB[k] * (0.7 + 0.3 * s),
      theta: plan.theta + sigma * 0.12,
    };
  };
  return [mk(0), mk(1)];
}

/** Where a lesion's centre falls at height z, and its cross-section scale (0 = absent). */
export function placeLesion(lesion: CtLesion, lungs: [Ellipse, Ellipse], scale = 1): Ellipse | null {
  if (scale <= 0) return null;
  const lung = lungs[lesion.side];
  const sigma = lesion.side === 0 ? -1 : 1;
  const ux = sigma * Math.cos(lesion.phi) * lesion.rf * lung.a;
  const uy = Math.sin(lesion.phi) * lesion.rf * lung.b;
  const c = Math.cos(lung.theta);
  const s = Math.sin(lung.theta);
  return {
    cx: lung.cx + ux * c - uy * s,
    cy: lung.cy + ux * s + uy * c,
    a: lesion.r * scale * lesion.aspect,
    b: (lesion.r * scale) / lesion.aspect,
    theta: lesion.theta,
  };
}

/** Paint the anatomy at height z; returns the lung coverage map (0..1 per pixel). */
export function paintAnatomy(
  buf: Float32Array,
  size: number,
  plan: CtBodyPlan,
  z: number,
  rng: Rng,
): Float32Array {
  buf.fill(HU.air);
  const lungCov = new Float32Array(size * size);
  const body: Ellipse = { cx: plan.cx, cy: plan.cy, a: plan.a, b: plan.b, theta: plan.theta };
  fillEllipse(buf, size, body, HU.fat);
  fillEllipse(buf, size, { ...body, a: plan.a - plan.fat, b: plan.b - plan.fat }, HU.soft);

  const lungs = lungEllipses(plan, z);
  // Ribs sit just outside each lung; which ones a slice cuts shifts with height.
  for (const [k, lung] of lungs.entries()) {
    const sigma = k === 0 ? -1 : 1;
    for (let r = 0; r < 5; r++) {
      const phi = -1.1 + r * 0.62 + plan.ribPhase + 0.3 * Math.sin(7 * z + r);
      const ca = Math.cos(phi);
      const sa = Math.sin(phi);
      const cx = lung.cx + sigma * ca * (lung.a + 0.07);
      const cy = lung.cy + sa * (lung.b + 0.07);
      const rib: Ellipse = {
        cx,
        cy,
        a: 0.05,
        b: 0.022,
        theta: Math.atan2(sigma * ca * lung.b, -sa * lung.a),
      };
      fillEllipse(buf, size, rib, HU.boneCortex);
    }
  }
  fillEllipse(
    buf,
    size,
    { cx: plan.cx, cy: plan.cy - plan.b + plan.fat + 0.07, a: 0.07, b: 0.03, theta: 0 },
    400,
  );

  for (const lung of lungs) fillEllipseTracked(buf, lungCov, size, lung, HU.lung);
  // Dependent (posterior) lungs are a little denser: gravity, not disease.
  for (let i = 0; i < size; i++) {
    const y = ((i + 0.5) / size) * 2 - 1;
    const g = (plan.gradient * (y - (plan.cy - 0.04))) / 0.45;
    for (let j = 0; j < size; j++) {
      const idx = i * size + j;
      const c = lungCov[idx] as number;
      if (c > 0) buf[idx] = (buf[idx] as number) + c * g;
    }
  }

  if (z > 0.35) {
    const h = Math.min(1, (z - 0.35) / 0.25) * plan.heartScale;
    carveEllipse(
      buf,
      lungCov,
      size,
      { cx: plan.cx + 0.1, cy: plan.cy - 0.13, a: 0.23 * h, b: 0.19 * h, theta: -0.4 },
      HU.soft,
    );
  }
  carveEllipse(
    buf,
    lungCov,
    size,
    { cx: plan.cx + 0.11, cy: plan.cy + 0.27, a: 0.055, b: 0.055, theta: 0 },
    HU.blood,
  );
  const spine: Ellipse = { cx: plan.cx, cy: plan.cy + 0.4, a: 0.1, b: 0.095, theta: 0 };
  carveEllipse(buf, lungCov, size, spine, HU.boneCortex);
  fillEllipse(buf, size, { ...spine, a: 0.075, b: 0.07 }, HU.boneMarrow);
  fillEllipse(buf, size, { cx: plan.cx, cy: plan.cy + 0.53, a: 0.035, b: 0.03, theta: 0 }, 20);
  fillEllipse(buf, size, { cx: plan.cx, cy: plan.cy + 0.61, a: 0.025, b: 0.05, theta: 0 }, 600);
  if (z < 0.45) {
    fillEllipse(buf, size, { cx: plan.cx, cy: plan.cy + 0.12, a: 0.045, b: 0.04, theta: 0 }, HU.air);
  } else if (z < 0.62) {
    for (const sigma of [-1, 1]) {
      fillEllipse(
        buf,
        size,
        { cx: plan.cx + sigma * 0.1, cy: plan.cy + 0.14, a: 0.03, b: 0.025, theta: 0 },
        HU.air,
      );
    }
  }
  paintVessels(buf, lungCov, size, lungs, rng);
  return lungCov;
}

/** Vessels (and a few airways) as sub-pixel to few-pixel blobs, denser towards the hila. */
function paintVessels(
  buf: Float32Array,
  lungCov: Float32Array,
  size: number,
  lungs: [Ellipse, Ellipse],
  rng: Rng,
): void {
  for (const [k, lung] of lungs.entries()) {
    const sigma = k === 0 ? -1 : 1;
    const count = 14 + rng.int(10);
    for (let v = 0; v < count; v++) {
      const rf = Math.sqrt(rng.next()) * 0.92;
      // Bias angles medially (towards the hilum) by folding half of them.
      let phi = rng.uniform(-Math.PI, Math.PI);
      if (rng.bernoulli(0.5) && Math.cos(phi) > 0) phi = Math.PI - phi;
      const cx = lung.cx + sigma * Math.cos(phi) * rf * lung.a;
      const cy = lung.cy + Math.sin(phi) * rf * lung.b;
      const r = rng.uniform(0.006, 0.02) * (1.4 - 0.6 * rf);
      const airway = rng.bernoulli(0.12);
      const e: Ellipse = { cx, cy, a: 3 * r, b: 3 * r * rng.uniform(0.6, 1), theta: rng.uniform(0, Math.PI) };
      forEachInEllipse(size, e, 1, (idx, q) => {
        const c = lungCov[idx] as number;
        if (c <= 0) return;
        const g = Math.exp(-4.5 * q * q) * c;
        const cur = buf[idx] as number;
        // An airway is a thin soft-tissue wall around air: brighter ring, dark centre.
        const target = airway ? (q < 0.35 ? HU.air : -300) : HU.blood;
        buf[idx] = cur + (airway ? 0.8 * c : g) * (target - cur) * (airway ? Math.exp(-2 * q * q) : 1);
      });
    }
  }
}

/**
 * Paint findings (and distractors) onto the slice; COVID-like findings add their soft
 * probability to `mask` (max-combined, thresholded later by the caller).
 */
export function paintLesions(
  buf: Float32Array,
  mask: Float32Array,
  lungCov: Float32Array,
  size: number,
  lungs: [Ellipse, Ellipse],
  lesions: ReadonlyArray<{ lesion: CtLesion; scale: number }>,
): void {
  for (const { lesion, scale } of lesions) {
    const base = placeLesion(lesion, lungs, scale);
    if (!base) continue;
    const parts: Ellipse[] = [base];
    for (const [dx, dy, rel] of lesion.blobs) {
      parts.push({
        ...base,
        cx: base.cx + dx * lesion.r * scale,
        cy: base.cy + dy * lesion.r * scale,
        a: base.a * rel,
        b: base.b * rel,
      });
    }
    const reach = 1 + 5 * lesion.soft;
    for (const e of parts) {
      if (e.a < 1e-4 || e.b < 1e-4) continue;
      const ca = Math.cos(lesion.phi * 3);
      const sa = Math.sin(lesion.phi * 3);
      forEachInEllipse(size, e, reach, (idx, q, dPix, u, v) => {
        const lc = lungCov[idx] as number;
        if (lc <= 0.02) return;
        const prof = lesion.kind === 3 ? coverage(dPix) : softProfile(q, lesion.soft);
        const p = prof * lc;
        if (p < 1e-3) return;
        const cur = buf[idx] as number;
        let target = lesion.hu;
        if (lesion.kind === 1) {
          // Crazy paving: thickened interlobular septa as a polygonal grid over the GGO.
          const gx = (u * e.a * ca + v * e.b * sa) / lesion.period;
          const gy = (-u * e.a * sa + v * e.b * ca) / lesion.period;
          const dx = Math.abs(gx - Math.round(gx));
          const dy = Math.abs(gy - Math.round(gy));
          target += 220 * Math.exp(-Math.pow(Math.min(dx, dy) / 0.18, 2));
        }
        const next = cur + p * (target - cur);
        // Disease adds density; vessels inside a ground-glass patch stay visible.
        if (next > cur) buf[idx] = next;
        if (lesion.finding && p > (mask[idx] as number)) mask[idx] = p;
      });
    }
  }
}

/** Finish a slice: noise, then clamp to the scanner's range. */
export function finishSlice(buf: Float32Array, rng: Rng, noiseStd: number): void {
  addNoise(buf, rng, noiseStd);
  for (let k = 0; k < buf.length; k++) {
    const v = buf[k] as number;
    if (v < -1024) buf[k] = -1024;
    else if (v > 3071) buf[k] = 3071;
  }
}
