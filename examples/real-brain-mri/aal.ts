/**
 * The AAL atlas of Debian's `mricron-data` (`templates/aal.nii.gz`: 116 labelled regions on the
 * ch2 grid, names and codes in `aal.nii.txt`): reading the region table, grouping regions by
 * the first digit of their AAL code, and measuring how much of each region a brain mask covers.
 */
import { readFileSync } from 'node:fs';

/** One AAL region: its label value in the volume, its name and its AAL code. */
export interface AalRegion {
  index: number;
  name: string;
  code: number;
}

/** The regions of AAL's `aal.nii.txt` ("index name code" per line), in file order. */
export function readAalTable(path: string): AalRegion[] {
  const rows: AalRegion[] = [];
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3) continue;
    const [index, name, code] = [Number(parts[0]), parts[1] as string, Number(parts[2])];
    if (!Number.isInteger(index) || !Number.isInteger(code))
      throw new Error(`readAalTable: ${path}: bad line '${line}'`);
    rows.push({ index, name, code });
  }
  return rows;
}

/**
 * AAL's code families (Tzourio-Mazoyer et al. 2002, the code column of the table): the first
 * digit of the four-digit code says where the region lies.
 */
export const AAL_GROUPS: Record<number, string> = {
  2: 'frontal',
  3: 'insula',
  4: 'limbic (cingulum, hippocampus, amygdala)',
  5: 'occipital',
  6: 'parietal',
  7: 'central nuclei (basal ganglia, thalamus)',
  8: 'temporal',
  9: 'cerebellum and vermis',
};

/** The group of a region: the first digit of its code, named by {@link AAL_GROUPS}. */
export function aalGroup(r: AalRegion): string {
  return AAL_GROUPS[Math.floor(r.code / 1000)] ?? 'other';
}

/** Per-region voxel counts: `total[r]` voxels of label r, `covered[r]` of them inside the mask. */
export interface Coverage {
  total: Float64Array;
  covered: Float64Array;
}

/**
 * Count, for every label 1..numRegions, its voxels and those where `mask` is non-zero
 * (label 0, the background, is skipped). `labels` and `mask` are the same voxels in the same
 * order. Recall of region r by the mask = covered[r] / total[r].
 */
export function regionCoverage(
  labels: ArrayLike<number>,
  mask: ArrayLike<number>,
  numRegions: number,
): Coverage {
  if (labels.length !== mask.length)
    throw new Error(
      `regionCoverage: 'labels' (${labels.length}) and 'mask' (${mask.length}) differ in length`,
    );
  const total = new Float64Array(numRegions + 1);
  const covered = new Float64Array(numRegions + 1);
  for (let i = 0; i < labels.length; i++) {
    const r = Math.round(labels[i] as number);
    if (r <= 0 || r > numRegions) continue;
    total[r]++;
    if ((mask[i] as number) !== 0) covered[r]++;
  }
  return { total, covered };
}

/** Sum a {@link Coverage} by group: `[group, covered / total, regions present]`, in code order. */
export function groupRecall(regions: AalRegion[], c: Coverage): Array<[string, number, number]> {
  const acc = new Map<string, [number, number, number]>();
  for (const r of [...regions].sort((a, b) => a.code - b.code)) {
    const t = c.total[r.index] ?? 0;
    if (t === 0) continue;
    const g = acc.get(aalGroup(r)) ?? [0, 0, 0];
    acc.set(aalGroup(r), [g[0] + (c.covered[r.index] ?? 0), g[1] + t, g[2] + 1]);
  }
  return [...acc].map(([name, [cov, tot, n]]) => [name, cov / tot, n]);
}

/** A distinct colour per group (by the code's first digit), for the region-labelled overlay. */
export function groupColour(code: number): [number, number, number] {
  const palette: Record<number, [number, number, number]> = {
    2: [230, 159, 0],
    3: [86, 180, 233],
    4: [0, 158, 115],
    5: [240, 228, 66],
    6: [0, 114, 178],
    7: [213, 94, 0],
    8: [204, 121, 167],
    9: [150, 150, 150],
  };
  return palette[Math.floor(code / 1000)] ?? [255, 255, 255];
}
