/**
 * The dependency-free PNG renderer: a small RGBA rasteriser (lines, rectangles, images) with
 * a 5x7 bitmap font, so a figure renders with nothing installed. `renderPng` (png.ts)
 * prefers resvg when it is present (anti-aliasing, real fonts) and falls back to this.
 */
import { encodePng } from '../data/png';
import { FONT_ADVANCE, FONT_HEIGHT, glyphRows } from './font';
import { fontScale, parseColor, type Figure, type LineMark, type TextMark } from './figure';

/** An RGBA pixel buffer with alpha blending; the PNG renderer's canvas. */
class Raster {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 4).fill(255);
  }

  blend(x: number, y: number, rgb: [number, number, number], a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 4;
    const d = this.data;
    const k = Math.min(a, 1);
    d[i] = (d[i] as number) * (1 - k) + rgb[0] * k;
    d[i + 1] = (d[i + 1] as number) * (1 - k) + rgb[1] * k;
    d[i + 2] = (d[i + 2] as number) * (1 - k) + rgb[2] * k;
    d[i + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, rgb: [number, number, number]): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.blend(xx, yy, rgb, 1);
  }

  /** Anti-aliased thick segment: coverage from the pixel centre's distance to the segment. */
  segment(
    ax: number,
    ay: number,
    bx: number,
    by: number,
    width: number,
    rgb: [number, number, number],
  ): void {
    const hw = width / 2;
    const x0 = Math.floor(Math.min(ax, bx) - hw - 1);
    const x1 = Math.ceil(Math.max(ax, bx) + hw + 1);
    const y0 = Math.floor(Math.min(ay, by) - hw - 1);
    const y1 = Math.ceil(Math.max(ay, by) + hw + 1);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = Math.max(0, y0); y <= Math.min(this.height - 1, y1); y++) {
      for (let x = Math.max(0, x0); x <= Math.min(this.width - 1, x1); x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
        const ex = px - (ax + t * dx);
        const ey = py - (ay + t * dy);
        const cover = Math.min(1, hw + 0.5 - Math.sqrt(ex * ex + ey * ey));
        if (cover > 0) this.segmentPixel(x, y, rgb, cover);
      }
    }
  }

  // Joints of a polyline are covered twice; keeping the max coverage per pixel avoids dark beads.
  private stamp = new Map<number, number>();
  beginStroke(): void {
    this.stamp = new Map();
  }
  private segmentPixel(x: number, y: number, rgb: [number, number, number], cover: number): void {
    const key = y * this.width + x;
    const prev = this.stamp.get(key) ?? 0;
    if (cover <= prev) return;
    // Blend only the extra coverage over what this stroke already put down.
    this.blend(x, y, rgb, (cover - prev) / (1 - prev));
    this.stamp.set(key, cover);
  }
}

function dashed(points: number[], dash: number): number[][] {
  const out: number[][] = [];
  let on = true;
  let left = dash;
  let cur: number[] = [points[0] as number, points[1] as number];
  for (let i = 2; i + 1 < points.length; i += 2) {
    let ax = points[i - 2] as number;
    let ay = points[i - 1] as number;
    const bx = points[i] as number;
    const by = points[i + 1] as number;
    let seg = Math.hypot(bx - ax, by - ay);
    while (seg > 0) {
      const step = Math.min(left, seg);
      const t = step / seg;
      const nx = ax + (bx - ax) * t;
      const ny = ay + (by - ay) * t;
      if (on) cur.push(nx, ny);
      ax = nx;
      ay = ny;
      seg -= step;
      left -= step;
      if (left <= 1e-9) {
        if (on && cur.length >= 4) out.push(cur);
        on = !on;
        left = dash;
        cur = [ax, ay];
      }
    }
  }
  if (on && cur.length >= 4) out.push(cur);
  return out;
}

function drawLine(r: Raster, m: LineMark): void {
  const rgb = parseColor(m.color);
  const parts = m.dash ? dashed(m.points, m.dash) : [m.points];
  for (const p of parts) {
    r.beginStroke();
    for (let i = 2; i + 1 < p.length; i += 2) {
      r.segment(p[i - 2] as number, p[i - 1] as number, p[i] as number, p[i + 1] as number, m.width, rgb);
    }
  }
}

function drawText(r: Raster, m: TextMark): void {
  const s = fontScale(m.size);
  const rgb = parseColor(m.color);
  const w = m.text.length * FONT_ADVANCE * s - s;
  const h = FONT_HEIGHT * s;
  const u0 = m.anchor === 'start' ? 0 : m.anchor === 'middle' ? -w / 2 : -w;
  const v0 = -h / 2;
  for (let c = 0; c < m.text.length; c++) {
    const rows = glyphRows(m.text[c] as string);
    for (let gy = 0; gy < FONT_HEIGHT; gy++) {
      const bits = rows[gy] as number;
      for (let gx = 0; gx < 5; gx++) {
        if (!(bits & (16 >> gx))) continue;
        const u = Math.round(u0 + (c * FONT_ADVANCE + gx) * s);
        const v = Math.round(v0 + gy * s);
        for (let a = 0; a < s; a++) {
          for (let b = 0; b < s; b++) {
            // Vertical text is rotated -90 degrees: along-text u goes up, v goes right.
            const px = m.vertical ? Math.round(m.x) + v + b : Math.round(m.x) + u + a;
            const py = m.vertical ? Math.round(m.y) - u - a : Math.round(m.y) + v + b;
            r.blend(px, py, rgb, 1);
          }
        }
      }
    }
  }
}

/** Render a {@link Figure} to RGBA pixels `[height, width, 4]` (row-major bytes). */
export function rasterize(fig: Figure): Uint8Array {
  const r = new Raster(Math.round(fig.width), Math.round(fig.height));
  for (const m of fig.marks) {
    if (m.kind === 'line') drawLine(r, m);
    else if (m.kind === 'rect') {
      if (m.fill !== 'none') r.fillRect(m.x, m.y, m.w, m.h, parseColor(m.fill));
      if (m.stroke) {
        drawLine(r, {
          kind: 'line',
          points: [m.x, m.y, m.x + m.w, m.y, m.x + m.w, m.y + m.h, m.x, m.y + m.h, m.x, m.y],
          color: m.stroke,
          width: 1,
        });
      }
    } else if (m.kind === 'text') drawText(r, m);
    else {
      const x0 = Math.round(m.x);
      const y0 = Math.round(m.y);
      const w = Math.round(m.w);
      const h = Math.round(m.h);
      for (let y = 0; y < h; y++) {
        const sy = Math.min(m.srcHeight - 1, Math.floor((y * m.srcHeight) / h));
        for (let x = 0; x < w; x++) {
          const sx = Math.min(m.srcWidth - 1, Math.floor((x * m.srcWidth) / w));
          const i = (sy * m.srcWidth + sx) * 4;
          const rgb: [number, number, number] = [
            m.rgba[i] as number,
            m.rgba[i + 1] as number,
            m.rgba[i + 2] as number,
          ];
          r.blend(x0 + x, y0 + y, rgb, (m.rgba[i + 3] as number) / 255);
        }
      }
    }
  }
  return r.data;
}

/** @internal A {@link Figure} as PNG bytes by the bitmap renderer (pure JS: {@link rasterize} + `encodePng`). */
export function bitmapPng(fig: Figure): Uint8Array {
  return encodePng({
    width: Math.round(fig.width),
    height: Math.round(fig.height),
    channels: 4,
    data: rasterize(fig),
  });
}
