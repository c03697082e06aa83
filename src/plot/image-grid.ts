/** Grids of images with captions: Grad-CAM overlays, slices, feature maps, filters. */
import * as tf from '@tensorflow/tfjs-core';
import { INK, TICK, textHeight, title, type ChartOptions } from './axes';
import type { Figure, Mark } from './figure';

/** Pixels for {@link imageGrid}: raw samples, or a `[height, width, channels]` tensor. */
export interface GridPixels {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
  /** Row-major samples: bytes 0-255, or floats in [0, 1]. */
  data: Uint8Array | Uint8ClampedArray | Float32Array;
}

/** One cell of {@link imageGrid}. */
export interface GridImage {
  /** The image: a Grad-CAM overlay, a slice, a feature map... */
  pixels: GridPixels | tf.Tensor3D;
  /** Caption under the image (e.g. `'COVID 0.93'`). */
  caption?: string;
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions extends ChartOptions {
  /** Images, in reading order. */
  images: GridImage[];
  /** Images per row. Default `ceil(sqrt(n))`. */
  columns?: number;
  /** Side of each cell's image in pixels. Default 160. */
  cellSize?: number;
}

function toRgba(p: GridPixels | tf.Tensor3D): { w: number; h: number; rgba: Uint8Array } {
  let g: GridPixels;
  if (p instanceof tf.Tensor) {
    const [h, w, c] = p.shape;
    if (c !== 1 && c !== 3 && c !== 4)
      throw new Error(`imageGrid: tensor images need 1, 3 or 4 channels; got ${c}`);
    const data = p.dataSync();
    // Float tensors above 1 are taken as 0-255.
    let max = 0;
    for (let i = 0; i < data.length; i++) max = Math.max(max, data[i] as number);
    g = {
      width: w,
      height: h,
      channels: c,
      data: max > 1 ? Uint8Array.from(data, (v) => Math.round(v)) : Float32Array.from(data),
    };
  } else g = p;
  const n = g.width * g.height;
  if (g.data.length !== n * g.channels)
    throw new Error(`imageGrid: pixel data has ${g.data.length} samples, expected ${n * g.channels}`);
  const scale = g.data instanceof Float32Array ? 255 : 1;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 4; c++) {
      const src = g.channels === 1 ? (c < 3 ? 0 : -1) : c < g.channels ? c : -1;
      out[i * 4 + c] =
        src < 0
          ? 255
          : Math.round(Math.min(255, Math.max(0, (g.data[i * g.channels + src] as number) * scale)));
    }
  }
  return { w: g.width, h: g.height, rgba: out };
}

/** A grid of images with captions (Grad-CAM overlays, 001 / 003 feature maps). */
export function imageGrid(opts: ImageGridOptions): Figure {
  const { images, cellSize = 160 } = opts;
  if (!Array.isArray(images) || images.length === 0)
    throw new Error(`imageGrid: 'images' must be a non-empty array`);
  const cols = opts.columns ?? Math.ceil(Math.sqrt(images.length));
  const rows = Math.ceil(images.length / cols);
  const capH = images.some((i) => i.caption) ? textHeight(TICK) + 10 : 0;
  const gap = 10;
  const marks: Mark[] = [];
  const width = opts.width ?? cols * (cellSize + gap) + gap;
  const top = title(marks, width, opts.title);
  const height = opts.height ?? top + rows * (cellSize + capH + gap) + gap;
  images.forEach((img, k) => {
    const { w, h, rgba } = toRgba(img.pixels);
    const s = cellSize / Math.max(w, h);
    const cx = gap + (k % cols) * (cellSize + gap);
    const cy = top + Math.floor(k / cols) * (cellSize + capH + gap);
    const dw = w * s;
    const dh = h * s;
    marks.push({
      kind: 'image',
      x: cx + (cellSize - dw) / 2,
      y: cy + (cellSize - dh) / 2,
      w: dw,
      h: dh,
      srcWidth: w,
      srcHeight: h,
      rgba,
    });
    if (img.caption)
      marks.push({
        kind: 'text',
        x: cx + cellSize / 2,
        y: cy + cellSize + 4 + textHeight(TICK) / 2,
        text: img.caption,
        size: TICK,
        color: INK,
        anchor: 'middle',
      });
  });
  return { width, height, marks };
}
