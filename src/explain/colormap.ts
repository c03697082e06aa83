/**
 * Colour maps for heat maps: matplotlib's `jet` (from its piecewise-linear definition) and
 * `viridis` (65 anchors sampled from matplotlib's table, linearly interpolated; the viridis data
 * is CC0 by van der Walt and Smith).
 */

/** Supported colour maps. */
export type Colormap = 'jet' | 'viridis' | 'gray';

type Segments = Array<[number, number]>;
const JET: [Segments, Segments, Segments] = [
  [
    [0, 0],
    [0.35, 0],
    [0.66, 1],
    [0.89, 1],
    [1, 0.5],
  ],
  [
    [0, 0],
    [0.125, 0],
    [0.375, 1],
    [0.64, 1],
    [0.91, 0],
    [1, 0],
  ],
  [
    [0, 0.5],
    [0.11, 1],
    [0.34, 1],
    [0.65, 0],
    [1, 0],
  ],
];

const VIRIDIS_ANCHORS: Array<[number, number, number]> = [
  [68, 1, 84],
  [70, 7, 90],
  [71, 13, 96],
  [71, 19, 101],
  [72, 24, 106],
  [72, 29, 111],
  [72, 35, 116],
  [72, 40, 120],
  [71, 45, 123],
  [70, 50, 126],
  [69, 55, 129],
  [68, 59, 132],
  [66, 64, 134],
  [64, 69, 136],
  [62, 73, 137],
  [61, 78, 138],
  [59, 82, 139],
  [57, 86, 140],
  [55, 91, 141],
  [53, 95, 141],
  [51, 99, 141],
  [49, 103, 142],
  [47, 107, 142],
  [46, 111, 142],
  [44, 114, 142],
  [42, 118, 142],
  [41, 122, 142],
  [39, 126, 142],
  [38, 130, 142],
  [37, 133, 142],
  [35, 137, 142],
  [34, 141, 141],
  [33, 145, 140],
  [31, 148, 140],
  [31, 152, 139],
  [30, 156, 137],
  [31, 160, 136],
  [32, 163, 134],
  [34, 167, 133],
  [37, 171, 130],
  [40, 174, 128],
  [45, 178, 125],
  [50, 182, 122],
  [56, 185, 119],
  [63, 188, 115],
  [70, 192, 111],
  [78, 195, 107],
  [86, 198, 103],
  [94, 201, 98],
  [103, 204, 92],
  [112, 207, 87],
  [122, 209, 81],
  [132, 212, 75],
  [142, 214, 69],
  [152, 216, 62],
  [162, 218, 55],
  [173, 220, 48],
  [184, 222, 41],
  [194, 223, 35],
  [205, 225, 29],
  [216, 226, 25],
  [226, 228, 24],
  [236, 229, 27],
  [246, 230, 32],
  [253, 231, 37],
];

function piecewise(seg: Segments, x: number): number {
  for (let i = 1; i < seg.length; i++) {
    const [x1, y1] = seg[i] as [number, number];
    if (x <= x1) {
      const [x0, y0] = seg[i - 1] as [number, number];
      return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return (seg[seg.length - 1] as [number, number])[1];
}

function buildLut(name: Colormap): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    let rgb: number[];
    if (name === 'jet') rgb = JET.map((s) => piecewise(s, x) * 255);
    else if (name === 'gray') rgb = [x * 255, x * 255, x * 255];
    else {
      // matplotlib's viridis is a 256-entry list; anchor k is entry 4k (the last anchor is entry 255).
      const p = i <= 252 ? i / 4 : 63 + (i - 252) / 3;
      const k = Math.min(63, Math.floor(p));
      const t = p - k;
      const a = VIRIDIS_ANCHORS[k] as number[];
      const b = VIRIDIS_ANCHORS[k + 1] as number[];
      rgb = a.map((v, j) => v + ((b[j] as number) - v) * t);
    }
    // matplotlib rounds float colours to bytes with int(v * 255 + 0.5) semantics.
    rgb.forEach((v, j) => (lut[i * 3 + j] = Math.round(v)));
  }
  return lut;
}

const LUTS = new Map<Colormap, Uint8ClampedArray>();

/**
 * The 256-entry RGB table of a colour map (`lut[3 i + channel]`), built once.
 * Values x in [0, 1] map to entry min(255, floor(256 x)) as matplotlib does.
 */
export function colormapLut(name: Colormap): Uint8ClampedArray {
  if (!['jet', 'viridis', 'gray'].includes(name))
    throw new Error(`colormapLut: 'colormap' must be 'jet', 'viridis' or 'gray'; got '${name}'`);
  let lut = LUTS.get(name);
  if (!lut) {
    lut = buildLut(name);
    LUTS.set(name, lut);
  }
  return lut;
}

/** LUT index of a value in [0, 1] (NaN maps to 0, values are clipped). */
export function lutIndex(x: number): number {
  if (!(x > 0)) return 0;
  return Math.min(255, Math.floor(x * 256));
}
