/** Internal: difficulty presets of the CT phantoms and the samplers of findings. */
import { checkOneOf, checkRange } from '../util/checks';
import type { Rng } from '../util/random';
import { PHANTOM_DIFFICULTIES, type CtDifficultyOptions, type PhantomDifficulty } from './phantom-types';
import type { CtLesion } from './ct-slice';
import { checkPair, pick, pickWeighted } from './phantom-draw';

/** Resolved knobs. */
export type CtKnobs = Required<Omit<CtDifficultyOptions, 'difficulty'>>;

export const CT_PRESETS: Record<PhantomDifficulty, CtKnobs> = {
  easy: {
    lesionCount: [2, 4],
    lesionSize: [0.11, 0.2],
    ggoHU: [-560, -400],
    consolidationHU: [-100, 40],
    findings: { ggo: 0.6, crazyPaving: 0.2, consolidation: 0.2 },
    noiseStd: 12,
    distractorRate: 0.2,
    anatomyJitter: 0.5,
  },
  // Between easy and medium, near easy: with the thesis augmentation (crops of half the area
  // drop peripheral findings) this is where 001's models spread in quick mode; see its README.
  moderate: {
    lesionCount: [2, 4],
    lesionSize: [0.1, 0.19],
    ggoHU: [-600, -440],
    consolidationHU: [-110, 35],
    findings: { ggo: 0.6, crazyPaving: 0.2, consolidation: 0.2 },
    noiseStd: 16,
    distractorRate: 0.3,
    anatomyJitter: 0.75,
  },
  medium: {
    lesionCount: [1, 3],
    lesionSize: [0.07, 0.16],
    ggoHU: [-680, -480],
    consolidationHU: [-150, 30],
    findings: { ggo: 0.6, crazyPaving: 0.25, consolidation: 0.15 },
    noiseStd: 25,
    distractorRate: 0.5,
    anatomyJitter: 1,
  },
  hard: {
    lesionCount: [1, 2],
    lesionSize: [0.05, 0.11],
    ggoHU: [-740, -580],
    consolidationHU: [-250, 0],
    findings: { ggo: 0.7, crazyPaving: 0.2, consolidation: 0.1 },
    noiseStd: 40,
    distractorRate: 0.8,
    anatomyJitter: 1,
  },
};

/** Merge a preset with explicit knobs and validate them (errors name `fn` and the option). */
export function resolveCtKnobs(opts: CtDifficultyOptions, fn: string): CtKnobs {
  const difficulty = opts.difficulty ?? 'medium';
  checkOneOf(difficulty, PHANTOM_DIFFICULTIES, 'difficulty', fn);
  const k: CtKnobs = { ...CT_PRESETS[difficulty] };
  for (const key of Object.keys(k) as Array<keyof CtKnobs>) {
    if (opts[key] !== undefined) (k as unknown as Record<string, unknown>)[key] = opts[key];
  }
  checkPair(k.lesionCount, 'lesionCount', fn, 0);
  checkPair(k.lesionSize, 'lesionSize', fn, 0);
  checkPair(k.ggoHU, 'ggoHU', fn, -1024);
  checkPair(k.consolidationHU, 'consolidationHU', fn, -1024);
  checkRange(k.noiseStd, 'noiseStd', fn, { lo: 0 });
  checkRange(k.distractorRate, 'distractorRate', fn, { lo: 0, hi: 1 });
  checkRange(k.anatomyJitter, 'anatomyJitter', fn, { lo: 0, hi: 1 });
  const f = k.findings;
  if (
    !f ||
    ![f.ggo, f.crazyPaving, f.consolidation].every((w) => w >= 0) ||
    f.ggo + f.crazyPaving + f.consolidation <= 0
  ) {
    throw new Error(`${fn}: 'findings' weights must be >= 0 with a positive sum; got ${JSON.stringify(f)}`);
  }
  return k;
}

/** Draw one COVID-like finding: peripheral, biased posteriorly, as the radiology describes. */
export function sampleFinding(rng: Rng, k: CtKnobs): CtLesion {
  const kind = pickWeighted(rng, [k.findings.ggo, k.findings.crazyPaving, k.findings.consolidation]) as
    0 | 1 | 2;
  const blobs: Array<[number, number, number]> = [];
  const nb = rng.int(3);
  for (let b = 0; b < nb; b++) blobs.push([rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.45, 0.85)]);
  return {
    kind,
    side: rng.int(2) as 0 | 1,
    // Lateral (cos > 0) and posterior (sin > 0) angles dominate.
    phi: rng.uniform(-1.3, 2.5),
    rf: rng.uniform(0.55, 0.9),
    r: pick(rng, k.lesionSize) * (kind === 2 ? 0.8 : 1),
    aspect: rng.uniform(0.7, 1.4),
    theta: rng.uniform(0, Math.PI),
    hu: kind === 2 ? pick(rng, k.consolidationHU) : pick(rng, k.ggoHU),
    soft: kind === 2 ? rng.uniform(0.06, 0.12) : rng.uniform(0.18, 0.32),
    period: rng.uniform(0.045, 0.07),
    blobs,
    finding: true,
  };
}

/** Draw the distractors of one slice (or series): solid nodules and dependent atelectasis bands. */
export function sampleDistractors(rng: Rng, k: CtKnobs): CtLesion[] {
  const out: CtLesion[] = [];
  if (rng.bernoulli(k.distractorRate)) {
    const count = 1 + rng.int(2);
    for (let c = 0; c < count; c++) {
      out.push({
        kind: 3,
        side: rng.int(2) as 0 | 1,
        phi: rng.uniform(-Math.PI, Math.PI),
        rf: rng.uniform(0.2, 0.85),
        r: rng.uniform(0.022, 0.05),
        aspect: rng.uniform(0.85, 1.15),
        theta: 0,
        hu: rng.uniform(-60, 60),
        soft: 0.05,
        period: 1,
        blobs: [],
        finding: false,
      });
    }
  }
  if (rng.bernoulli(k.distractorRate * 0.5)) {
    out.push({
      kind: 0,
      side: rng.int(2) as 0 | 1,
      phi: Math.PI / 2 + rng.uniform(-0.5, 0.5),
      rf: rng.uniform(0.75, 0.9),
      r: rng.uniform(0.08, 0.14),
      aspect: rng.uniform(3, 4.5),
      theta: rng.uniform(-0.3, 0.3),
      hu: rng.uniform(-500, -300),
      soft: 0.1,
      period: 1,
      blobs: [],
      finding: false,
    });
  }
  return out;
}
