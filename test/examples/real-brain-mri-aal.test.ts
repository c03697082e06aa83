import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNifti } from '../../src/data';
import { aalGroup, groupRecall, readAalTable, regionCoverage } from '../../examples/real-brain-mri/aal';
import { TEMPLATES } from '../../examples/real-brain-mri/index';

const files = ['ch2.nii.gz', 'ch2bet.nii.gz', 'aal.nii.gz', 'aal.nii.txt'].map((f) => join(TEMPLATES, f));
const present = files.every((f) => existsSync(f));
// .ci/run installs mricron-data: under CI a missing atlas is a failure, never a skip.
if (!present && process.env.CI === 'true') {
  throw new Error(
    `real-brain-mri AAL test: ${files.filter((f) => !existsSync(f)).join(', ')} missing under CI`,
  );
}
const ref = JSON.parse(readFileSync(join(__dirname, '../fixtures/examples/aal_coverage.json'), 'utf8')) as {
  shape: number[];
  labels: number;
  total: number[];
  insideBet: number[];
};

describe('regionCoverage', () => {
  it('counts each label and the part of it inside the mask, skipping background and out-of-range labels', () => {
    const labels = [0, 1, 1, 2, 2, 2, 3, 7];
    const mask = [1, 1, 0, 1, 1, 0, 0, 1];
    const c = regionCoverage(labels, mask, 3);
    expect(Array.from(c.total)).toEqual([0, 2, 3, 1]);
    expect(Array.from(c.covered)).toEqual([0, 1, 2, 0]);
    expect(() => regionCoverage([1], [1, 0], 3)).toThrow(/regionCoverage: 'labels'/);
  });
});

describe.skipIf(!present)('the AAL atlas of mricron-data', () => {
  it("has 116 named regions on ch2's grid, and its coverage by ch2bet equals nibabel + numpy's", async () => {
    const regions = readAalTable(files[3] as string);
    expect(regions).toHaveLength(116);
    expect(regions[0]).toEqual({ index: 1, name: 'Precentral_L', code: 2001 });
    expect(new Set(regions.map(aalGroup)).size).toBe(8);
    const [ch2, bet, aal] = await Promise.all(files.slice(0, 3).map((f) => readNifti(f)));
    expect(aal!.shape).toEqual([181, 217, 181]);
    expect(aal!.shape).toEqual(ref.shape);
    expect(aal!.shape).toEqual(ch2!.shape);
    expect(aal!.affine).toEqual(ch2!.affine);
    const distinct = new Set(aal!.data);
    distinct.delete(0);
    expect(distinct.size).toBe(116);
    const c = regionCoverage(aal!.data, bet!.data, 116);
    expect(Array.from(c.total.subarray(1))).toEqual(ref.total);
    expect(Array.from(c.covered.subarray(1))).toEqual(ref.insideBet);
    // By group, ch2bet covers most of every group but not all of it (the atlas outline is wider).
    for (const [, recall, n] of groupRecall(regions, c)) {
      expect(n).toBeGreaterThan(0);
      expect(recall).toBeGreaterThan(0.6);
      expect(recall).toBeLessThanOrEqual(1);
    }
  });
});
