// Run by test/backend/native-winograd.test.ts in a child process, with MEDINETS_NATIVE_ISA set
// or not: the Winograd cases on `threads` pool threads; prints the instruction
// set and a SHA-256 of all their bits (forward, dx and dW). Usage: native-winograd-child.ts <threads>
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { NativeAddon } from '../../../src/backend/native';
import { nativeAddonPath } from '../../../src/backend/native';
import { WINO_CASES, runCase } from '../native-winograd-cases';

const addon = createRequire(import.meta.url)(nativeAddonPath()) as NativeAddon;
addon.setThreads(Number(process.argv[2] ?? '2'));
const hash = createHash('sha256');
WINO_CASES.forEach((c, i) => {
  const { y, dx, dw } = runCase(addon, c, i);
  hash.update(new Uint8Array(y.buffer)).update(new Uint8Array(dx.buffer)).update(new Uint8Array(dw.buffer));
});
console.log(JSON.stringify({ simd: addon.simd(), digest: hash.digest('hex') }));
