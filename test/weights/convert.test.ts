// The layout conversions against tf.transpose (an independent implementation), on shapes that
// are not multiples of the 32-wide blocks, and the zero-copy float32 decode.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
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
