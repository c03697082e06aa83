// An inference batch norm in the native convolutions' epilogue (conv2d / depthwiseConv2d's
// `affine` argument, conv-bn-fusion.ts' kernel): on every path of the forward, the same bits as
// the convolution followed by the addon's separate batch-norm pass (with its ReLU), as the
// unfused layers compute; on the AVX2 and the plain C paths too (MEDINETS_NATIVE_ISA, in a
// child process), on 1 and 2 threads alike; an affine of the wrong length is refused by name.
import { afterAll, describe, expect, it } from 'vitest';
import { enableNativeKernels } from '../../src/backend';
import { type NativeAddon, activeAddon } from '../../src/backend/native';
import { childJson } from './kernel-helpers';
import { AFFINE_CASES, runAffineCase } from './native-conv-affine-cases';
import { convArray, dwArray } from './native-reference';

enableNativeKernels();
const addon = activeAddon() as NativeAddon | null;
if (addon == null) throw new Error('native-conv-affine.test: the native addon is not active');
afterAll(() => addon.setWinograd(1));

const same = (a: Float32Array, b: Float32Array): boolean =>
  Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
const inChild = (threads: number, isa: string): { simd: string; differ: number[]; digest: string } =>
  childJson('native-conv-affine-child.ts', threads, isa);

describe("a batch norm in the native convolutions' epilogue", () => {
  AFFINE_CASES.forEach((c, i) => {
    it(`${c.what}: the bits of the convolution, then the batch-norm pass`, () => {
      const { fused, ref } = runAffineCase(addon, c, i);
      expect(fused.some((v) => v !== 0)).toBe(true);
      expect(same(fused, ref)).toBe(true);
    });
  });

  it('runs the Winograd cases by Winograd (their bits differ from the direct product)', () => {
    const cases = AFFINE_CASES.map((c, i) => ({ c, i })).filter(({ c }) => c.what.includes('Winograd'));
    expect(cases.length).toBe(2);
    for (const { c, i } of cases) {
      const wino = runAffineCase(addon, c, i).fused;
      addon.setWinograd(0);
      const direct = runAffineCase(addon, c, i);
      addon.setWinograd(1);
      expect(same(direct.fused, direct.ref)).toBe(true);
      expect(same(wino, direct.fused)).toBe(false);
    }
  });

  it('keeps the bits on the AVX2 and the plain C paths and on 1 thread', () => {
    const best = inChild(2, '');
    const avx2 = inChild(2, 'avx2');
    const scalar = inChild(2, 'scalar');
    const one = inChild(1, '');
    expect(avx2.simd).toBe('avx2-fma');
    expect(scalar.simd).toBe('scalar');
    for (const r of [best, avx2, scalar, one]) expect(r.differ).toEqual([]);
    expect(one.digest).toBe(best.digest);
  });

  it('refuses an affine of the wrong length, naming it', () => {
    const p = {
      n: 1,
      h: 4,
      w: 4,
      ho: 4,
      wo: 4,
      kh: 1,
      kw: 1,
      sh: 1,
      sw: 1,
      dh: 1,
      dw: 1,
      pt: 0,
      pl: 0,
      act: 0,
    };
    const x = new Float32Array(16 * 3);
    expect(() =>
      addon.conv2d(
        x,
        new Float32Array(3 * 5),
        null,
        new Float32Array(16 * 5),
        convArray({ ...p, cin: 3, cout: 5 }),
        0,
        new Float32Array(5),
      ),
    ).toThrow(/medinets native conv2d: affine.*\[2, outChannels\]/);
    expect(() =>
      addon.depthwiseConv2d(
        x,
        new Float32Array(3),
        null,
        new Float32Array(16 * 3),
        dwArray({ ...p, c: 3, m: 1 }),
        0,
        new Float32Array(7),
      ),
    ).toThrow(/medinets native depthwiseConv2d: affine.*\[2, channels \* multiplier\]/);
  });
});
