/** Titles, axes with ticks, and legends shared by the charts. */
import { FONT_HEIGHT } from './font';
import { fontScale, formatNumber, niceTicks, textWidth, type Color, type Mark } from './figure';

/** Layout and scales of one plotting area. Internal to the chart builders. */
export interface Frame {
  left: number;
  top: number;
  w: number;
  h: number;
  sx: (v: number) => number;
  sy: (v: number) => number;
}

/** Options every chart shares. */
export interface ChartOptions {
  /** Title drawn above the plot. */
  title?: string;
  /** Figure width in pixels. Default 640. */
  width?: number;
  /** Figure height in pixels. Default 420. */
  height?: number;
}

export const TICK = 10;
export const LABEL = 14;
export const TITLE = 16;
export const INK: Color = '#222222';
const GRID: Color = '#e6e6e6';

export function textHeight(size: number): number {
  return FONT_HEIGHT * fontScale(size);
}

export function title(marks: Mark[], width: number, text: string | undefined): number {
  if (!text) return 10;
  marks.push({
    kind: 'text',
    x: width / 2,
    y: 8 + textHeight(TITLE) / 2,
    text,
    size: TITLE,
    color: INK,
    anchor: 'middle',
  });
  return 16 + textHeight(TITLE);
}

function pad(lo: number, hi: number): [number, number] {
  if (lo === hi) return [lo - 1, hi + 1];
  return [lo, hi];
}

/** Draw axes, grid, ticks and axis titles; return the frame mapping data to pixels. */
export function drawAxes(
  marks: Mark[],
  box: { width: number; height: number; top: number },
  x: { range: [number, number]; label?: string; integer?: boolean },
  y: { range: [number, number]; label?: string },
): Frame {
  const [x0, x1] = pad(...x.range);
  const [y0, y1] = pad(...y.range);
  let xt = niceTicks(x0, x1, 6);
  if (x.integer) xt = xt.filter((v) => Number.isInteger(v));
  const yt = niceTicks(y0, y1, 5);
  const ylabW = Math.max(0, ...yt.map((v) => textWidth(formatNumber(v), TICK)));
  const left = 12 + (y.label ? textHeight(LABEL) + 10 : 0) + ylabW + 8;
  const bottom = 12 + textHeight(TICK) + 8 + (x.label ? textHeight(LABEL) + 10 : 0);
  const f: Frame = {
    left,
    top: box.top,
    w: box.width - left - 20,
    h: box.height - box.top - bottom,
    sx: (v) => f.left + ((v - x0) / (x1 - x0)) * f.w,
    sy: (v) => f.top + f.h - ((v - y0) / (y1 - y0)) * f.h,
  };
  for (const v of xt) {
    const px = f.sx(v);
    marks.push({ kind: 'line', points: [px, f.top, px, f.top + f.h], color: GRID, width: 1 });
    marks.push({ kind: 'line', points: [px, f.top + f.h, px, f.top + f.h + 4], color: INK, width: 1 });
    marks.push({
      kind: 'text',
      x: px,
      y: f.top + f.h + 8 + textHeight(TICK) / 2,
      text: formatNumber(v),
      size: TICK,
      color: INK,
      anchor: 'middle',
    });
  }
  for (const v of yt) {
    const py = f.sy(v);
    marks.push({ kind: 'line', points: [f.left, py, f.left + f.w, py], color: GRID, width: 1 });
    marks.push({ kind: 'line', points: [f.left - 4, py, f.left, py], color: INK, width: 1 });
    marks.push({
      kind: 'text',
      x: f.left - 7,
      y: py,
      text: formatNumber(v),
      size: TICK,
      color: INK,
      anchor: 'end',
    });
  }
  marks.push({ kind: 'rect', x: f.left, y: f.top, w: f.w, h: f.h, fill: 'none', stroke: INK });
  if (x.label) {
    const ly = box.height - 10 - textHeight(LABEL) / 2;
    marks.push({
      kind: 'text',
      x: f.left + f.w / 2,
      y: ly,
      text: x.label,
      size: LABEL,
      color: INK,
      anchor: 'middle',
    });
  }
  if (y.label) {
    marks.push({
      kind: 'text',
      x: 12 + textHeight(LABEL) / 2,
      y: f.top + f.h / 2,
      text: y.label,
      size: LABEL,
      color: INK,
      anchor: 'middle',
      vertical: true,
    });
  }
  return f;
}

/** A legend box in a corner of the frame: a colour swatch (line) then the name per entry. */
export function legend(
  marks: Mark[],
  f: Frame,
  entries: { name: string; color: Color; dash?: number }[],
  corner: 'top-right' | 'bottom-right' = 'top-right',
): void {
  if (entries.length === 0) return;
  const rowH = textHeight(TICK) + 8;
  const w = 36 + Math.max(...entries.map((e) => textWidth(e.name, TICK)));
  const h = entries.length * rowH + 8;
  const x = f.left + f.w - w - 8;
  const y = corner === 'top-right' ? f.top + 8 : f.top + f.h - h - 8;
  marks.push({ kind: 'rect', x, y, w, h, fill: '#ffffff', stroke: '#999999' });
  entries.forEach((e, i) => {
    const cy = y + 4 + rowH * i + rowH / 2;
    marks.push({ kind: 'line', points: [x + 6, cy, x + 26, cy], color: e.color, width: 2, dash: e.dash });
    marks.push({ kind: 'text', x: x + 32, y: cy, text: e.name, size: TICK, color: INK, anchor: 'start' });
  });
}
