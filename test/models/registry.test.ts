import { describe, expect, it } from 'vitest';
import { buildModel, listModels } from '../../src/models/registry';
import { LIFECYCLE_GROUPS } from './registry-lifecycle';
import { THESIS_MODELS } from './thesis-models';

const THESIS = THESIS_MODELS;

describe('thesis models in the registry', () => {
  it('lists all seven models of table 5.1 and builds each by name', () => {
    expect(listModels()).toEqual(expect.arrayContaining([...THESIS]));
    for (const name of THESIS) {
      const m = buildModel(name, { inputShape: [16, 16, 1], filters: 2, classes: 3 });
      expect(m.name).toBe(name);
      expect(m.outputs[0].shape).toEqual([null, 3]);
      m.dispose();
    }
    const seg = buildModel('DResUNet', { inputShape: [21, 16, 1], filters: 2, head: 'segment' });
    expect(seg.outputs[0].shape).toEqual([null, 21, 16, 2]);
    seg.dispose();
  });
});

describe('the lifecycle test covers the registry', () => {
  it('every registered model is in exactly one registry-lifecycle-*.test.ts group', () => {
    const grouped = Object.values(LIFECYCLE_GROUPS).flat();
    expect([...grouped].sort()).toEqual([...listModels()].sort());
    expect(new Set(grouped).size).toBe(grouped.length);
  });
});
