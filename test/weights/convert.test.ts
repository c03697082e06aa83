// The layout conversions against tf.transpose (an independent implementation), on shapes that
// are not multiples of the 32-wide blocks; the zero-copy float32 decode, and a model loaded
// from bytes that does not alias them.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ResNet } from '../../src/models';
import { loadWeights } from '../../src/weights';
import { readTorch } from '../../src/weights/torch';
import { permute } from '../../src/weights/convert';
import { decodeElements, type RawTensor } from '../../src/weights/raw';

const raw = (shape: number[]): RawTensor => ({
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 10),
});

describe('permute', () => {
  it.each([
    [
      [70, 33],
      [1, 0],
    ],
    [
      [1, 5],
      [1, 0],
    ],
    [
      [37, 13, 3, 3],
      [2, 3, 1, 0],
    ],
    [
      [64, 3, 7, 7],
      [2, 3, 1, 0],
    ],
    [
      [33, 65, 1, 1],
      [2, 3, 1, 0],
    ],
    [
      [45, 1, 3, 3],
      [2, 3, 0, 1],
    ],
    [
      [4, 5, 6, 7],
      [3, 1, 0, 2],
    ],
    [
      [4, 5, 6],
      [2, 0, 1],
    ],
  ])('%j by %j equals tf.transpose', (shape, perm) => {
    const t = raw(shape);
    const got = permute(t, perm);
    const want = tf.tidy(() => tf.transpose(tf.tensor(t.data, shape), perm));
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data)).toEqual(Array.from(want.dataSync()));
    want.dispose();
  });
});

describe('decodeElements', () => {
  it('aligned float32 is a view of the bytes; unaligned and fp16 are decoded copies', () => {
    const f = new Float32Array([1.5, -2, 3.25, 4]);
    const bytes = new Uint8Array(f.buffer);
    const view = decodeElements(bytes, 4, 2, 'float32');
    expect(Array.from(view)).toEqual([-2, 3.25]);
    expect(view.buffer).toBe(f.buffer);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const copy = decodeElements(shifted, 1, 4, 'float32');
    expect(Array.from(copy)).toEqual([1.5, -2, 3.25, 4]);
    expect(copy.buffer).not.toBe(shifted.buffer);
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer); // 1, -2
    expect(Array.from(decodeElements(half, 0, 2, 'float16'))).toEqual([1, -2]);
  });
});

describe('loading from bytes', () => {
  it('the model neither aliases nor keeps the bytes it loaded (aligned float32 views are copied once)', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const torch = readTorch(
      new Uint8Array(readFileSync(join(here, '..', 'fixtures', 'models', 'tv_resnet18_w4.pth'))),
    );
    // The same tensors as safetensors, whose float32 data the reader returns as views.
    const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
    let at = 0;
    for (const [k, t] of torch) {
      header[k] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + 4 * t.data.length] };
      at += 4 * t.data.length;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8);
    const bytes = new Uint8Array(8 + json.length + at);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(new TextEncoder().encode(json), 8);
    let p = 8 + json.length;
    for (const t of torch.values()) {
      bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
      p += t.data.byteLength;
    }
    const model = ResNet({
      blocks: [2, 2, 2, 2],
      block: 'basic',
      filters: 4,
      inputShape: [32, 32, 1],
      classes: 3,
      variant: 'torchvision',
    });
    const report = await loadWeights(model, bytes);
    expect(report.format).toBe('safetensors');
    expect(report.missing).toEqual([]);
    const mean = model.getLayer('conv1_bn').getWeights()[2];
    const want = Array.from(torch.get('bn1.running_mean')?.data ?? []);
    expect(Array.from(mean.dataSync())).toEqual(want);
    bytes.fill(0);
    expect(Array.from(model.getLayer('conv1_bn').getWeights()[2].dataSync())).toEqual(want);
    model.dispose();
  });
});
