/**
 * Colouring heat maps and blending them over images, and saving the result as PNG
 * (e.g. an example's `gradcam_0.png`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkOneOf, checkRange } from '../util/checks';
import { writeFileAtomic } from '../util/files';
import { encodePng } from '../data/png';
import { type Colormap, colormapLut, lutIndex } from './colormap';

/** RGBA pixels, row-major, 4 bytes per pixel (the layout of a canvas `ImageData`). */
export interface RgbaImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height * 4` bytes. */
  data: Uint8ClampedArray<ArrayBuffer>;
}

/** Options of {@link overlayHeatmap}. */
export interface OverlayOptions {
  /** Colour map of the heat map. Default `'jet'`. */
  colormap?: Colormap;
  /** Weight of the heat-map colour: out = (1 - alpha) image + alpha colour. Default 0.4. */
  alpha?: number;
  /**
   * Intensity range of `image` mapped to 0..255: `[lo, hi]`. Default: the image's own min and max
   * (so [-1, 1]-scaled, [0, 1] and [0, 255] images all display correctly).
   */
  imageRange?: [number, number];
}

function squeezeTo(x: tf.Tensor, ranks: number[], arg: string, fn: string): tf.Tensor {
  let t = x;
  while (t.rank > Math.max(...ranks) && t.shape[0] === 1) t = tf.squeeze(t, [0]);
  if (!ranks.includes(t.rank))
    throw new Error(
      `${fn}: '${arg}' has shape [${x.shape.join(', ')}]; expected ${ranks.map((r) => `${r}-D`).join(' or ')} (a leading batch of 1 is allowed)`,
    );
  return t;
}

/** Colour a `[height, width]` heat map in [0, 1] with a colour map. */
export function heatmapToRgba(heatmap: tf.Tensor, options: Pick<OverlayOptions, 'colormap'> = {}): RgbaImage {
  const fn = 'heatmapToRgba';
  const colormap = options.colormap ?? 'jet';
  checkOneOf(colormap, ['jet', 'viridis', 'gray'], 'colormap', fn);
  const hm = tf.tidy(() => squeezeTo(heatmap, [2], 'heatmap', fn));
  const [h, w] = hm.shape as [number, number];
  const v = hm.dataSync();
  if (hm !== heatmap) hm.dispose();
  const lut = colormapLut(colormap);
  const data = new Uint8ClampedArray(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    const i = lutIndex(v[p] as number) * 3;
    data[p * 4] = lut[i] as number;
    data[p * 4 + 1] = lut[i + 1] as number;
    data[p * 4 + 2] = lut[i + 2] as number;
    data[p * 4 + 3] = 255;
  }
  return { width: w, height: h, data };
}

/**
 * Blend a coloured heat map over an image.
 * @param image `[height, width]`, `[height, width, 1 | 3]` (or with a leading batch of 1), any range.
 * @param heatmap `[height, width]` in [0, 1] (e.g. one map of {@link gradCam}); resized bilinearly
 *   when its size differs from the image's.
 * @returns opaque RGBA pixels of the image's size.
 */
export function overlayHeatmap(
  image: tf.Tensor,
  heatmap: tf.Tensor,
  options: OverlayOptions = {},
): RgbaImage {
  const fn = 'overlayHeatmap';
  const alpha = options.alpha ?? 0.4;
  checkRange(alpha, 'alpha', fn, { lo: 0, hi: 1 });
  const [rgb, hm] = tf.tidy(() => {
    let img = squeezeTo(image, [2, 3], 'image', fn);
    if (img.rank === 2) img = tf.expandDims(img, 2);
    const c = img.shape[2] as number;
    if (c !== 1 && c !== 3) throw new Error(`${fn}: 'image' must have 1 or 3 channels; got ${c}`);
    if (c === 1) img = tf.tile(img, [1, 1, 3]);
    const [lo, hi] = options.imageRange ?? [
      tf.min(img).dataSync()[0] as number,
      tf.max(img).dataSync()[0] as number,
    ];
    const scaled = hi > lo ? tf.mul(tf.div(tf.sub(img, lo), hi - lo), 255) : tf.zerosLike(img);
    let m = squeezeTo(heatmap, [2], 'heatmap', fn);
    const [h, w] = img.shape as [number, number];
    if (m.shape[0] !== h || m.shape[1] !== w) {
      m = tf.squeeze(tf.image.resizeBilinear(tf.expandDims(m, 2) as tf.Tensor3D, [h, w], false, true), [2]);
    }
    return [tf.clipByValue(scaled, 0, 255), m];
  });
  const colour = heatmapToRgba(hm, options);
  const px = rgb.dataSync();
  tf.dispose([rgb, hm]);
  const data = new Uint8ClampedArray(colour.data.length);
  for (let p = 0; p < colour.width * colour.height; p++) {
    for (let j = 0; j < 3; j++)
      data[p * 4 + j] = (1 - alpha) * (px[p * 3 + j] as number) + alpha * (colour.data[p * 4 + j] as number);
    data[p * 4 + 3] = 255;
  }
  return { width: colour.width, height: colour.height, data };
}

/**
 * Write {@link overlayHeatmap}'s result (or the coloured heat map alone when `image` is null) as a
 * PNG file, atomically. Node only (in the browser it throws: encode with `encodePng` and
 * offer the bytes as a download instead).
 * @returns the PNG bytes written.
 */
export async function saveHeatmapPng(
  path: string,
  image: tf.Tensor | null,
  heatmap: tf.Tensor,
  options: OverlayOptions = {},
): Promise<Uint8Array> {
  const rgba = image ? overlayHeatmap(image, heatmap, options) : heatmapToRgba(heatmap, options);
  const png = encodePng({ width: rgba.width, height: rgba.height, channels: 4, data: rgba.data });
  await writeFileAtomic(path, png, 'saveHeatmapPng');
  return png;
}
