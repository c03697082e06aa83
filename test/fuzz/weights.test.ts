// Issue 18 item 4 for the weight readers, the CI share (npm run fuzz runs 15,000 per format):
// seeded mutants of the real .pth, safetensors and Keras .h5 fixtures give a result or a
// WeightsError naming loadWeights, the file and the problem; lying sizes are refused before
// anything of their size is allocated.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readKerasH5 } from '../../src/weights/keras-h5';
import { readSafetensors } from '../../src/weights/safetensors';
import { readTorch } from '../../src/weights/torch';
import { allocatedBy, fuzz, summarise } from './mutate';
import { weightTargets } from './weight-targets';

const CASES = 750;
const FIX = join(__dirname, '../fixtures/weights');
const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, f)));

describe('weight readers survive mutated real files', () => {
  it.each(weightTargets().map((t) => [t.label, t] as const))('%s', async (_l, t) => {
    // The bound is for hangs, not speed: the machine is shared.
    const r = await fuzz(t, { cases: CASES, seed: 15, timeBoundMs: 10_000 });
    console.log(summarise(r));
    expect(r.raw).toEqual([]);
    expect(r.slow).toEqual([]);
    expect(r.decoded + r.namedErrors).toBe(CASES);
  });
});

function safetensors(header: object, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const b = new Uint8Array(8 + h.length + data.length);
  new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
  b.set(h, 8);
  b.set(data, 8 + h.length);
  return b;
}

describe('lying sizes are refused before allocation', () => {
  it('safetensors claiming 2^31 x 2^31 elements, negative or fractional dimensions, or a non-object header', () => {
    const data = new Uint8Array(16);
    const cases: [object, RegExp][] = [
      [
        { a: { dtype: 'F32', shape: [2 ** 31, 2 ** 31], data_offsets: [0, 16] } },
        /needs \d+ bytes; its offsets span 16/,
      ],
      [
        { a: { dtype: 'F32', shape: [-2, -2], data_offsets: [0, 16] } },
        /shape \[-2,-2\]; expected a list of non-negative/,
      ],
      [
        { a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 16] } },
        /expected a list of non-negative integers/,
      ],
      [{ a: { dtype: 'F32', shape: [4], data_offsets: 16 } }, /data_offsets 16; expected \[begin, end\]/],
      [
        { a: { dtype: 'F32', shape: [4], data_offsets: [8, 4] } },
        /expected \[begin, end\] with 0 <= begin <= end/,
      ],
      [{ a: { dtype: 'F32', shape: [4], data_offsets: [0, 2 ** 40] } }, /needs 16 bytes; its offsets span/],
      [{ a: null }, /tensor 'a' has unsupported dtype undefined/],
    ];
    for (const [header, message] of cases) {
      const b = safetensors(header, data);
      expect(() => readSafetensors(b, 'lie.safetensors', 'loadWeights')).toThrow(message);
      expect(() => readSafetensors(b, 'lie.safetensors', 'loadWeights')).toThrow(
        /^loadWeights: lie\.safetensors: /,
      );
      expect(allocatedBy(() => readSafetensors(b, 'x', 'x'))).toBeLessThan(2 ** 20);
    }
  });

  it('a Keras .h5 whose dataset claims (2^31-1) x (2^31-1) x 2 x 4 values', () => {
    const b = fixture('tiny_weights.h5');
    // conv1_conv/kernel's dataspace: dimensions 3, 3, 2, 4 as little-endian uint64
    const dims = new Uint8Array(32);
    [3, 3, 2, 4].forEach((d, i) => (dims[8 * i] = d));
    const at = b.findIndex((_, i) => dims.every((v, k) => b[i + k] === v));
    expect(at).toBeGreaterThan(0);
    const lie = b.slice();
    // jsfive reads the low 32 bits of each 64-bit dimension
    new DataView(lie.buffer).setUint32(at, 2 ** 31 - 1, true);
    new DataView(lie.buffer).setUint32(at + 8, 2 ** 31 - 1, true);
    expect(() => readKerasH5(lie, 'lie.h5', 'loadWeights')).toThrow(
      /^loadWeights: lie\.h5: a corrupt Keras weights layout at weight 'conv1_conv\/conv1_conv\/kernel:0' \(shape \[\d+, \d+, 2, 4\] of <f4 claims more bytes than the file can hold\)/,
    );
    expect(allocatedBy(() => readKerasH5(lie, 'x', 'x'))).toBeLessThan(16 * 2 ** 20);
  });

  it('a Keras .h5 attribute claiming millions of values fails at once (jsfive would read past the end)', () => {
    const b = fixture('tiny_weights.h5');
    // the dataspace of the root attribute layer_names (version 1, one dimension, max dims
    // present, then the extent 3 as uint64): 3 layers -> 2^24 + 3
    const name = new TextEncoder().encode('layer_names');
    const at = b.findIndex((_, i) => name.every((v, k) => b[i + k] === v));
    const space = [1, 1, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0];
    const dim = b.findIndex((_, i) => i > at && space.every((v, k) => b[i + k] === v)) + 8;
    expect(dim - at).toBeGreaterThan(0);
    expect(dim - at).toBeLessThan(64);
    const lie = b.slice();
    lie[dim + 3] = 1;
    const t0 = performance.now();
    expect(() => readKerasH5(lie, 'lie.h5', 'loadWeights')).toThrow(
      /^loadWeights: lie\.h5: .*claims \d+ values/,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a .pth zip whose directory claims 2^32-1 entries, or an entry 2^31 bytes inflated from a few', () => {
    const b = fixture('tiny_zip.pth');
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let e = b.length - 22;
    while (v.getUint32(e, true) !== 0x06054b50) e--;
    // torch.save writes a zip64 end record, whose entry count fflate (and medinets) reads
    const z64 = v.getUint32(e - 12, true);
    expect(v.getUint32(z64, true)).toBe(0x06064b50);
    const many = b.slice();
    new DataView(many.buffer).setUint32(z64 + 32, 0xffffffff, true);
    expect(() => readTorch(many, 'lie.pth', 'loadWeights')).toThrow(
      /^loadWeights: lie\.pth: a corrupt zip archive: its directory claims 4294967295 entries/,
    );
    // the first central-directory entry made deflated, claiming 2^31 bytes
    const cd = v.getUint32(e + 16, true);
    const big = b.slice();
    const bv = new DataView(big.buffer);
    bv.setUint16(cd + 10, 8, true);
    bv.setUint32(cd + 24, 2 ** 31, true);
    expect(() => readTorch(big, 'lie.pth', 'loadWeights')).toThrow(
      /claims 2147483648 bytes from \d+ compressed/,
    );
    expect(allocatedBy(() => readTorch(big, 'x', 'x'))).toBeLessThan(16 * 2 ** 20);
  });
});
