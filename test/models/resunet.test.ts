import { describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { ResUNet, ResUNetECSA } from '../../src/models/resunet';
import { expectTrainsAndRoundTrips, fixedBatch, leakAfterPredict, trainableCount } from './harness';

// Trainable parameters of the section 3.1 skeleton with plain entries, derived by hand from the
// documented architecture (convs before BN have no bias; BN contributes gamma and beta).
function resUNetTrainable(
  c: number,
  f: number,
  classes: number,
  hidden: number,
  head: 'classify' | 'segment',
  projection: 'main' | 'shortcut' = 'main',
): number {
  const cbr = (cin: number, cout: number, k = 3): number => k * k * cin * cout + 2 * cout;
  // 'main': conv 1x1 + BN end the main path, the input is added unchanged where shapes agree
  // (x2) and through a 1x1 conv + BN elsewhere; 'shortcut': the 1x1 conv + BN is the shortcut.
  const stage = (cin: number, cout: number): number =>
    cbr(cin, cout) +
    cbr(cout, cout) +
    cbr(cout, cout) +
    (projection === 'main' ? cbr(cout, cout, 1) + (cin === cout ? 0 : cbr(cin, cout, 1)) : cbr(cin, cout, 1));
  const dec = (cin: number, skip: number, cout: number): number => cbr(cin + skip, cout) + cbr(cout, cout);
  let total = cbr(c, f) + stage(f, f) + stage(f, 2 * f) + stage(2 * f, 4 * f) + stage(4 * f, 8 * f);
  total += dec(8 * f, 4 * f, 4 * f) + dec(4 * f, 2 * f, 2 * f) + dec(2 * f, f, f);
  if (head === 'segment') return total + f * classes + classes;
  return total + (f * f + f) + (f * hidden + hidden) + (hidden * classes + classes);
}

const names = (m: tfl.LayersModel): string[] => m.layers.map((l) => l.name);

describe('ResUNet', () => {
  it('matches the hand-derived parameter count at 256x256x1 and at its smallest input', () => {
    const big = ResUNet({ inputShape: [256, 256, 1] });
    expect(trainableCount(big)).toBe(resUNetTrainable(1, 64, 2, 128, 'classify'));
    expect(big.getLayer('x5_add').outputShape).toEqual([null, 16, 16, 512]);
    expect(big.getLayer('x22_relu2').outputShape).toEqual([null, 128, 128, 64]);
    expect(names(big)).toEqual(
      expect.arrayContaining(['x1_pool', 'x2_bn3', 'x3_short_bn', 'head_pool4', 'head_conv', 'logits']),
    );
    // The head's four 2x2 max pools take x22 (128x128) to 8x8; the average pool then to 1x1.
    expect(['head_pool1', 'head_pool4', 'head_conv'].map((n) => big.getLayer(n).outputShape)).toEqual([
      [null, 64, 64, 64],
      [null, 8, 8, 64],
      [null, 8, 8, 64],
    ]);
    expect(names(big)).not.toContain('x2_short_conv');
    big.dispose();
    const old = ResUNet({ inputShape: [64, 64, 1], projection: 'shortcut' });
    expect(trainableCount(old)).toBe(resUNetTrainable(1, 64, 2, 128, 'classify', 'shortcut'));
    expect(names(old)).not.toContain('x2_conv3');
    old.dispose();
    const small = ResUNet({ inputShape: [16, 16, 1], head: 'segment', classes: 3 });
    expect(trainableCount(small)).toBe(resUNetTrainable(1, 64, 3, 128, 'segment'));
    expect(small.outputs[0].shape).toEqual([null, 16, 16, 3]);
    small.dispose();
  });

  it('keeps odd sizes (strided stages round up; the decoder crops, the head pads)', () => {
    for (const upsample of ['bilinear', 'transpose'] as const) {
      const m = ResUNet({
        inputShape: [33, 35, 1],
        filters: 2,
        head: 'segment',
        upsample,
        decoderAttention: 'scse',
      });
      expect(m.outputs[0].shape).toEqual([null, 33, 35, 2]);
      expect(m.getLayer('x5_add').outputShape).toEqual([null, 2, 3, 16]);
      expect(m.getLayer('x44_concat').outputShape?.slice(1, 3)).toEqual([4, 5]);
      expect(names(m)).toContain('x22_attn');
      m.dispose();
    }
  });

  it('classify: one training step lowers the loss; save -> load -> same predictions; no leaks', async () => {
    const m = ResUNet({ inputShape: [32, 32, 1], filters: 4, hiddenUnits: 8, dropout: 0, seed: 11 });
    await expectTrainsAndRoundTrips(m, fixedBatch(4, [32, 32, 1], 2), 2, 1e-2);
    const { leaked, shape } = leakAfterPredict(
      () => ResUNet({ inputShape: [17, 17, 1], filters: 2 }),
      [1, 17, 17, 1],
    );
    expect([leaked, ...shape]).toEqual([0, 1, 2]);
  });

  it('rejects bad options', () => {
    expect(() => ResUNet({ inputShape: [8, 64, 1] })).toThrow(/ResUNet: 'inputShape'.*at least 16/);
    expect(() => ResUNet({ dropout: -0.1 })).toThrow(/ResUNet: 'dropout'/);
    expect(() => ResUNet({ decoderAttention: 'cbam' as 'scse' })).toThrow(/ResUNet: 'decoderAttention'/);
    expect(() => ResUNet({ hiddenUnits: 2.5 })).toThrow(/ResUNet: 'hiddenUnits'/);
    expect(() => ResUNet({ head: 'both' as 'segment' })).toThrow(/ResUNet: 'head'/);
    expect(() => ResUNet({ projection: 'both' as 'main' })).toThrow(/ResUNet: 'projection'/);
  });
});

describe('ResUNetECSA', () => {
  it('adds ECAsE after x5 second conv and nothing else', () => {
    const plain = ResUNet({ inputShape: [128, 128, 1] });
    const ecsa = ResUNetECSA({ inputShape: [128, 128, 1] });
    const attn = ecsa.getLayer('x5_attn');
    expect(attn.getClassName()).toBe('ECAsE');
    // The block consumes x5's second ReLU and feeds the stage's 1x1 conv.
    expect(attn.inboundNodes[0].inboundLayers.map((l) => l.name)).toEqual(['x5_relu2']);
    const extra = trainableCount(ecsa) - trainableCount(plain);
    expect(extra).toBe(attn.countParams());
    expect(extra).toBeGreaterThan(0);
    plain.dispose();
    ecsa.dispose();
  });

  it('trains (segment head) and round-trips through the registered ECAsE class', async () => {
    const m = ResUNetECSA({ inputShape: [32, 32, 1], filters: 4, head: 'segment', seed: 12 });
    const { shape } = await expectTrainsAndRoundTrips(m, fixedBatch(2, [32, 32, 1], 2, true), 2, 1e-2);
    expect(shape).toEqual([2, 32, 32, 2]);
    const { leaked } = leakAfterPredict(
      () => ResUNetECSA({ inputShape: [16, 16, 1], filters: 2 }),
      [1, 16, 16, 1],
    );
    expect(leaked).toBe(0);
  });
});
