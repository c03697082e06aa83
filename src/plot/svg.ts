/**
 * SVG output of a {@link Figure}: plain text, no dependency, vector lines and real fonts in
 * whatever views it (browser, Inkscape, resvg).
 */
import { encodePng } from '../data/png';
import type { Figure } from './figure';

/** The font stack of every text mark; resvg falls back to its default family (DejaVu Sans). */
export const FONT_FAMILY = 'DejaVu Sans, Arial, sans-serif';

/** Base64 of bytes without Node's `Buffer`, so the SVG path also runs in browsers. */
function base64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function r2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Render a {@link Figure} as a standalone SVG document (images embedded as PNG data URIs). */
export function renderSvg(fig: Figure): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fig.width}" height="${fig.height}" viewBox="0 0 ${fig.width} ${fig.height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  for (const m of fig.marks) {
    if (m.kind === 'line') {
      const pts: string[] = [];
      for (let i = 0; i + 1 < m.points.length; i += 2)
        pts.push(`${r2(m.points[i] as number)},${r2(m.points[i + 1] as number)}`);
      const dash = m.dash ? ` stroke-dasharray="${m.dash} ${m.dash}"` : '';
      out.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="${m.color}" stroke-width="${m.width}" stroke-linejoin="round"${dash}/>`,
      );
    } else if (m.kind === 'rect') {
      const stroke = m.stroke ? ` stroke="${m.stroke}"` : '';
      out.push(
        `<rect x="${r2(m.x)}" y="${r2(m.y)}" width="${r2(m.w)}" height="${r2(m.h)}" fill="${m.fill}"${stroke}/>`,
      );
    } else if (m.kind === 'text') {
      const rot = m.vertical ? ` transform="rotate(-90 ${r2(m.x)} ${r2(m.y)})"` : '';
      out.push(
        `<text x="${r2(m.x)}" y="${r2(m.y)}" font-family="${FONT_FAMILY}" font-size="${m.size}" fill="${m.color}" text-anchor="${m.anchor}" dominant-baseline="central"${rot}>${esc(m.text)}</text>`,
      );
    } else {
      const png = encodePng({ width: m.srcWidth, height: m.srcHeight, channels: 4, data: m.rgba });
      out.push(
        `<image x="${r2(m.x)}" y="${r2(m.y)}" width="${r2(m.w)}" height="${r2(m.h)}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="data:image/png;base64,${base64(png)}"/>`,
      );
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
