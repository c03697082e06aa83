import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodePng, encodePng, readImage } from '../../src/data';

const FIX = join(__dirname, '../fixtures/data');

interface PngCase {
  file: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  data: number[];
}

describe('decodePng', () => {
  const cases = JSON.parse(readFileSync(join(FIX, 'png/expected.json'), 'utf8')) as PngCase[];
  it.each(cases.map((c) => [c.file, c] as const))('decodes %s exactly', (_name, c) => {
    const img = decodePng(new Uint8Array(readFileSync(join(FIX, 'png', c.file))), c.file);
    expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([
      c.width,
      c.height,
      c.channels,
      c.bitDepth,
    ]);
    expect(Array.from(img.data)).toEqual(c.data);
  });

  it('round-trips encodePng at 8 and 16 bits', () => {
    const data = Uint16Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 4099) % 65536);
    const img = decodePng(encodePng({ width: 5, height: 3, channels: 3, data, bitDepth: 16 }));
    expect(Array.from(img.data)).toEqual(Array.from(data));
    const g = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    expect(Array.from(decodePng(encodePng({ width: 4, height: 3, channels: 1, data: g })).data)).toEqual(
      Array.from(g),
    );
  });

  it('names the file on corrupt or truncated input', () => {
    const good = new Uint8Array(readFileSync(join(FIX, 'png/rgb8.png')));
    expect(() => decodePng(good.subarray(0, good.length - 20), 'scan.png')).toThrow(
      /decodePng: scan\.png: truncated/,
    );
    const bad = good.slice();
    bad[40] = (bad[40] as number) ^ 0xff;
    expect(() => decodePng(bad, 'scan.png')).toThrow(/scan\.png: CRC mismatch/);
    expect(() => decodePng(new Uint8Array([1, 2, 3]), 'x.png')).toThrow(/x\.png: not a PNG/);
  });
});

describe('JPEG and readImage', () => {
  const cases = JSON.parse(readFileSync(join(FIX, 'jpeg/expected.json'), 'utf8')) as Array<{
    file: string;
    width: number;
    height: number;
    rgb: number[];
  }>;
  it.each(cases.map((c) => [c.file, c] as const))('decodes %s within 3 grey levels of libjpeg', (_n, c) => {
    const img = decodeImage(new Uint8Array(readFileSync(join(FIX, 'jpeg', c.file))), c.file);
    expect([img.width, img.height, img.channels]).toEqual([c.width, c.height, 3]);
    let maxDiff = 0;
    let sum = 0;
    c.rgb.forEach((v, i) => {
      const d = Math.abs(v - (img.data[i] as number));
      maxDiff = Math.max(maxDiff, d);
      sum += d;
    });
    expect(maxDiff).toBeLessThanOrEqual(3);
    expect(sum / c.rgb.length).toBeLessThan(1);
  });

  it('readImage gives a [h, w, c] float32 tensor with channel conversion and scaling', async () => {
    const before = tf.memory().numTensors;
    const t = await readImage(join(FIX, 'png/rgb8.png'), { channels: 1, scale: 'unit' });
    expect(t.shape).toEqual([7, 13, 1]);
    expect(t.dtype).toBe('float32');
    const c = cases[0] as { rgb: number[] };
    const g = await readImage(join(FIX, 'jpeg/gray.jpg'), { channels: 1 });
    const gv = g.dataSync();
    expect(Math.abs((gv[5] as number) - (c.rgb[15] as number))).toBeLessThanOrEqual(3);
    const max = Math.max(...t.dataSync());
    expect(max).toBeLessThanOrEqual(1);
    tf.dispose([t, g]);
    expect(tf.memory().numTensors).toBe(before);
    await expect(readImage(join(FIX, 'png/missing.png'))).rejects.toThrow(/missing\.png/);
    await expect(readImage(join(FIX, 'png/expected.json'))).rejects.toThrow(
      /expected\.json: not a PNG or JPEG/,
    );
  });
});
