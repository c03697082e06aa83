// safetensors, Keras HDF5 and TF.js layers readers against files written by
// test/fixtures/weights/make_formats.py, and format detection from content.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { WeightsError } from '../../src/weights/errors';
import { readKerasH5 } from '../../src/weights/keras-h5';
import type { RawWeights } from '../../src/weights/raw';
import { detectFormat, readWeightsFile } from '../../src/weights/read';
import { readSafetensors } from '../../src/weights/safetensors';
import { FIXTURES } from './helpers';

type Dump = Record<string, { shape: number[]; values: number[] }>;
const want = JSON.parse(readFileSync(join(FIXTURES, 'tiny_formats.json'), 'utf8')) as Record<string, Dump>;
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

function expectEqual(got: RawWeights, dump: Dump): void {
  expect([...got.keys()].sort()).toEqual(Object.keys(dump).sort());
  for (const [k, { shape, values }] of Object.entries(dump)) {
    expect(got.get(k)?.shape, k).toEqual(shape);
    expect(Array.from(got.get(k)?.data ?? []), k).toEqual(values.map(Math.fround));
  }
}

describe('readSafetensors', () => {
  it('reads F32, F16 and BF16 tensors exactly', () =>
    expectEqual(readSafetensors(bytes('tiny.safetensors')), want.safetensors));
  it('refuses truncated files naming them', () => {
    const b = bytes('tiny.safetensors');
    expect(() => readSafetensors(b.subarray(0, b.length - 3), 'cut.safetensors')).toThrow(
      /readSafetensors: cut\.safetensors: tensor '.' has offsets outside the file/,
    );
  });
});

describe('readKerasH5', () => {
  it('reads the save_weights layout', () => expectEqual(readKerasH5(bytes('tiny_weights.h5')), want.keras));
  it('reads the model.save layout (/model_weights)', () =>
    expectEqual(readKerasH5(bytes('tiny_model.h5')), want.keras));
  it('refuses a truncated file naming it', () => {
    const b = bytes('tiny_weights.h5');
    expect(() => readKerasH5(b.subarray(0, 3000), 'cut.h5')).toThrow(WeightsError);
  });
});

describe('TF.js layers format', () => {
  it('dequantises uint8 and uint16 weights as tfjs does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medinets-tfjs-'));
    const q8 = new Uint8Array([0, 10, 255, 128]);
    const q16 = new Uint16Array([0, 1000, 65535]);
    const f32 = new Float32Array([1.5, -2]);
    const shard = new Uint8Array(4 + 6 + 8);
    shard.set(q8, 0);
    shard.set(new Uint8Array(q16.buffer), 4);
    shard.set(new Uint8Array(f32.buffer), 10);
    writeFileSync(join(dir, 'group1-shard1of1.bin'), shard);
    const weights = [
      {
        name: 'conv2d_1/kernel',
        shape: [2, 2],
        dtype: 'float32',
        quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
      },
      {
        name: 'conv2d_1/bias',
        shape: [3],
        dtype: 'float32',
        quantization: { dtype: 'uint16', scale: 0.001, min: 2 },
      },
      { name: 'dense_1/bias', shape: [2], dtype: 'float32' },
    ];
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }),
    );
    const got = await readWeightsFile(dir);
    expect(got.format).toBe('tfjs-layers');
    const decoded = tf.io.decodeWeights(shard.buffer, weights as tf.io.WeightsManifestEntry[]);
    for (const w of weights) {
      expect(Array.from(got.weights.get(w.name)?.data ?? [])).toEqual(Array.from(decoded[w.name].dataSync()));
    }
    tf.dispose(decoded);
    expect(Array.from(got.weights.get('conv2d_1/kernel')?.data ?? [])).toEqual([-1, 4, 126.5, 63]);
  });
});

describe('readWeightsFile', () => {
  it('detects every format from the content, not the name', async () => {
    expect(detectFormat(bytes('tiny_zip.pth'))).toBe('torch');
    expect(detectFormat(bytes('tiny_legacy.pth'))).toBe('torch');
    expect(detectFormat(bytes('tiny.safetensors'))).toBe('safetensors');
    expect(detectFormat(bytes('tiny_weights.h5'))).toBe('keras-h5');
    expect((await readWeightsFile(bytes('tiny.safetensors').buffer as ArrayBuffer)).format).toBe(
      'safetensors',
    );
    expect((await readWeightsFile(join(FIXTURES, 'tiny_weights.h5'))).format).toBe('keras-h5');
  });
  it('names the file on unknown content and missing files', async () => {
    await expect(
      readWeightsFile(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'loadWeights'),
    ).rejects.toThrow(/loadWeights: <bytes>: unknown format: expected a PyTorch checkpoint/);
    await expect(readWeightsFile('/nonexistent/x.pth', 'loadWeights')).rejects.toThrow(
      /loadWeights: \/nonexistent\/x\.pth: cannot be read \(ENOENT\)/,
    );
  });
});
