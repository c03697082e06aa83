// Run by native-depthwise.test.ts with and without MEDINETS_NATIVE_ISA=avx2 and on 1 and 3
// threads (argv[2]): the three depthwise passes on MobileNet-like shapes, some big enough to be
// split over the pool (dW into several row chunks), printed as one FNV-1a digest of the output
// bits, the instruction set used and the thread count.
import { createRequire } from 'node:module';
import type { NativeAddon } from '../../../src/backend/native';
import { nativeAddonPath } from '../../../src/backend/native';
import { randArray, rng } from '../native-fuzz-cases';
import { dwArray, type DwP } from '../native-reference';

const addon = createRequire(import.meta.url)(nativeAddonPath()) as NativeAddon;
const threads = addon.setThreads(Number(process.argv[2] ?? '1'));
const r = rng(42);
let digest = 0x811c9dc5;
const absorb = (a: Float32Array): void => {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < u.length; i++) digest = Math.imul(digest ^ (u[i] as number), 16777619) >>> 0;
};
const base = { n: 2, kh: 3, kw: 3, dh: 1, dw: 1, pt: 1, pl: 1, act: 0 };
const shapes: DwP[] = [
  { ...base, h: 16, w: 16, c: 96, ho: 8, wo: 8, m: 1, sh: 2, sw: 2, pt: 0, pl: 0 },
  { ...base, h: 8, w: 8, c: 144, ho: 8, wo: 8, m: 1, sh: 1, sw: 1, act: 2 },
  { ...base, h: 7, w: 9, c: 37, ho: 7, wo: 9, m: 3, sh: 1, sw: 1, act: 3 },
  // split over threads; dW in several chunks (channels with a masked tail, a 5x5 filter, m 2)
  { ...base, n: 4, h: 32, w: 32, c: 144, ho: 32, wo: 32, m: 1, sh: 1, sw: 1, act: 2 },
  { ...base, n: 3, h: 33, w: 31, c: 40, ho: 17, wo: 16, m: 1, sh: 2, sw: 2, act: 1 },
  { ...base, n: 2, h: 24, w: 20, c: 19, ho: 24, wo: 20, m: 1, kh: 5, kw: 5, pt: 2, pl: 2, sh: 1, sw: 1 },
  { ...base, n: 2, h: 20, w: 20, c: 24, ho: 20, wo: 20, m: 2, sh: 1, sw: 1, dh: 2, dw: 2, pt: 2, pl: 2 },
];
for (const p of shapes) {
  const cm = p.c * p.m;
  const x = randArray(r, p.n * p.h * p.w * p.c);
  const w = randArray(r, p.kh * p.kw * cm);
  const dy = randArray(r, p.n * p.ho * p.wo * cm);
  const out = new Float32Array(dy.length);
  const dx = new Float32Array(x.length);
  const dwt = new Float32Array(w.length);
  addon.depthwiseConv2d(x, w, randArray(r, cm), out, dwArray(p), 0.1);
  addon.depthwiseConv2dBackpropInput(dy, w, dx, dwArray({ ...p, act: 0 }));
  addon.depthwiseConv2dBackpropFilter(x, dy, dwt, dwArray({ ...p, act: 0 }));
  [out, dx, dwt].forEach(absorb);
}
console.log(JSON.stringify({ simd: addon.simd(), threads, digest }));
