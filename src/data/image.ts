import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { codestreamSize, jpegMemoryCapMB, jpegTooSparse } from './jpeg-header';
import { type DecodedPng, decodePng } from './png-decode';

/** A decoded raster image (PNG or JPEG). */
export type DecodedImage = DecodedPng;

/** Options of {@link decodeImage} and {@link readImage}. */
export interface ImageReadOptions {
  /**
   * Channels of the result: 1 converts colour to luma (ITU-R 601: 0.299 R + 0.587 G +
   * 0.114 B, as Pillow's `convert('L')`), 3 drops alpha or replicates gray, 4 adds opaque
   * alpha. Default: as stored.
   */
  channels?: 1 | 3 | 4;
  /** 'none' keeps the stored range (0..255 or 0..65535); 'unit' divides by the maximum. Default 'none'. */
  scale?: 'none' | 'unit';
}

/** Whether the bytes start like a PNG or a JPEG file. */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  return null;
}

/** Convert the channel count of decoded samples (see {@link ImageReadOptions.channels}). */
export function convertChannels(img: DecodedImage, channels: 1 | 2 | 3 | 4): DecodedImage {
  const from = img.channels;
  if (from === channels) return img;
  const n = img.width * img.height;
  const maxv = img.bitDepth === 16 ? 65535 : 255;
  const out = img.bitDepth === 16 ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  const src = img.data;
  for (let p = 0; p < n; p++) {
    const s = p * from;
    let r: number;
    let g: number;
    let b: number;
    if (from <= 2) r = g = b = src[s] as number;
    else {
      r = src[s] as number;
      g = src[s + 1] as number;
      b = src[s + 2] as number;
    }
    const a = from === 2 ? (src[s + 1] as number) : from === 4 ? (src[s + 3] as number) : maxv;
    const o = p * channels;
    if (channels === 1) out[o] = from <= 2 ? r : Math.round((r * 299 + g * 587 + b * 114) / 1000);
    else if (channels === 2) {
      out[o] = from <= 2 ? r : Math.round((r * 299 + g * 587 + b * 114) / 1000);
      out[o + 1] = a;
    } else {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = a;
    }
  }
  return { ...img, channels, data: out };
}

/**
 * Decode PNG (any bit depth, see {@link decodePng}) or baseline/progressive JPEG (via the
 * pure-JS `jpeg-js`; always 8-bit, colour JPEGs come out RGB) from bytes.
 * @param name what to call the file in errors.
 */
export function decodeImage(
  bytes: Uint8Array,
  name = '<bytes>',
  options: ImageReadOptions = {},
): DecodedImage {
  const fmt = sniffImageFormat(bytes);
  let img: DecodedImage;
  if (!(bytes instanceof Uint8Array))
    throw new Error(`decodeImage: ${name}: expected the file's bytes as a Uint8Array`);
  if (fmt === 'png') img = decodePng(bytes, name);
  else if (fmt === 'jpeg') {
    const size = codestreamSize(bytes);
    const sparse = size && jpegTooSparse(bytes, size.width, size.height);
    if (sparse) throw new Error(`decodeImage: ${name}: ${sparse}`);
    try {
      // jpeg-js checks the frame header against these limits before it allocates.
      const d = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: 2 ** 28 / 1e6,
        maxMemoryUsageInMB: jpegMemoryCapMB(bytes),
      });
      img = { width: d.width, height: d.height, channels: 3, bitDepth: 8, data: d.data };
    } catch (e) {
      const m = e instanceof Error ? e.message : String(e);
      throw new Error(`decodeImage: ${name}: corrupt or unsupported JPEG (jpeg-js: ${m})`);
    }
  } else throw new Error(`decodeImage: ${name}: not a PNG or JPEG file`);
  return options.channels ? convertChannels(img, options.channels) : img;
}

/** A decoded image as a float32 `[height, width, channels]` tensor. */
export function imageToTensor(img: DecodedImage, scale: 'none' | 'unit' = 'none'): tf.Tensor3D {
  const f = new Float32Array(img.data.length);
  const k = scale === 'unit' ? 1 / (img.bitDepth === 16 ? 65535 : 255) : 1;
  for (let i = 0; i < f.length; i++) f[i] = (img.data[i] as number) * k;
  return tf.tensor3d(f, [img.height, img.width, img.channels], 'float32');
}
