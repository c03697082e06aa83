import type { DicomImage } from './dicom';
import type { DicomWindow } from './dicom-window';

/** What is irregular about a series (see {@link DicomSeriesWarning}). */
export type DicomSeriesWarningCode =
  'gap' | 'uneven-spacing' | 'duplicate-position' | 'mixed-orientation' | 'mixed-size' | 'no-position';

/** One irregularity of a stacked series, named by `code`. */
export interface DicomSeriesWarning {
  /**
   * 'gap': two neighbours further apart than the series' spacing (missing slices);
   * 'uneven-spacing': closer than it; 'duplicate-position': two slices at one position;
   * 'mixed-orientation': ImageOrientationPatient differs between slices; 'mixed-size':
   * slices of another size were left out; 'no-position': some slices lack
   * ImagePositionPatient/ImageOrientationPatient, so the order is by InstanceNumber or name.
   */
  code: DicomSeriesWarningCode;
  /** A sentence for people: what, where, by how much. */
  message: string;
  /** The files concerned. */
  files: string[];
}

/** Options of {@link stackDicomSeries} and `readDicomSeries`. */
export interface DicomSeriesOptions {
  /** Which series to stack when the slices hold several (SeriesInstanceUID). */
  seriesInstanceUID?: string;
  /** 'warn' lists irregularities in `warnings`; 'error' throws on the first. Default 'warn'. */
  onIrregular?: 'warn' | 'error';
  /** Relative deviation from the median spacing tolerated between neighbours. Default 0.1. */
  spacingTolerance?: number;
}

/** A series of slices stacked into a volume. */
export interface DicomVolume {
  /** `slices * rows * columns * samplesPerPixel` values, slice-major, in the modality's units. */
  pixels: Float32Array;
  /** `[slices, rows, columns]` (multi-frame files contribute one slice per frame). */
  shape: [number, number, number];
  /** Voxel spacing in mm as [between slices (the median), row, column]. */
  spacing: [number, number, number];
  /** The files in volume order. */
  files: string[];
  /** The SeriesInstanceUID read ('' when the files carry none). */
  seriesInstanceUID: string;
  /** Header fields of the first slice. */
  meta: Record<string, string>;
  /** The first slice's default window, or null. */
  window: DicomWindow | null;
  /** Whether MONOCHROME1 slices were reflected (see {@link DicomImage.inverted}). */
  inverted: boolean;
  /** Irregularities found (empty for an evenly spaced series of one size and orientation). */
  warnings: DicomSeriesWarning[];
}

/** One decoded slice and what to call it. */
export interface DicomSlice {
  /** The file name or path, for ordering ties and messages. */
  file: string;
  /** The decoded file. */
  image: DicomImage;
}

const fmt = (v: number): string => String(Math.round(v * 100) / 100);

/**
 * Stack decoded DICOM slices of one series into a volume, ordered along the slice normal by
 * ImagePositionPatient (projected on the cross product of ImageOrientationPatient's row and
 * column directions), else by InstanceNumber, else by file name, and report gaps, uneven
 * spacing, duplicate positions, mixed orientations and sizes as named `warnings` (or throw,
 * with `onIrregular: 'error'`). Works on bytes decoded anywhere (Node or browser).
 * @throws Error naming `fn` when there are no slices, several series and no
 *   `seriesInstanceUID`, or an irregularity under `onIrregular: 'error'`.
 */
