import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNet } from '../../src/models/unet';
import { expectTrainsAndRoundTrips, fixedBatch, leakAfterPredict, trainableCount } from './harness';

interface ParamCase {
  channels: number;
  classes: number;
  filters: number;
  upsample: 'bilinear' | 'transpose';
  trainable: number;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/models/unet_params.json', import.meta.url), 'utf8'),
) as { cases: ParamCase[] };

describe('UNet', () => {
  it('has the trainable-parameter count of the PyTorch reference UNet (make_unet_params.py)', () => {
    // The 3-channel width-64 cases (17,263,042 bilinear / 31,037,698 transpose, in the fixture) are
    // skipped to save 48M parameters of initialisation; the 1-channel default and the small
    // transpose case exercise the same wiring.
    for (const c of fixture.cases.filter((k) => !(k.channels === 3 && k.filters === 64))) {
      // Build-only at the medical size; the count does not depend on height and width.
      const m = UNet({
        inputShape: [c.filters >= 64 ? 256 : 16, c.filters >= 64 ? 256 : 16, c.channels],
        classes: c.classes,
        filters: c.filters,
        upsample: c.upsample,
        head: 'segment',
      });
      expect(trainableCount(m), JSON.stringify(c)).toBe(c.trainable);
      m.dispose();
    }
  });

  it('segment head keeps the input size, also for odd sizes; classify head pools', () => {
    for (const [h, w] of [
      [16, 16],
      [17, 23],
      [31, 16],
    ]) {
      for (const upsample of ['bilinear', 'transpose'] as const) {
        const m = UNet({ inputShape: [h, w, 1], filters: 2, classes: 3, head: 'segment', upsample });
        expect(m.outputs[0].shape).toEqual([null, h, w, 3]);
        m.dispose();
      }
    }
    const c = UNet({ inputShape: [17, 23, 1], filters: 2, classes: 3 });
    expect(c.outputs[0].shape).toEqual([null, 3]);
    expect(c.getLayer('outc').outputShape).toEqual([null, 17, 23, 3]);
    // 17 -> 8 -> 4 -> 2 -> 1; the last Up pads 16 rows to 17.
    expect(c.getLayer('up4_pad').outputShape).toEqual([null, 17, 23, 2]);
    c.dispose();
  });

  it('segment head: one training step lowers per-pixel cross-entropy; round trip; no leaks', async () => {
    const m = UNet({ inputShape: [32, 32, 1], filters: 4, head: 'segment', upsample: 'transpose', seed: 3 });
    const { shape } = await expectTrainsAndRoundTrips(m, fixedBatch(2, [32, 32, 1], 2, true), 2, 1e-2);
    expect(shape).toEqual([2, 32, 32, 2]);
  });

  it('classify head (bilinear): trains, round-trips, no leaks', async () => {
    const m = UNet({ inputShape: [32, 32, 1], filters: 4, seed: 4 });
    await expectTrainsAndRoundTrips(m, fixedBatch(4, [32, 32, 1], 2), 2, 1e-2);
    const { leaked, shape } = leakAfterPredict(
      () => UNet({ inputShape: [19, 21, 1], filters: 2, head: 'segment' }),
      [1, 19, 21, 1],
    );
    expect(leaked).toBe(0);
    expect(shape).toEqual([1, 19, 21, 2]);
  });

  it('rejects bad options', () => {
    expect(() => UNet({ inputShape: [15, 32, 1] })).toThrow(/UNet: 'inputShape'.*at least 16/);
    expect(() => UNet({ head: 'detect' as 'segment' })).toThrow(/UNet: 'head'/);
    expect(() => UNet({ upsample: 'nearest' as 'bilinear' })).toThrow(/UNet: 'upsample'/);
    expect(() => UNet({ filters: 0 })).toThrow(/UNet: 'filters'/);
    expect(() => UNet({ inputShape: [32, 32, 0] })).toThrow(/channels/);
  });
});
