// The native addon's Winograd F(4x4, 3x3) (native/winograd.c) for 3x3 stride-1 forward, dx and dW:
// against float64 sums (native-reference.ts) for tiles cut by the edges, channel counts that are
// no multiple of the vector or the micro-kernel's panels, same / valid / uneven padding, bias and
// every fused activation, on both of its schedules; not the direct product's bits (so it ran),
// and with setWinograd(0) the direct path again; the same bits on 1 and 2 threads and on the
// AVX2 path (MEDINETS_NATIVE_ISA=avx2) as on the CPU's best.
import { afterAll, describe, expect, it } from 'vitest';
import { enableNativeKernels } from '../../src/backend';
import { type NativeAddon, activeAddon } from '../../src/backend/native';
import { childJson, relErr } from './kernel-helpers';
import { convDwRef, convDxRef, convRef } from './native-reference';
import { WINO_CASES, runCase } from './native-winograd-cases';

enableNativeKernels();
const addon = activeAddon() as NativeAddon | null;
if (addon == null) throw new Error('native-winograd.test: the native addon is not active');
afterAll(() => addon.setWinograd(1));

const f32 = (v: Float64Array): Float32Array => Float32Array.from(v);
const digest = (threads: number, isa: string): { simd: string; digest: string } =>
  childJson('native-winograd-child.ts', threads, isa);

describe("the native addon's Winograd F(4x4, 3x3)", () => {
  WINO_CASES.forEach((c, i) => {
    it(`${c.what}: forward, dx and dW within 3e-5 of float64, not the direct bits`, () => {
      addon.setWinograd(1);
      const { x, w, b, dy, y, dx, dw } = runCase(addon, c, i);
      expect(relErr(y, f32(convRef(c.p, x, w, b, c.alpha).v))).toBeLessThan(3e-5);
      expect(relErr(dx, f32(convDxRef({ ...c.p, act: 0 }, dy, w).v))).toBeLessThan(3e-5);
      expect(relErr(dw, f32(convDwRef({ ...c.p, act: 0 }, x, dy).v))).toBeLessThan(3e-5);
      addon.setWinograd(0);
      const direct = runCase(addon, c, i);
      addon.setWinograd(1);
      expect(relErr(direct.y, y)).toBeLessThan(3e-5);
      // Winograd ran: its roundings are not the direct product's
      expect(Buffer.from(direct.y.buffer).equals(Buffer.from(y.buffer))).toBe(false);
      expect(Buffer.from(direct.dx.buffer).equals(Buffer.from(dx.buffer))).toBe(false);
      expect(relErr(direct.dw, dw)).toBeLessThan(3e-5);
      expect(Buffer.from(direct.dw.buffer).equals(Buffer.from(dw.buffer))).toBe(false);
    });
  });

  it('gives the same bits on 1 and 2 threads and on the AVX2 path as on the best', () => {
    const best = digest(2, '');
    const one = digest(1, '');
    const avx2 = digest(2, 'avx2');
    expect(['avx512', 'avx2-fma']).toContain(best.simd);
    expect(avx2.simd).toBe('avx2-fma');
    expect(one.digest).toBe(best.digest);
    expect(avx2.digest).toBe(best.digest);
  });
});
