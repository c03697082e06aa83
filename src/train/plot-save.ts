import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Figure } from './plot-figure';
import { renderPng, renderSvg } from './plot-render';

/**
 * Write a {@link Figure} to `path`: `.svg` as SVG text, `.png` through the pure-JS
 * rasteriser. Directories are created; the file is replaced atomically. Returns `path`.
 */
export async function saveFigure(fig: Figure, path: string): Promise<string> {
  const lower = path.toLowerCase();
  let body: string | Uint8Array;
  if (lower.endsWith('.svg')) body = renderSvg(fig);
  else if (lower.endsWith('.png')) body = renderPng(fig);
  else throw new Error(`saveFigure: 'path' must end in .svg or .png; got '${path}'`);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, body);
  await rename(tmp, path);
  return path;
}
