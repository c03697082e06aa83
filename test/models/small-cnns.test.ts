import { describe, expect, it } from 'vitest';
import { SimpleCNN, SmallVGG } from '../../src/models/small-cnns';
import { expectTrainsAndRoundTrips, fixedBatch, leakAfterPredict, maxAbsDiff } from './harness';

// Parameter counts derived from the documented architecture, independent of the builder.
function convParams(cin: number, cout: number, k = 3): number {
  return k * k * cin * cout + cout;
}
function simpleCnnParams(c: number, f: number, blocks: number, classes: number): number {
  let total = 0;
  let cin = c;
  for (let i = 0; i < blocks; i++) {
    const cout = f * 2 ** i;
    total += convParams(cin, cout);
    cin = cout;
  }
  return total + cin * classes + classes;
}
function vggParams(
  h: number,
  w: number,
  c: number,
  f: number,
  hidden: number,
  classes: number,
  flatten: boolean,
): number {
  let total = 0;
  let cin = c;
  let hh = h;
  let ww = w;
  for (let i = 0; i < 4; i++) {
    total += convParams(cin, f * 2 ** i);
    cin = f * 2 ** i;
    hh = Math.floor(hh / 2);
    ww = Math.floor(ww / 2);
  }
  const flat = flatten ? hh * ww * cin : cin;
  return total + flat * hidden + hidden + hidden * classes + classes;
}

describe('SimpleCNN', () => {
  it('builds at its smallest input and at 256x256x1 with the documented parameter count', () => {
    const small = SimpleCNN({ inputShape: [8, 8, 1] });
    expect(small.outputs[0].shape).toEqual([null, 2]);
    expect(small.countParams()).toBe(simpleCnnParams(1, 16, 3, 2));
    const big = SimpleCNN({ inputShape: [256, 256, 1], classes: 3 });
    expect(big.countParams()).toBe(simpleCnnParams(1, 16, 3, 3));
    expect(big.getLayer('block3_pool').outputShape).toEqual([null, 32, 32, 64]);
    expect(big.getLayer('logits').outputShape).toEqual([null, 3]);
    small.dispose();
    big.dispose();
  });

  it('one training step lowers the loss; predictions survive save -> load; no leaks', async () => {
    const m = SimpleCNN({ inputShape: [32, 32, 1], filters: 4, seed: 1 });
    const { losses, counts } = await expectTrainsAndRoundTrips(m, fixedBatch(4, [32, 32, 1], 2), 3, 1e-2);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(counts[2]).toBe(counts[1]);
    const { leaked, shape } = leakAfterPredict(
      () => SimpleCNN({ inputShape: [16, 16, 1], filters: 2 }),
      [2, 16, 16, 1],
    );
    expect(leaked).toBe(0);
    expect(shape).toEqual([2, 2]);
  });

  it('seeds make equal weights', () => {
    const a = SimpleCNN({ inputShape: [8, 8, 1], filters: 2, seed: 5 });
    const b = SimpleCNN({ inputShape: [8, 8, 1], filters: 2, seed: 5 });
    const wa = a.getLayer('block2_conv').getWeights()[0];
    const wb = b.getLayer('block2_conv').getWeights()[0];
    expect(maxAbsDiff(wa, wb)).toBe(0);
    a.dispose();
    b.dispose();
  });

  it('rejects bad options with errors naming the option', () => {
    expect(() => SimpleCNN({ inputShape: [4, 4, 1] })).toThrow(/SimpleCNN: 'inputShape'.*at least 8/);
    expect(() => SimpleCNN({ classes: 0 })).toThrow(/SimpleCNN: 'classes'/);
    expect(() => SimpleCNN({ blocks: 1.5 })).toThrow(/SimpleCNN: 'blocks'/);
    expect(() => SimpleCNN({ inputShape: [8, 8] as unknown as [number, number, number] })).toThrow(
      /'inputShape'/,
    );
    expect(() => SimpleCNN({ classifierActivation: 'tanh' as 'linear' })).toThrow(/'classifierActivation'/);
  });
});

describe('SmallVGG', () => {
  it('builds at 16x16 and 128x128x1 with four convs and two dense layers', () => {
    const small = SmallVGG({ inputShape: [16, 16, 1] });
    expect(small.countParams()).toBe(vggParams(16, 16, 1, 64, 256, 2, true));
    const big = SmallVGG({ inputShape: [128, 128, 1] });
    expect(big.countParams()).toBe(vggParams(128, 128, 1, 64, 256, 2, true));
    const convs = big.layers.filter((l) => l.getClassName() === 'Conv2D').length;
    const dense = big.layers.filter((l) => l.getClassName() === 'Dense').length;
    expect([convs, dense]).toEqual([4, 2]);
    const avg = SmallVGG({ inputShape: [97, 131, 3], topPooling: 'avg', classes: 1 });
    expect(avg.countParams()).toBe(vggParams(97, 131, 3, 64, 256, 1, false));
    expect(avg.getLayer('predictions').getConfig().activation).toBe('sigmoid');
    [small, big, avg].forEach((m) => m.dispose());
  });

  it('trains, round-trips and leaks nothing', async () => {
    const m = SmallVGG({ inputShape: [32, 32, 1], filters: 4, hiddenUnits: 16, dropout: 0, seed: 2 });
    await expectTrainsAndRoundTrips(m, fixedBatch(4, [32, 32, 1], 2), 2, 1e-2);
    const { leaked } = leakAfterPredict(
      () => SmallVGG({ inputShape: [17, 19, 1], filters: 2, hiddenUnits: 4 }),
      [1, 17, 19, 1],
    );
    expect(leaked).toBe(0);
  });

  it('rejects bad options', () => {
    expect(() => SmallVGG({ inputShape: [15, 64, 1] })).toThrow(/SmallVGG: 'inputShape'.*at least 16/);
    expect(() => SmallVGG({ dropout: 1 })).toThrow(/SmallVGG: 'dropout'/);
    expect(() => SmallVGG({ topPooling: 'max' as 'avg' })).toThrow(/SmallVGG: 'topPooling'/);
    expect(() => SmallVGG({ hiddenUnits: 0 })).toThrow(/'hiddenUnits'/);
    expect(() => SmallVGG({ filters: -2 })).toThrow(/'filters'/);
  });
});
