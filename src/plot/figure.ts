/** The figure model every chart builds and every renderer draws: marks in pixel coordinates. */
import { FONT_ADVANCE } from './font';

/** An RGB(A) colour as CSS hex (`#1f77b4`) — the only colour form figures use. */
export type Color = string;

/** A straight or poly line, in figure pixels. */
export interface LineMark {
  /** Discriminant. */
  kind: 'line';
  /** Vertices `[x0, y0, x1, y1, ...]`. */
  points: number[];
  /** Stroke colour. */
  color: Color;
  /** Stroke width in pixels. */
  width: number;
  /** Dash length (0 = solid). */
  dash?: number;
}

/** A filled (optionally outlined) rectangle. */
export interface RectMark {
  /** Discriminant. */
  kind: 'rect';
  /** Left. */
  x: number;
  /** Top. */
  y: number;
  /** Width. */
  w: number;
  /** Height. */
  h: number;
  /** Fill colour, or `none`. */
  fill: Color;
  /** Outline colour. */
  stroke?: Color;
}

/** A text label; `size` is the nominal font size in pixels. */
export interface TextMark {
  /** Discriminant. */
  kind: 'text';
  /** Anchor x. */
  x: number;
  /** Baseline-centre y (the text is vertically centred on y). */
  y: number;
  /** The string. */
  text: string;
  /** Font size in pixels (the bitmap font is drawn at the nearest integer scale of 8 px). */
  size: number;
  /** Colour. */
  color: Color;
  /** Horizontal anchor. */
  anchor: 'start' | 'middle' | 'end';
  /** Rotate -90 degrees (vertical axis titles). */
  vertical?: boolean;
}

/** An RGBA image drawn into a rectangle (nearest-neighbour scaling). */
export interface ImageMark {
  /** Discriminant. */
  kind: 'image';
  /** Left. */
  x: number;
  /** Top. */
  y: number;
  /** Drawn width. */
  w: number;
  /** Drawn height. */
  h: number;
  /** Source width in pixels. */
  srcWidth: number;
  /** Source height in pixels. */
  srcHeight: number;
  /** `srcWidth * srcHeight * 4` RGBA bytes. */
  rgba: Uint8Array;
}

/** Any mark of a {@link Figure}. */
export type Mark = LineMark | RectMark | TextMark | ImageMark;

/** A renderer-independent figure: a white canvas of marks, drawn in order. */
export interface Figure {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Marks, back to front. */
  marks: Mark[];
}

/** Ten distinguishable line colours (Tableau 10). */
export const PALETTE: readonly Color[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** @internal Integer scale of the bitmap font for a nominal size. Shared by both renderers' layout. */
export function fontScale(size: number): number {
  return Math.max(1, Math.round(size / 8));
}

/** @internal Approximate width in pixels of `text` at `size` (exact for the PNG renderer). */
export function textWidth(text: string, size: number): number {
  return text.length * FONT_ADVANCE * fontScale(size);
}

/** @internal About `count` round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(count, 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let i = first; i * step <= hi + step * 1e-9; i++)
    out.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  return out;
}

/** @internal Short label for a tick or cell value. */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

/** @internal Parse `#rrggbb` into `[r, g, b]`. */
export function parseColor(c: Color): [number, number, number] {
  const m = /^#([0-9a-f]{6})$/i.exec(c);
  if (!m) throw new Error(`plot: colour must be '#rrggbb'; got '${c}'`);
  const n = parseInt(m[1] as string, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** @internal `#rrggbb` from components 0-255. */
export function toColor(r: number, g: number, b: number): Color {
  const h = (v: number): string =>
    Math.round(Math.min(255, Math.max(0, v)))
      .toString(16)
      .padStart(2, '0');
  return `#${h(r)}${h(g)}${h(b)}`;
}
