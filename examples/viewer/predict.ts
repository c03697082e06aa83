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

/**
 * The model's input window: the lung window for CT (what the demo model was trained on), the
 * image's own default window otherwise (see {@link Loaded.window}).
 */
export function inputWindow(img: Pick<Loaded, 'isCt' | 'window'>): ViewWindow {
  return img.isCt ? PRESETS.lung : img.window;
}

/** Pixels through a window to [0, 1] (linear, clamped: DICOM's "linear exact" function). */
export function applyWindow(pixels: Float32Array, win: ViewWindow): Float32Array {
  const lo = win.center - win.width / 2;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++)
    out[i] = Math.min(1, Math.max(0, ((pixels[i] as number) - lo) / win.width));
  return out;
}

/**
 * The model input `[1, height, width, channels]`: the windowed image resized bilinearly
 * (half-pixel centres), its gray repeated over `channels` (1 or 3).
 */
export function toInput(
  pixels: Float32Array,
  rows: number,
  cols: number,
  win: ViewWindow,
  height: number,
  width = height,
  channels = 1,
): tf.Tensor4D {
  const w = applyWindow(pixels, win);
  return tf.tidy(() => {
    const x = tf.image.resizeBilinear(tf.tensor4d(w, [1, rows, cols, 1]), [height, width], false, true);
    return channels === 1 ? x : tf.tile(x, [1, 1, 1, channels]);
  });
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
  /** `rows * cols` values of the first frame; MONOCHROME1 already reflected (high = bright). */
  pixels: Float32Array;
  /** Height. */
  rows: number;
  /** Width. */
  cols: number;
  /** True for CT (Hounsfield units): windows in HU apply. */
  isCt: boolean;
  /**
   * The window the image opens with: the lung window for CT; for other DICOM the header's
   * first window, else the pixels' range; 0..255 for 8-bit PNG / JPEG, the range for 16-bit.
   */
  window: ViewWindow;
  /** What the status line says about the file (modality, MONOCHROME1 inverted...). */
  note: string;
}

/** The window spanning the values' range (width at least 1). */
function rangeWindow(pixels: Float32Array): ViewWindow {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of pixels) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return { center: (lo + hi) / 2, width: Math.max(1, hi - lo) };
}

/** Decode a DICOM, PNG or JPEG file to pixels; throws with the file name when it cannot. */
export function decodeFile(name: string, bytes: Uint8Array): Loaded {
  const isPngJpeg = (bytes[0] === 0x89 && bytes[1] === 0x50) || (bytes[0] === 0xff && bytes[1] === 0xd8);
  if (isPngJpeg) {
    const img = decodeImage(bytes, name, { channels: 1 });
    const pixels = Float32Array.from(img.data);
    const window = img.bitDepth === 16 ? rangeWindow(pixels) : { center: 127.5, width: 255 };
    const note = `${img.bitDepth}-bit ${bytes[0] === 0x89 ? 'PNG' : 'JPEG'}`;
    return { name, pixels, rows: img.height, cols: img.width, isCt: false, window, note };
  }
  // decodeDicom reflects MONOCHROME1 (low stored values are bright) so that high is bright,
  // as radiologists read it, and reflects the header's windows with it (d.inverted says so).
  const d = decodeDicom(bytes, name);
  const frame = d.rows * d.columns;
  const pixels = Float32Array.from(d.pixels.subarray(0, frame * d.samplesPerPixel));
  const gray =
    d.samplesPerPixel === 1
      ? pixels
      : Float32Array.from({ length: frame }, (_, i) => {
          let sum = 0;
          for (let c = 0; c < d.samplesPerPixel; c++) sum += pixels[i * d.samplesPerPixel + c] as number;
          return sum / d.samplesPerPixel;
        });
  const modality = d.meta['Modality'] ?? '';
  // Files without a Modality: CT's rescale puts air near -1000 HU.
  const isCt = modality === 'CT' || (modality === '' && d.rescale.intercept <= -1000);
  const header = d.window && d.window.width >= 1 ? { center: d.window.center, width: d.window.width } : null;
  const window = isCt ? PRESETS.lung : (header ?? rangeWindow(gray));
  const note = [modality || 'DICOM', d.photometric, d.inverted ? 'shown inverted (white = low values)' : '']
    .filter(Boolean)
    .join(', ');
  return { name, pixels: gray, rows: d.rows, cols: d.columns, isCt, window, note };
}
