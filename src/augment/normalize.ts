/**
 * Deterministic intensity mappings: normalisation with given or dataset statistics
 * (source 002), rescaling to [-1, 1] (source 000: x / 127.5 - 1), and CT windowing from
 * Hounsfield units.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRank } from '../util/checks';
import { fromHost, linearPerImage, toHost } from './host';
import { transform, type Transform } from './sample';

/** Per-channel statistics of a data set. */
export interface NormalizeStats {
  /** Mean of each channel. */
  mean: number[];
  /** Standard deviation of each channel (population, ddof 0). */
  std: number[];
}

/**
 * Per-channel mean and standard deviation over one batch or over many batches streamed one
 * by one (so a whole data set never has to sit in memory), accumulated in float64.
 * @param batches `[batch, height, width, channels]`, or an iterable of such batches.
 */
export function computeStats(batches: tf.Tensor4D | Iterable<tf.Tensor4D>): NormalizeStats {
  const fn = 'computeStats';
  const list: Iterable<tf.Tensor4D> = batches instanceof tf.Tensor ? [batches] : batches;
  let sum: Float64Array | null = null;
  let sq: Float64Array | null = null;
  let count = 0;
  for (const b of list) {
    checkRank(b, 4, 'batches', fn);
    const c = b.shape[3];
    if (sum === null) {
      sum = new Float64Array(c);
      sq = new Float64Array(c);
    } else if (sum.length !== c) {
      throw new Error(`${fn}: every batch must have ${sum.length} channels; got ${c}`);
    }
    const d = b.dataSync();
    // One streaming pass of float64 sums of x and x^2: for image-scale values the cancellation
    // in E[x^2] - E[x]^2 stays far below float32 resolution.
    for (let i = 0; i < d.length; i++) {
      const ch = i % c;
      const v = d[i] as number;
      sum[ch]! += v;
      sq![ch]! += v * v;
    }
    count += d.length / c;
  }
  if (sum === null || count === 0) throw new Error(`${fn}: 'batches' is empty`);
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq!, (s, i) => Math.sqrt(Math.max(0, s / count - (mean[i] as number) ** 2)));
  return { mean, std };
}

/** Apply `f` to every value on the host (one pass, no broadcasting). */
function mapValues(x: tf.Tensor4D, f: (v: number) => number): tf.Tensor4D {
  const src = toHost(x);
  const out = new Float32Array(src.data.length);
  for (let k = 0; k < out.length; k++) out[k] = f(src.data[k] as number);
  return fromHost(out, src.n, src.h, src.w, src.c);
}

/** Options of {@link normalize}. */
export interface NormalizeOptions {
  /** Mean per channel, or one number for all channels. */
  mean: number | number[];
  /** Standard deviation per channel, or one number for all channels. */
  std: number | number[];
}

/**
 * Standardise per channel: (x - mean) / std. Use {@link computeStats} for the data set's own
 * statistics (which source 002 found better than ImageNet's).
 * Input: images `[batch, height, width, channels]` or a {@link Sample} (mask untouched).
 */
export const normalize: Transform<NormalizeOptions | NormalizeStats> = transform<
  NormalizeOptions | NormalizeStats
>('normalize', (s, options) => {
  const fn = 'normalize';
  const c = s.x.shape[3];
  const vec = (v: number | number[] | undefined, arg: string): number[] => {
    const a = typeof v === 'number' ? new Array<number>(c).fill(v) : v;
    if (!Array.isArray(a) || a.length !== c || !a.every(Number.isFinite)) {
      throw new Error(`${fn}: '${arg}' must be a number or ${c} finite numbers; got ${JSON.stringify(v)}`);
    }
    return a;
  };
  const mean = vec(options?.mean, 'mean');
  const std = vec(options?.std, 'std');
  if (std.some((v) => v <= 0)) throw new Error(`${fn}: 'std' must be > 0; got ${JSON.stringify(std)}`);
  const src = toHost(s.x);
  const n = src.n;
  const scale = new Float64Array(n * c);
  const shift = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      scale[i * c + ch] = 1 / (std[ch] as number);
      shift[i * c + ch] = -(mean[ch] as number) / (std[ch] as number);
    }
  }
  const out = linearPerImage(src, scale, shift, -Infinity, Infinity, new Array<boolean>(n).fill(true));
  return { x: fromHost(out, n, src.h, src.w, c) };
});

