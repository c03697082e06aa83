// Run by test/backend/native-conv-affine.test.ts in a child process, with MEDINETS_NATIVE_ISA
// set or not: each case's fused output against the separate kernels' (bit for bit), on
// `threads` pool threads; prints the instruction set, the cases whose bits differ and a SHA-256
// of all the fused outputs. Usage: native-conv-affine-child.ts <threads>
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { NativeAddon } from '../../../src/backend/native';
import { nativeAddonPath } from '../../../src/backend/native';
import { AFFINE_CASES, runAffineCase } from '../native-conv-affine-cases';

const addon = createRequire(import.meta.url)(nativeAddonPath()) as NativeAddon;
addon.setThreads(Number(process.argv[2] ?? '2'));
const hash = createHash('sha256');
const differ: number[] = [];
AFFINE_CASES.forEach((c, i) => {
  const { fused, ref } = runAffineCase(addon, c, i);
  if (!Buffer.from(fused.buffer).equals(Buffer.from(ref.buffer))) differ.push(i);
  hash.update(new Uint8Array(fused.buffer));
});
console.log(JSON.stringify({ simd: addon.simd(), differ, digest: hash.digest('hex') }));
