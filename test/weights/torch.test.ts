// torch.save checkpoints (test/fixtures/weights/make_torch_formats.py) read without Python:
// every layout torch writes, equal to torch's own values; hostile or broken files refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTorch } from '../../src/weights/torch';
import { WeightsError } from '../../src/weights/errors';
import type { RawWeights } from '../../src/weights/raw';
import { FIXTURES } from './helpers';

type Dump = Record<string, { shape: number[]; values: number[] }>;
const want = JSON.parse(readFileSync(join(FIXTURES, 'tiny_torch.json'), 'utf8')) as Record<string, Dump>;
const read = (name: string): RawWeights =>
  readTorch(new Uint8Array(readFileSync(join(FIXTURES, name))), name);

function expectEqual(got: RawWeights, dump: Dump): void {
  expect([...got.keys()].sort()).toEqual(Object.keys(dump).sort());
  for (const [k, { shape, values }] of Object.entries(dump)) {
    const t = got.get(k);
    expect(t?.shape, k).toEqual(shape);
    expect(Array.from(t?.data ?? []), k).toEqual(values.map(Math.fround));
  }
}

describe('readTorch', () => {
  it('reads the zip archive torch.save writes', () => expectEqual(read('tiny_zip.pth'), want.plain));
  it('reads the legacy non-zip format', () => expectEqual(read('tiny_legacy.pth'), want.plain));
  it('unwraps {state_dict} and {model} with a DataParallel prefix', () => {
    expectEqual(read('tiny_wrapped.pth'), want.plain);
    expectEqual(read('tiny_model.pth'), want.plain);
  });
  it('reads float16 and bfloat16 storages exactly', () => {
    expectEqual(read('tiny_fp16.pth'), want.fp16);
    expectEqual(read('tiny_bf16.pth'), want.bf16);
  });
  it('reads strided views and storage offsets', () => expectEqual(read('tiny_strided.pth'), want.strided));

  it('refuses a pickle that names any other global, without executing it', () => {
    expect(() => read('evil_global.pth')).toThrow(WeightsError);
    expect(() => read('evil_global.pth')).toThrow(/evil_global\.pth.*'posix\.system'|'os\.system'/);
  });

  it('names the file and what was expected on truncated, corrupt and unknown input', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'tiny_zip.pth')));
    expect(() => readTorch(bytes.subarray(0, 1000), 'cut.pth')).toThrow(/readTorch: cut\.pth: /);
    const legacy = new Uint8Array(readFileSync(join(FIXTURES, 'tiny_legacy.pth')));
    expect(() => readTorch(legacy.subarray(0, legacy.length - 7), 'cut.pth')).toThrow(/cut\.pth: truncated/);
    expect(() => readTorch(new TextEncoder().encode('hello'), 'x.txt')).toThrow(
      /x\.txt: expected a torch\.save checkpoint/,
    );
  });

  it('fuzz: mutated checkpoints give a WeightsError or a result, never another error', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const name of ['tiny_legacy.pth', 'tiny_zip.pth']) {
      const orig = new Uint8Array(readFileSync(join(FIXTURES, name)));
      for (let trial = 0; trial < 300; trial++) {
        const b = orig.slice(0, trial % 3 === 0 ? rand(orig.length) : orig.length);
        for (let m = 0; m < 1 + rand(8); m++) if (b.length > 0) b[rand(b.length)] = rand(256);
        try {
          readTorch(b, name);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(WeightsError);
        }
      }
    }
  });
});
