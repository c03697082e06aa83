/** Writing figures to files (Node only): `.svg` as text, `.png` through {@link renderPng}. */
import { writeFileAtomic } from '../util/files';
import type { Figure } from './figure';
import { type PngOptions, renderPng } from './png';
import { renderSvg } from './svg';

/**
 * Write a {@link Figure} to `path`: `.svg` as SVG text (no dependency), `.png` through
 * {@link renderPng} (resvg when installed, else the bitmap renderer; see {@link PngOptions}).
 * Directories are created; the file is replaced atomically (written aside, then renamed).
 * @returns `path`.
 */
export async function saveFigure(fig: Figure, path: string, options: PngOptions = {}): Promise<string> {
  const lower = path.toLowerCase();
  let body: string | Uint8Array;
  if (lower.endsWith('.svg')) body = renderSvg(fig);
  else if (lower.endsWith('.png')) body = (await renderPng(fig, options)).png;
  else throw new Error(`saveFigure: 'path' must end in .svg or .png; got '${path}'`);
  await writeFileAtomic(path, body, 'saveFigure');
  return path;
}