export function stackDicomSeries(
  slices: readonly DicomSlice[],
  options: DicomSeriesOptions = {},
  where = 'the slices',
  fn = 'stackDicomSeries',
): DicomVolume {
  const { onIrregular = 'warn', spacingTolerance = 0.1 } = options;
  if (onIrregular !== 'warn' && onIrregular !== 'error')
    throw new Error(`${fn}: option 'onIrregular' must be 'warn' or 'error'; got ${String(onIrregular)}`);
  if (!(spacingTolerance >= 0))
    throw new Error(`${fn}: option 'spacingTolerance' must be >= 0; got ${spacingTolerance}`);
  if (!slices.length) throw new Error(`${fn}: no DICOM files in ${where}`);
  const uids = [...new Set(slices.map((s) => s.image.meta.SeriesInstanceUID ?? ''))];
  let chosen = [...slices];
  if (options.seriesInstanceUID !== undefined) {
    chosen = chosen.filter((s) => (s.image.meta.SeriesInstanceUID ?? '') === options.seriesInstanceUID);
    if (!chosen.length)
      throw new Error(`${fn}: ${where} has no series ${options.seriesInstanceUID}; found ${uids.join(', ')}`);
  } else if (uids.length > 1) {
    throw new Error(
      `${fn}: ${where} holds ${uids.length} series (${uids.join(', ')}); pass 'seriesInstanceUID' to pick one`,
    );
  }
  const warnings: DicomSeriesWarning[] = [];
  const warn = (code: DicomSeriesWarningCode, message: string, files: string[]): void => {
    if (onIrregular === 'error') throw new Error(`${fn}: ${where}: ${code}: ${message}`);
    warnings.push({ code, message, files });
  };
  // Mixed sizes cannot share one array: keep the most common size, name the others.
  const sizeOf = (s: DicomSlice): string => `${s.image.rows}x${s.image.columns}x${s.image.samplesPerPixel}`;
  const counts = new Map<string, number>();
  for (const s of chosen) counts.set(sizeOf(s), (counts.get(sizeOf(s)) ?? 0) + 1);
  if (counts.size > 1) {
    const keep = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
    const dropped = chosen.filter((s) => sizeOf(s) !== keep);
    warn(
      'mixed-size',
      `${dropped.length} slice(s) differ from the series' ${keep} (e.g. ${dropped[0]?.file} is ${sizeOf(dropped[0] as DicomSlice)}) and were left out`,
      dropped.map((s) => s.file),
    );
    chosen = chosen.filter((s) => sizeOf(s) === keep);
  }
  const first = (chosen[0] as DicomSlice).image;
  const o = first.orientation;
  const havePos =
    o !== null && chosen.every((s) => s.image.position !== null && s.image.orientation !== null);
  let key: (s: DicomSlice) => number;
  if (havePos && o) {
    const differ = chosen.filter((s) =>
      (s.image.orientation as number[]).some((v, i) => Math.abs(v - (o[i] as number)) > 1e-3),
    );
    if (differ.length)
      warn(
        'mixed-orientation',
        `${differ.length} slice(s) have another ImageOrientationPatient than ${chosen[0]?.file} (e.g. ${differ[0]?.file}); the volume is not one stack`,
        [chosen[0]?.file as string, ...differ.map((s) => s.file)],
      );
    const n = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
    key = (s) => {
      const p = s.image.position as [number, number, number];
      return p[0] * (n[0] as number) + p[1] * (n[1] as number) + p[2] * (n[2] as number);
    };
  } else {
    if (chosen.length > 1)
      warn(
        'no-position',
        `slices without ImagePositionPatient/ImageOrientationPatient: ordered by ${chosen.every((s) => s.image.instanceNumber !== null) ? 'InstanceNumber' : 'file name'}, spacing from SliceThickness`,
        chosen.filter((s) => s.image.position === null || s.image.orientation === null).map((s) => s.file),
      );
    key = chosen.every((s) => s.image.instanceNumber !== null)
      ? (s) => s.image.instanceNumber as number
      : () => 0;
  }
  const ordered = chosen.map((s, i) => ({ s, k: key(s), i })).sort((a, b) => a.k - b.k || a.i - b.i);
  let dz = first.sliceThickness ?? 1;
  if (havePos && ordered.length > 1) {
    const d = ordered.slice(1).map((x, i) => x.k - (ordered[i] as { k: number }).k);
    const sorted = [...d].sort((a, b) => a - b);
    const med = sorted[Math.floor(sorted.length / 2)] as number;
    if (med > 1e-3) dz = med;
    const tol = Math.max(1e-3, spacingTolerance * dz);
    d.forEach((di, i) => {
      const a = (ordered[i] as { s: DicomSlice }).s.file;
      const b = (ordered[i + 1] as { s: DicomSlice }).s.file;
      if (di <= 1e-3)
        warn('duplicate-position', `${a} and ${b} are at the same position along the slice normal`, [a, b]);
      else if (di > dz + tol)
        warn(
          'gap',
          `${fmt(di)} mm between ${a} and ${b}, where the series' spacing is ${fmt(dz)} mm (about ${Math.round(di / dz) - 1} slice(s) missing)`,
          [a, b],
        );
      else if (di < dz - tol)
        warn(
          'uneven-spacing',
          `${fmt(di)} mm between ${a} and ${b}, where the series' spacing is ${fmt(dz)} mm`,
          [a, b],
        );
    });
  }
  const frameSize = first.rows * first.columns * first.samplesPerPixel;
  const total = ordered.reduce((s, x) => s + x.s.image.frames, 0);
  const pixels = new Float32Array(total * frameSize);
  let off = 0;
  for (const { s } of ordered) {
    pixels.set(s.image.pixels, off);
    off += s.image.pixels.length;
  }
  return {
    pixels,
    shape: [total, first.rows, first.columns],
    spacing: [dz, first.spacing[0], first.spacing[1]],
    files: ordered.map((x) => x.s.file),
    seriesInstanceUID: uids.length === 1 ? (uids[0] as string) : (options.seriesInstanceUID ?? ''),
    meta: first.meta,
    window: first.window,
    inverted: first.inverted,
    warnings,
  };
}
