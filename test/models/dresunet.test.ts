import { describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { DResUNet } from '../../src/models/dresunet';
import { ResUNet, ResUNetECSA, ResUNetFPRM } from '../../src/models/resunet';
import { expectTrainsAndRoundTrips, fixedBatch, leakAfterPredict, trainableCount } from './harness';

const inbound = (m: tfl.LayersModel, name: string): string[] =>
  m.getLayer(name).inboundNodes[0].inboundLayers.map((l) => l.name);

describe('DResUNet', () => {
  it('wires section 3.1: deformable entries, residual shortcuts, ECAsE in x5, deform 1x1 + FPRM head', () => {
    const m = DResUNet({ inputShape: [256, 256, 1] });
    // x1: conv3x3-BN-ReLU-maxpool at stride 2.
    expect(m.getLayer('x1_pool').outputShape).toEqual([null, 128, 128, 64]);
    // x2..x5 open with a 3x3 deformable conv, stride 1 in x2 and 2 afterwards.
    const strides = ['x2', 'x3', 'x4', 'x5'].map((s) => {
      const l = m.getLayer(`${s}_deform`);
      expect(l.getClassName()).toBe('DeformConv2D');
      return (l.getConfig().strides as number[])[0];
    });
    expect(strides).toEqual([1, 2, 2, 2]);
    expect(m.getLayer('x5_add').outputShape).toEqual([null, 16, 16, 512]);
    // x5's ECAsE sits after its second conv and before the 1x1 conv.
    expect(m.getLayer('x5_attn').getClassName()).toBe('ECAsE');
    expect(inbound(m, 'x5_attn')).toEqual(['x5_relu2']);
    expect(inbound(m, 'x5_conv3')).toEqual(['x5_attn']);
    // Decoder x44 / x33 / x22 back to stride 2.
    expect(m.getLayer('x44_relu2').outputShape).toEqual([null, 32, 32, 256]);
    expect(m.getLayer('x22_relu2').outputShape).toEqual([null, 128, 128, 64]);
    // Head: four 2x2 max pools -> dropout 0.5 -> 1x1 deform conv -> FPRM with x22 -> avg pool -> 2 dense.
    expect(inbound(m, 'head_dropout')).toEqual(['head_pool4']);
    expect(m.getLayer('head_dropout').getConfig().rate).toBe(0.5);
    expect(m.getLayer('head_deform').outputShape).toEqual([null, 8, 8, 64]);
    expect(m.getLayer('head_deform').getConfig().kernelSize).toEqual([1, 1]);
    expect(inbound(m, 'head_fprm')).toEqual(['head_deform', 'x22_relu2']);
    expect(m.getLayer('head_fprm').outputShape).toEqual([null, 128, 128, 64]);
    // PyTorch's BN constants, as every other BN of the net.
    expect(m.getLayer('head_fprm').getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5 });
    expect(inbound(m, 'head_fc1')).toEqual(['head_avgpool']);
    expect(m.outputs[0].shape).toEqual([null, 2]);
    m.dispose();
  });

  it('x2 as the thesis reads: deform 3x3 -> two conv3x3-BN-ReLU -> conv 1x1 -> BN, then + x1', () => {
    const m = DResUNet({ inputShape: [32, 32, 1], filters: 4 });
    // The main path, layer by layer.
    const chain = ['x2_add'];
    for (let name = 'x2_bn3'; name !== 'x1_pool'; name = inbound(m, name)[0]) chain.unshift(name);
    expect(chain).toEqual([
      'x2_deform',
      'x2_entry_bn',
      'x2_entry_relu',
      'x2_conv1',
      'x2_bn1',
      'x2_relu1',
      'x2_conv2',
      'x2_bn2',
      'x2_relu2',
      'x2_conv3',
      'x2_bn3',
      'x2_add',
    ]);
    expect(m.getLayer('x2_conv3').getConfig().kernelSize).toEqual([1, 1]);
    expect(m.getLayer('x2_conv3').getConfig().strides).toEqual([1, 1]);
    // What is added to what: the BN after the 1x1 conv and x1 itself, unchanged.
    expect(inbound(m, 'x2_add')).toEqual(['x2_bn3', 'x1_pool']);
    expect(m.layers.map((l) => l.name)).not.toContain('x2_short_conv');
    expect(m.getLayer('x2_add').getClassName()).toBe('Add');
    // Strided stages: the same main path; their input reaches the sum through a strided 1x1 conv + BN.
    expect(inbound(m, 'x3_add')).toEqual(['x3_bn3', 'x3_short_bn']);
    expect(inbound(m, 'x3_short_conv')).toEqual(['x2_add']);
    expect(m.getLayer('x3_short_conv').getConfig().strides).toEqual([2, 2]);
    // Nothing follows the sum before the next stage's deformable conv.
    expect(inbound(m, 'x3_deform')).toEqual(['x2_add']);
    m.dispose();
  });

  it("projection 'shortcut' keeps the 0.1 wiring: 1x1 conv + BN on the stage input", () => {
    const m = DResUNet({ inputShape: [32, 32, 1], filters: 4, projection: 'shortcut' });
    expect(inbound(m, 'x2_short_conv')).toEqual(['x1_pool']);
    expect(inbound(m, 'x2_add')).toEqual(['x2_relu2', 'x2_short_bn']);
    expect(m.layers.map((l) => l.name)).not.toContain('x2_conv3');
    m.dispose();
  });

  it("modulation: DCNv2's sigmoid by default, 2·sigmoid on request, on every deformable conv", () => {
    const mods = (m: tfl.LayersModel): string[] =>
      m.layers
        .filter((l) => l.getClassName() === 'DeformConv2D')
        .map((l) => l.getConfig().modulation as string);
    const a = DResUNet({ inputShape: [16, 16, 1], filters: 2 });
    const b = DResUNet({ inputShape: [16, 16, 1], filters: 2, modulation: '2sigmoid' });
    expect(mods(a)).toEqual(Array(5).fill('sigmoid'));
    expect(mods(b)).toEqual(Array(5).fill('2sigmoid'));
    expect(() => DResUNet({ modulation: 'tanh' as 'sigmoid' })).toThrow(/DResUNet: 'modulation'/);
    [a, b].forEach((m) => m.dispose());
  });

  it('decoder depth and head pooling as read: three upsamplings, four 2x2 max pools of x22', () => {
    const count = (m: tfl.LayersModel, cls: string): number =>
      m.layers.filter((l) => l.getClassName() === cls).length;
    const cls = DResUNet({ inputShape: [64, 64, 1], filters: 2 });
    expect(count(cls, 'UpsampleBilinear')).toBe(3);
    expect(['x44_up', 'x33_up', 'x22_up'].map((n) => cls.getLayer(n).outputShape)).toEqual([
      [null, 8, 8, 16],
      [null, 16, 16, 8],
      [null, 32, 32, 4],
    ]);
    // 'stepwise' (default): x22 32x32 -> 16 -> 8 -> 4 -> 2, each a 2x2 max pool of stride 2.
    const chain = ['head_pool1', 'head_pool2', 'head_pool3', 'head_pool4'];
    expect(chain.map((n) => cls.getLayer(n).getClassName())).toEqual(Array(4).fill('MaxPooling2D'));
    expect(chain.map((n) => cls.getLayer(n).getConfig().poolSize)).toEqual(Array(4).fill([2, 2]));
    expect(chain.map((n) => inbound(cls, n)[0])).toEqual(['x22_relu2', ...chain.slice(0, 3)]);
    expect(chain.map((n) => cls.getLayer(n).outputShape?.[1])).toEqual([16, 8, 4, 2]);
    expect(inbound(cls, 'head_deform')).toEqual(['head_dropout']);
    // 'global' (medinets 0.1): one global max pool to 1x1.
    const glob = DResUNet({ inputShape: [64, 64, 1], filters: 2, headPooling: 'global' });
    expect(glob.getLayer('head_maxpool').getClassName()).toBe('GlobalMaxPooling2D');
    expect(inbound(glob, 'head_maxpool')).toEqual(['x22_relu2']);
    expect(glob.getLayer('head_reshape').outputShape).toEqual([null, 1, 1, 2]);
    expect(glob.layers.map((l) => l.name)).not.toContain('head_pool1');
    // Same weights either way: the pooling has none.
    expect(glob.countParams()).toBe(cls.countParams());
    expect(() => DResUNet({ headPooling: 'avg' as 'global' })).toThrow(/DResUNet: 'headPooling'/);
    glob.dispose();
    const seg = DResUNet({ inputShape: [64, 64, 1], filters: 2, head: 'segment' });
    expect(count(seg, 'UpsampleBilinear')).toBe(4);
    expect(seg.getLayer('seg_up').outputShape).toEqual([null, 64, 64, 2]);
    [cls, seg].forEach((m) => m.dispose());
  });

  it('is ResUNet plus exactly its deformable convs, ECAsE and FPRM (parameter accounting)', () => {
    const opts = { inputShape: [64, 64, 1] as [number, number, number], filters: 8 };
    const [plain, ecsa, fprm, d] = [ResUNet(opts), ResUNetECSA(opts), ResUNetFPRM(opts), DResUNet(opts)];
    const params = (m: tfl.LayersModel, cls: string): number =>
      m.layers.filter((l) => l.getClassName() === cls).reduce((s, l) => s + l.countParams(), 0);
    const ecase = trainableCount(ecsa) - trainableCount(plain);
    expect(ecase).toBe(params(ecsa, 'ECAsE'));
    // FPRM's BN moving statistics are not trainable; compare trainable weights.
    const fprmLayer = fprm.getLayer('head_fprm');
    const fprmTrainable = fprmLayer.trainableWeights.reduce(
      (s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
      0,
    );
    expect(trainableCount(fprm) - trainableCount(plain)).toBe(fprmTrainable);
    // DResUNet swaps the 4 entry convs and the head conv for deformable ones (each adds its offset/mask conv).
    const entryConvs = ['x2', 'x3', 'x4', 'x5'].reduce(
      (s, n) => s + plain.getLayer(`${n}_entry_conv`).countParams(),
      0,
    );
    const headConv = plain.getLayer('head_conv').countParams();
    expect(trainableCount(d)).toBe(
      trainableCount(plain) + ecase + fprmTrainable - entryConvs - headConv + params(d, 'DeformConv2D'),
    );
    [plain, ecsa, fprm, d].forEach((m) => m.dispose());
  });

  it('builds at the smallest input and odd sizes, both heads', () => {
    const small = DResUNet({ inputShape: [16, 16, 1], filters: 2 });
    expect(small.getLayer('x5_add').outputShape).toEqual([null, 1, 1, 16]);
    // x22 8x8 -> 4 -> 2 -> 1 -> 1: the padded ('same') pools never reach an empty map.
    expect(small.getLayer('head_pool4').outputShape).toEqual([null, 1, 1, 2]);
    small.dispose();
    for (const upsample of ['bilinear', 'transpose'] as const) {
      const seg = DResUNet({ inputShape: [33, 35, 1], filters: 2, head: 'segment', classes: 3, upsample });
      expect(seg.outputs[0].shape).toEqual([null, 33, 35, 3]);
      seg.dispose();
    }
    const cls = DResUNet({ inputShape: [37, 29, 3], filters: 2, classes: 1 });
    expect(cls.outputs[0].shape).toEqual([null, 1]);
    expect(cls.getLayer('predictions').getConfig().activation).toBe('sigmoid');
    cls.dispose();
  });

  it('one training step lowers the loss; save -> load -> identical predictions; no leaks', async () => {
    const m = DResUNet({ inputShape: [32, 32, 1], filters: 4, hiddenUnits: 8, dropout: 0, seed: 21 });
    await expectTrainsAndRoundTrips(m, fixedBatch(4, [32, 32, 1], 2), 2, 1e-3, (loaded) =>
      expect(loaded.getLayer('head_fprm').getClassName()).toBe('FPRM'),
    );
    const { leaked, shape } = leakAfterPredict(
      () => DResUNet({ inputShape: [17, 19, 1], filters: 2 }),
      [1, 17, 19, 1],
    );
    expect([leaked, ...shape]).toEqual([0, 1, 2]);
  });

  it('rejects bad options', () => {
    expect(() => DResUNet({ inputShape: [12, 12, 1] })).toThrow(/DResUNet: 'inputShape'.*at least 16/);
    expect(() => DResUNet({ classes: 0 })).toThrow(/DResUNet: 'classes'/);
    expect(() => DResUNet({ upsample: 'cubic' as 'bilinear' })).toThrow(/DResUNet: 'upsample'/);
    expect(() => DResUNet({ dropout: 2 })).toThrow(/DResUNet: 'dropout'/);
    expect(() => DResUNet({ seed: Number.NaN })).toThrow(/DResUNet: 'seed'/);
  });
});

describe('ResUNetFPRM', () => {
  it('trains, round-trips through the registered FPRM class, leaks nothing', async () => {
    const m = ResUNetFPRM({ inputShape: [32, 32, 1], filters: 4, hiddenUnits: 8, dropout: 0, seed: 22 });
    expect(inbound(m, 'head_fprm')).toEqual(['head_conv', 'x22_relu2']);
    await expectTrainsAndRoundTrips(m, fixedBatch(4, [32, 32, 1], 2), 2, 1e-3);
    const { leaked } = leakAfterPredict(
      () => ResUNetFPRM({ inputShape: [16, 16, 1], filters: 2 }),
      [1, 16, 16, 1],
    );
    expect(leaked).toBe(0);
  });
});
