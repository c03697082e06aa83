import * as tf from '@tensorflow/tfjs-core';
import { checkPositiveInt, checkRange } from '../util/checks';
import { Rng, makeRng } from '../util/random';
import { resolveCtKnobs, sampleDistractors, sampleFinding } from './ct-knobs';
import type { CtDifficultyOptions } from './phantom-types';
import {
  type CtLesion,
  finishSlice,
  lungEllipses,
  paintAnatomy,
  paintLesions,
  sampleBodyPlan,
} from './ct-slice';
import { balancedLabels, pickInt } from './phantom-draw';

/** Options of {@link ctSeriesPhantoms}; the difficulty knobs are those of {@link ctPhantoms}. */
export interface CtSeriesPhantomOptions extends CtDifficultyOptions {
  /** Number of series (patients / scans). */
  nSeries: number;
  /** Slices per series, apex to base. Default 16. */
  slices?: number;
  /** Height and width of a slice in pixels. Default 64. */
  size?: number;
  /** Seed; equal seeds and options give identical data. Default: random. */
  seed?: number;
  /** Fraction of COVID-like series; exactly round(nSeries * fraction). Default 0.5. */
  positiveFraction?: number;
}

/** Volumes of slices with series-level and slice-level labels, for the series pipeline (000). */
export interface CtSeriesSet {
  /** `[nSeries, slices, size, size, 1]` float32 in HU. Reshape to `[nSeries*slices, size, size, 1]` for slice models. */
  volumes: tf.Tensor5D;
  /** `[nSeries, slices, size, size, 1]` float32 in {0, 1}: finding pixels. */
  masks: tf.Tensor5D;
  /** `[nSeries]` int32: 1 = COVID-like series. */
  labels: tf.Tensor1D;
  /** `[nSeries * slices]` int32: 1 when that slice shows a finding (a positive series has negative slices too). */
  sliceLabels: tf.Tensor1D;
  /** `nSeries` ids such as `'series-007'`. */
  seriesIds: string[];
  /** `nSeries * slices` indices into `seriesIds`: which series each (flattened) slice belongs to. */
  sliceSeries: Int32Array;
}

interface Lesion3D {
  lesion: CtLesion;
  z0: number;
  rz: number;
}

/**
 * Synthetic chest-CT series: each series is one patient's body plan swept from lung apex
 * to base (lungs grow then shrink, the heart appears in the lower half, trachea splits into
 * bronchi), with findings as 3D blobs that show on a run of neighbouring slices only. A
 * positive series therefore has negative slices, as real COVID scans do, which is what
 * series-level aggregation (average the slice scores) must cope with. Distractor nodules
 * span a few slices in either class.
 *
 * @returns `volumes`/`masks` `[nSeries, slices, size, size, 1]`, series `labels`, per-slice
 * `sliceLabels`, `seriesIds` and the flattened-slice-to-series index `sliceSeries`.
 */
export function ctSeriesPhantoms(options: CtSeriesPhantomOptions): CtSeriesSet {
  const fn = 'ctSeriesPhantoms';
  const { nSeries, slices = 16, size = 64, seed, positiveFraction = 0.5 } = options;
  checkPositiveInt(nSeries, 'nSeries', fn);
  checkPositiveInt(slices, 'slices', fn);
  checkPositiveInt(size, 'size', fn);
  if (size < 16) throw new Error(`${fn}: 'size' must be at least 16; got ${size}`);
  checkRange(positiveFraction, 'positiveFraction', fn, { lo: 0, hi: 1 });
  const k = resolveCtKnobs(options, fn);
  const master = makeRng(seed);
  const labels = balancedLabels(nSeries, positiveFraction, master);
  const px = size * size;
  const total = nSeries * slices;
  const volumes = new Float32Array(total * px);
  const masks = new Float32Array(total * px);
  const sliceLabels = new Int32Array(total);
  const sliceSeries = new Int32Array(total);
  const seriesIds: string[] = [];
  const width = String(Math.max(3, String(nSeries - 1).length));
  const spacing = 0.9 / slices;
  const zOf = (s: number): number => 0.05 + (s + 0.5) * spacing;
  for (let si = 0; si < nSeries; si++) {
    seriesIds.push(`series-${String(si).padStart(Number(width), '0')}`);
    const rng = new Rng(master.seed());
    const plan = sampleBodyPlan(rng, k.anatomyJitter);
    const blobs: Lesion3D[] = sampleDistractors(rng, k).map((lesion) => ({
      lesion,
      z0: rng.uniform(0.1, 0.9),
      rz: Math.max(0.04, 0.6 * spacing),
    }));
    if (labels[si] === 1) {
      const count = Math.max(1, pickInt(rng, k.lesionCount)) + 1;
      for (let c = 0; c < count; c++) {
        // At least one slice cuts every finding: its z-radius exceeds half the slice spacing.
        blobs.push({
          lesion: sampleFinding(rng, k),
          z0: rng.uniform(0.15, 0.9),
          rz: Math.max(rng.uniform(0.04, 0.14), 0.6 * spacing),
        });
      }
    }
    for (let s = 0; s < slices; s++) {
      const flat = si * slices + s;
      sliceSeries[flat] = si;
      const z = zOf(s);
      const buf = volumes.subarray(flat * px, (flat + 1) * px);
      const mask = masks.subarray(flat * px, (flat + 1) * px);
      const lungCov = paintAnatomy(buf, size, plan, z, rng);
      const present = blobs
        .map((b) => {
          const t = (z - b.z0) / b.rz;
          return { lesion: b.lesion, scale: t * t < 1 ? Math.sqrt(1 - t * t) : 0 };
        })
        .filter((b) => b.scale > 0);
      paintLesions(buf, mask, lungCov, size, lungEllipses(plan, z), present);
      finishSlice(buf, rng, k.noiseStd);
      let any = 0;
      for (let p = 0; p < px; p++) {
        const m = (mask[p] as number) >= 0.5 ? 1 : 0;
        mask[p] = m;
        any |= m;
      }
      sliceLabels[flat] = any;
    }
  }
  const shape: [number, number, number, number, number] = [nSeries, slices, size, size, 1];
  return {
    volumes: tf.tensor5d(volumes, shape, 'float32'),
    masks: tf.tensor5d(masks, shape, 'float32'),
    labels: tf.tensor1d(labels, 'int32'),
    sliceLabels: tf.tensor1d(sliceLabels, 'int32'),
    seriesIds,
    sliceSeries,
  };
}
