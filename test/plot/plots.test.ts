import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  confusionMatrixChart,
  historyChart,
  imageGrid,
  rasterize,
  renderPng,
  renderSvg,
  rocChart,
  saveFigure,
  type Figure,
} from '../../src/plot';
import { niceTicks } from '../../src/plot/figure';
import { decodePng } from '../../src/data';
import { auc } from '../../src/metrics';

const root = mkdtempSync(join(tmpdir(), 'medinets-plot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Width, height and colour type from a PNG's IHDR, plus whether its IDAT inflates to the right size. */
function readPng(bytes: Uint8Array): { width: number; height: number; ok: boolean } {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  expect(Array.from(bytes.subarray(0, 8))).toEqual(sig);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = v.getUint32(16);
  const height = v.getUint32(20);
  const idat: Uint8Array[] = [];
  for (let o = 8; o < bytes.length;) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    if (type === 'IDAT') idat.push(bytes.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  return { width, height, ok: raw.length === height * (1 + width * 4) };
}

function countColor(fig: Figure, rgb: [number, number, number], tol = 40): number {
  const px = rasterize(fig);
  let n = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (Math.abs(px[i]! - rgb[0]) + Math.abs(px[i + 1]! - rgb[1]) + Math.abs(px[i + 2]! - rgb[2]) < tol) n++;
  }
  return n;
}

const history = {
  epoch: [0, 1, 2, 3],
  loss: [0.9, 0.6, 0.4, 0.3],
  val_loss: [1, 0.7, 0.55, 0.5],
  lr: [1, 1, 1, 1],
};

describe('plots', () => {
  it('nice ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 47, 5)).toEqual([10, 20, 30, 40]);
    expect(niceTicks(3, 47, 4)).toEqual([20, 40]);
  });

  it('PNG through resvg: anti-aliased, real glyphs, same size as the bitmap renderer', async () => {
    const fig = historyChart(history, { title: 'Loss' });
    const hq = await renderPng(fig, { renderer: 'resvg' });
    const lo = await renderPng(fig, { renderer: 'bitmap' });
    expect(hq.renderer).toBe('resvg');
    expect(lo.renderer).toBe('bitmap');
    expect((await renderPng(fig)).renderer).toBe('resvg'); // 'auto' picks resvg when installed
    expect(hq.png.constructor).toBe(Uint8Array); // not a Node Buffer
    const a = decodePng(hq.png);
    const b = decodePng(lo.png);
    expect([a.width, a.height, b.width, b.height]).toEqual([640, 420, 640, 420]);
    // Anti-aliasing: resvg's glyph edges hold many partial grey levels; the bitmap font has none.
    const titleGreys = (img: { data: Uint8Array | Uint16Array; channels: number; width: number }): number => {
      const seen = new Set<number>();
      for (let y = 0; y < 30; y++)
        for (let x = 250; x < 390; x++) {
          const i = (y * img.width + x) * img.channels;
          seen.add(img.data[i]!);
        }
      return seen.size;
    };
    expect(titleGreys(b)).toBeLessThanOrEqual(6);
    expect(titleGreys(a)).toBeGreaterThan(20);
    // The curve colour reaches the pixels in both.
    const count = (img: { data: Uint8Array | Uint16Array; channels: number }): number => {
      let n = 0;
      for (let i = 0; i < img.data.length; i += img.channels)
        if (
          Math.abs(img.data[i]! - 31) + Math.abs(img.data[i + 1]! - 119) + Math.abs(img.data[i + 2]! - 180) <
          40
        )
          n++;
      return n;
    };
    expect(count(a)).toBeGreaterThan(300);
    expect(count(b)).toBeGreaterThan(300);
    await expect(renderPng(fig, { renderer: 'gpu' as 'auto' })).rejects.toThrow(
      /renderPng: 'renderer' must be/,
    );
  });

  it('ROC legend AUC is metrics.auc of the curve', () => {
    const fpr = [0, 0.1, 0.3, 1];
    const tpr = [0, 0.6, 0.9, 1];
    const svg = renderSvg(rocChart({ curves: [{ fpr, tpr, name: 'm' }] }));
    expect(svg).toContain(`m (AUC = ${auc(fpr, tpr).toFixed(3)})`);
  });

  it('loss curves: one line per key, val dashed, lr left out; PNG and SVG on disk', async () => {
    const fig = historyChart(history, { title: 'Loss' });
    const lines = fig.marks.filter((m) => m.kind === 'line' && m.width === 2 && m.points.length === 8);
    expect(lines.length).toBe(2);
    const svg = renderSvg(fig);
    expect(svg).toContain('>val_loss</text>');
    expect(svg).not.toContain('>lr</text>');
    expect(svg).toContain('stroke-dasharray');
    const png = await saveFigure(fig, join(root, 'sub', 'loss.png'));
    const info = readPng(readFileSync(png));
    expect(info).toEqual({ width: 640, height: 420, ok: true });
    await saveFigure(fig, join(root, 'loss.svg'));
    expect(readFileSync(join(root, 'loss.svg'), 'utf8').startsWith('<svg')).toBe(true);
    await expect(saveFigure(fig, join(root, 'loss.jpg'))).rejects.toThrow(/\.svg or \.png/);
    // the curve colour really reaches the pixels
    expect(countColor(fig, [31, 119, 180])).toBeGreaterThan(300);
  });

  it('ROC with AUC in the legend', async () => {
    const fig = rocChart({
      curves: [
        { fpr: [0, 0.1, 0.3, 1], tpr: [0, 0.6, 0.9, 1], name: 'CNN' },
        { fpr: [0, 1], tpr: [0, 1], auc: 0.5 },
      ],
    });
    const svg = renderSvg(fig);
    expect(svg).toContain('CNN (AUC = 0.845)');
    expect(svg).toContain('ROC (AUC = 0.500)');
    expect(readPng(await readFileSync(await saveFigure(fig, join(root, 'roc.png')))).ok).toBe(true);
    expect(countColor(fig, [255, 127, 14])).toBeGreaterThan(100);
    expect(() => rocChart({ curves: [{ fpr: [0], tpr: [0] }] })).toThrow(/fpr and tpr/);
  });

  it('confusion matrix: counts in cells, darker for larger', async () => {
    const fig = confusionMatrixChart({
      matrix: [
        [50, 3],
        [7, 90],
      ],
      labels: ['NORMAL', 'PNEUMONIA'],
    });
    const texts = fig.marks.filter((m) => m.kind === 'text').map((m) => (m.kind === 'text' ? m.text : ''));
    expect(texts).toEqual(expect.arrayContaining(['50', '3', '7', '90', 'Predicted', 'True', 'PNEUMONIA']));
    const cells = fig.marks.filter((m) => m.kind === 'rect' && m.stroke === '#ffffff');
    const lum = (c: string): number =>
      parseInt(c.slice(1, 3), 16) + parseInt(c.slice(3, 5), 16) + parseInt(c.slice(5, 7), 16);
    const fills = cells.map((c) => (c.kind === 'rect' ? lum(c.fill) : 0));
    expect(fills[3]).toBeLessThan(fills[0]!); // 90 darker than 50
    expect(fills[0]).toBeLessThan(fills[1]!); // 50 darker than 3
    expect(readPng(readFileSync(await saveFigure(fig, join(root, 'cm.png')))).ok).toBe(true);
    expect(() => confusionMatrixChart({ matrix: [[1, 2]] })).toThrow(/square/);
  });

  it('image grid from tensors and raw pixels, no tensor leak', async () => {
    const red = tf.tidy(() => tf.concat([tf.ones([8, 8, 1]), tf.zeros([8, 8, 2])], 2)) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const gray = { width: 4, height: 4, channels: 1 as const, data: new Uint8Array(16).fill(128) };
    const fig = imageGrid({
      images: [
        { pixels: red, caption: 'COVID 0.93' },
        { pixels: gray, caption: 'non-COVID' },
      ],
      cellSize: 64,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(countColor(fig, [255, 0, 0], 10)).toBe(64 * 64);
    expect(countColor(fig, [128, 128, 128], 3)).toBe(64 * 64);
    expect(readPng(readFileSync(await saveFigure(fig, join(root, 'grid.png')))).ok).toBe(true);
    expect(renderSvg(fig)).toContain('data:image/png;base64,');
    expect(() => imageGrid({ images: [{ pixels: { ...gray, data: new Uint8Array(3) } }] })).toThrow(
      /expected 16/,
    );
    red.dispose();
  });
});
