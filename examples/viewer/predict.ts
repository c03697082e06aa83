// What the viewer computes, shared with the Node test that checks the page against Node:
// windowing, the model input, probabilities and the Grad-CAM map. Nothing here touches the
// DOM, so the same function gives the same numbers in both places.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodeDicom, decodeImage, gradCam } from 'medinets';

/** A display or input window in the image's units (Hounsfield units for CT). */
export interface ViewWindow {
  /** Window centre (level). */
  center: number;
  /** Window width. */
  width: number;
}

/** CT window presets (centre / width in HU), as radiology viewers ship them. */
export const PRESETS: Record<'lung' | 'mediastinum' | 'bone', ViewWindow> = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  bone: { center: 400, width: 1800 },
};

/** The model's input window for CT (the lung window) and for 8-bit images. */
export function inputWindow(isCt: boolean): ViewWindow {
  return isCt ? PRESETS.lung : { center: 127.5, width: 255 };
}

/** Pixels through a window to [0, 1] (linear, clamped: DICOM's "linear exact" function). */
export function applyWindow(pixels: Float32Array, win: ViewWindow): Float32Array {
  const lo = win.center - win.width / 2;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++)
    out[i] = Math.min(1, Math.max(0, ((pixels[i] as number) - lo) / win.width));
  return out;
}

/** The model input `[1, size, size, 1]`: the windowed image resized bilinearly (half-pixel centres). */
export function toInput(
  pixels: Float32Array,
  rows: number,
  cols: number,
  win: ViewWindow,
  size: number,
): tf.Tensor4D {
  const w = applyWindow(pixels, win);
  return tf.tidy(() =>
    tf.image.resizeBilinear(tf.tensor4d(w, [1, rows, cols, 1]), [size, size], false, true),
  );
}

/** Class probabilities of one input (the model ends in softmax). */
export function probabilities(model: tfl.LayersModel, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

/** The Grad-CAM map `[size, size]` in [0, 1] of class `target`, at the default layer. */
export function camMap(model: tfl.LayersModel, x: tf.Tensor4D, target: number): tf.Tensor2D {
  const cam = gradCam(model, x, { targets: target });
  const map = tf.tidy(() => tf.squeeze(cam, [0]) as tf.Tensor2D);
  cam.dispose();
  return map;
}

/** A decoded image: pixels row-major in the file's units (HU for CT). */
export interface Loaded {
  /** File name, for messages and the CSV. */
  name: string;
  /** `rows * cols` values of the first frame. */
  pixels: Float32Array;
  /** Height. */
  rows: number;
  /** Width. */
  cols: number;
  /** True for CT (Hounsfield units): windows in HU apply. */
  isCt: boolean;
}

/** Decode a DICOM, PNG or JPEG file to pixels; throws with the file name when it cannot. */
export function decodeFile(name: string, bytes: Uint8Array): Loaded {
  const isPngJpeg = (bytes[0] === 0x89 && bytes[1] === 0x50) || (bytes[0] === 0xff && bytes[1] === 0xd8);
  if (isPngJpeg) {
    const img = decodeImage(bytes, name, { channels: 1 });
    return { name, pixels: Float32Array.from(img.data), rows: img.height, cols: img.width, isCt: false };
  }
  // photometric / inverted / modality are read when the decoder reports them.
  const d = decodeDicom(bytes, name) as ReturnType<typeof decodeDicom> & {
    photometric?: string;
    inverted?: boolean;
    modality?: string;
  };
  const frame = d.rows * d.columns;
  let pixels = d.pixels.subarray(0, frame);
  // MONOCHROME1 stores white as the lowest value; shown as radiologists read it, inverted
  // (unless the decoder has inverted it already).
  if (d.photometric === 'MONOCHROME1' && d.inverted !== true) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of pixels) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    pixels = pixels.map((v) => lo + hi - v);
  }
  const isCt = d.modality === 'CT' || Math.min(...pixels.subarray(0, 64)) < -100;
  return { name, pixels: Float32Array.from(pixels), rows: d.rows, cols: d.columns, isCt };
}
