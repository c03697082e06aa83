// The classic-backbone blocks: names, shapes, padding conventions and the kernel-initialiser
// scope.
import { describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  KerasNamer,
  basicUnit,
  bottleneckUnit,
  convBnAct,
  KernelInit,
  denseBlock,
  transitionBlock,
} from '../../src/blocks';

const names = (m: tfl.LayersModel): string[] => m.layers.map((l) => l.name);

describe('classic blocks', () => {
  it('KerasNamer reproduces Keras auto-names per class, with a prefix', () => {
    const n = new KerasNamer('p/');
    expect([
      n.next('conv2d'),
      n.next('conv2d'),
      n.next('activation'),
      n.next('conv2d'),
      n.fixed('mixed0'),
    ]).toEqual(['p/conv2d', 'p/conv2d_1', 'p/activation', 'p/conv2d_2', 'p/mixed0']);
  });

  it('convBnAct orders conv-BN-act or BN-act-conv', () => {
    const x = tfl.input({ shape: [8, 8, 3] });
    const a = convBnAct(x, { filters: 4, kernelSize: 3, names: { conv: 'c', bn: 'b', act: 'a' } });
    const b = convBnAct(a, {
      filters: 5,
      kernelSize: 1,
      order: 'bn-act-conv',
      activation: null,
      names: { conv: 'c2', bn: 'b2' },
    });
    const m = tfl.model({ inputs: x, outputs: b });
    expect(names(m).slice(1)).toEqual(['c', 'b', 'a', 'b2', 'c2']);
    expect(m.outputs[0].shape).toEqual([null, 8, 8, 5]);
    m.dispose();
  });

  it('residual units: shortcut projection, stride placement and symmetric padding', () => {
    const x = tfl.input({ shape: [9, 9, 8] });
    const keras = bottleneckUnit(x, { filters: 4, stride: 2, convShortcut: true, name: 'k' });
    const torch = bottleneckUnit(x, {
      filters: 4,
      stride: 2,
      convShortcut: true,
      name: 't',
      strideOn: '3x3',
      symmetricPadding: true,
    });
    const basic = basicUnit(x, { filters: 8, convShortcut: false, name: 'b' });
    const m = tfl.model({ inputs: x, outputs: [keras, torch, basic] });
    expect(m.outputs.map((o) => o.shape)).toEqual([
      [null, 5, 5, 16],
      [null, 5, 5, 16],
      [null, 9, 9, 8],
    ]);
    const strides = (n: string) => (m.getLayer(n) as unknown as { strides: number[] }).strides;
    expect(strides('k_1_conv')).toEqual([2, 2]);
    expect(strides('k_2_conv')).toEqual([1, 1]);
    expect(strides('t_1_conv')).toEqual([1, 1]);
    expect(strides('t_2_conv')).toEqual([2, 2]);
    expect(m.getLayer('t_2_pad').getClassName()).toBe('ZeroPadding2D');
    expect(() => m.getLayer('b_0_conv')).toThrow();
    expect(m.getLayer('b_add').getClassName()).toBe('Add');
    m.dispose();
  });

  it('dense blocks grow by the growth rate; transitions halve channels and size', () => {
    const x = tfl.input({ shape: [8, 8, 16] });
    const d = denseBlock(x, 3, 'conv2', { growthRate: 4 });
    const t = transitionBlock(d, 0.5, 'pool2');
    const m = tfl.model({ inputs: x, outputs: [d, t] });
    expect(m.outputs.map((o) => o.shape)).toEqual([
      [null, 8, 8, 28],
      [null, 4, 4, 14],
    ]);
    expect(m.getLayer('conv2_block3_concat').getClassName()).toBe('Concatenate');
    expect(m.getLayer('conv2_block1_1_conv').getWeights()[0].shape).toEqual([1, 1, 16, 16]);
    m.dispose();
  });

  it('KernelInit: zeros, equal seeds draw equal kernels, unseeded keeps the layer default', () => {
    expect(new KernelInit().kernel()).toBeUndefined();
    expect(new KernelInit().seed()).toBeUndefined();
    expect(new KernelInit({ zeros: true }).kernel()).toBe('zeros');
    const draw = (seed: number): number[] => {
      const init = new KernelInit({ seed });
      const a = init.kernel();
      if (a === undefined || a === 'zeros') throw new Error('expected an initializer');
      const t = a.apply([4]);
      const out = [...Array.from(t.dataSync()), init.seed() as number];
      t.dispose();
      return out;
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
    expect(() => new KernelInit({ seed: Number.NaN })).toThrow(/KernelInit: 'seed'/);
  });

  it("convBnAct padding 'torch' pads k // 2 on every side only where 'same' would differ", () => {
    const x = tfl.input({ shape: [8, 8, 3] });
    const strided = convBnAct(x, {
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: 'torch',
      names: { conv: 's_conv', pad: 's_pad' },
    });
    const plain = convBnAct(x, { filters: 2, kernelSize: 3, padding: 'torch', names: { pad: 'p_pad' } });
    const m = tfl.model({ inputs: x, outputs: [strided, plain] });
    expect(m.getLayer('s_pad').getConfig().padding).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(m.getLayer('s_conv').getConfig().padding).toBe('valid');
    expect(() => m.getLayer('p_pad')).toThrow();
    expect(m.outputs.map((o) => o.shape)).toEqual([
      [null, 4, 4, 2],
      [null, 8, 8, 2],
    ]);
    m.dispose();
  });
});