/** Options of {@link rescaleIntensity}. */
export interface RescaleIntensityOptions {
  /** Input range `[lo, hi]`. Default `[0, 255]`. */
  inRange?: [number, number];
  /** Output range `[lo, hi]`. Default `[-1, 1]`. */
  outRange?: [number, number];
  /** Clip the result to `outRange`. Default `false`. */
  clip?: boolean;
}

/**
 * Linear map of `inRange` onto `outRange` (scikit-image `rescale_intensity`, Keras
 * `Rescaling`); the defaults map [0, 255] to [-1, 1], source 000's x / 127.5 - 1.
 * Input: images `[batch, height, width, channels]` or a {@link Sample} (mask untouched).
 */
export const rescaleIntensity: Transform<RescaleIntensityOptions> = transform<RescaleIntensityOptions>(
  'rescaleIntensity',
  (s, options) => {
    const fn = 'rescaleIntensity';
    const { inRange = [0, 255], outRange = [-1, 1], clip = false } = options;
    const pair = (r: [number, number], arg: string): void => {
      if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || r[0] === r[1]) {
        throw new Error(`${fn}: '${arg}' must be [lo, hi] with lo != hi; got ${JSON.stringify(r)}`);
      }
    };
    pair(inRange, 'inRange');
    pair(outRange, 'outRange');
    const scale = (outRange[1] - outRange[0]) / (inRange[1] - inRange[0]);
    const lo = clip ? Math.min(...outRange) : -Infinity;
    const hi = clip ? Math.max(...outRange) : Infinity;
    return {
      x: mapValues(s.x, (v) => {
        const y = (v - inRange[0]) * scale + outRange[0];
        return y < lo ? lo : y > hi ? hi : y;
      }),
    };
  },
);

/** A CT display window in Hounsfield units. */
export interface CtWindow {
  /** Window centre (level), HU. */
  center: number;
  /** Window width, HU. */
  width: number;
}

/** The named CT windows of {@link WINDOW_PRESETS}. */
export interface WindowPresets {
  /** Lung window: centre -600 HU, width 1500 HU. */
  readonly lung: CtWindow;
  /** Mediastinum (soft-tissue) window: centre 40 HU, width 400 HU. */
  readonly mediastinum: CtWindow;
}

/** Standard CT windows: lung (-600 / 1500) and mediastinum (40 / 400), centre / width in HU. */
export const WINDOW_PRESETS: WindowPresets = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 40, width: 400 },
};

/** A preset name of {@link WINDOW_PRESETS}. */
export type WindowPreset = keyof WindowPresets;

/** Options of {@link ctWindow}. */
export interface CtWindowOptions extends Partial<CtWindow> {
  /** A named preset, used when `center` / `width` are not given. */
  preset?: WindowPreset;
  /** Output range. Default `[0, 1]`. */
  outputRange?: [number, number];
}

/**
 * CT windowing: Hounsfield units clipped to [center - width / 2, center + width / 2] and
 * mapped linearly to the output range. Pass a preset name (`'lung'`, `'mediastinum'`) or
 * `{ center, width }`. Also exported as `window`.
 * Input: HU images `[batch, height, width, channels]` or a {@link Sample}.
 */
export const ctWindow: Transform<CtWindowOptions | WindowPreset> = transform<CtWindowOptions | WindowPreset>(
  'window',
  (s, options) => {
    const fn = 'window';
    const o: CtWindowOptions = typeof options === 'string' ? { preset: options } : (options ?? {});
    if (o.preset !== undefined && !(o.preset in WINDOW_PRESETS)) {
      throw new Error(
        `${fn}: 'preset' must be one of ${Object.keys(WINDOW_PRESETS)
          .map((k) => `'${k}'`)
          .join(', ')}; got '${o.preset}'`,
      );
    }
    const base = o.preset !== undefined ? WINDOW_PRESETS[o.preset] : undefined;
    const center = o.center ?? base?.center;
    const width = o.width ?? base?.width;
    if (center === undefined || width === undefined)
      throw new Error(`${fn}: give 'center' and 'width' or a 'preset'`);
    if (!Number.isFinite(center)) throw new Error(`${fn}: 'center' must be a finite number; got ${center}`);
    if (!(Number.isFinite(width) && width > 0))
      throw new Error(`${fn}: 'width' must be a finite number > 0; got ${width}`);
    const [lo, hi] = o.outputRange ?? [0, 1];
    const bottom = center - width / 2;
    return {
      x: mapValues(s.x, (v) => {
        const u = (v - bottom) / width;
        return (u < 0 ? 0 : u > 1 ? 1 : u) * (hi - lo) + lo;
      }),
    };
  },
);

export { ctWindow as window };
