/**
 * PNG output of a {@link Figure}: the figure's SVG rendered by resvg (`@resvg/resvg-js`, an
 * optional dependency shipping prebuilt binaries: anti-aliased lines, real fonts) when it is
 * installed and finds a font, else the dependency-free bitmap renderer. No Node built-ins, so
 * the browser build can keep this file (resvg's import fails there and the bitmap renderer runs).
 */
import type { Figure } from './figure';
import { bitmapPng } from './raster';
import { renderSvg } from './svg';

/** Which PNG renderer to use: resvg when usable (`'auto'`), or one of them by name. */
export type PngRenderer = 'auto' | 'resvg' | 'bitmap';

/** Options of {@link renderPng} and `saveFigure`. */
export interface PngOptions {
  /**
   * `'auto'` (default) uses resvg when `@resvg/resvg-js` is installed and a system font is
   * found, else the bitmap renderer; `'resvg'` fails if it is not usable; `'bitmap'` never loads it.
   */
  renderer?: PngRenderer;
}

/** The part of `@resvg/resvg-js` used here. */
interface ResvgLike {
  new (
    svg: string,
    options?: { font?: { loadSystemFonts?: boolean; defaultFontFamily?: string } },
  ): {
    render(): { asPng(): Uint8Array; readonly pixels: Uint8Array };
  };
}

let loading: Promise<ResvgLike | string> | undefined;

/** Load resvg once; a string says why it is not usable. */
function loadResvg(): Promise<ResvgLike | string> {
  // A variable specifier: app bundlers leave the optional native package alone (it cannot
  // run in a page; the bitmap renderer does).
  const spec = '@resvg/resvg-js';
  loading ??= (
    import(/* @vite-ignore */ /* webpackIgnore: true */ spec) as Promise<typeof import('@resvg/resvg-js')>
  ).then(
    (m) => {
      const Resvg = (m.Resvg ?? (m as unknown as { default: { Resvg?: ResvgLike } }).default?.Resvg) as
        ResvgLike | undefined;
      if (typeof Resvg !== 'function') return '@resvg/resvg-js has no Resvg export';
      // Without a font resvg silently drops every text mark: require ink from a probe glyph.
      const probe = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><text x="2" y="13" font-size="14" font-family="${FONT}">M</text></svg>`;
      const rgba = new Resvg(probe, resvgOptions).render().pixels;
      const inked = rgba.some((v, i) => i % 4 === 3 && v > 0);
      return inked ? Resvg : 'resvg found no usable font (install fonts-dejavu-core)';
    },
    (e: unknown) => `@resvg/resvg-js is not installed (${e instanceof Error ? e.message : String(e)})`,
  );
  return loading;
}

const FONT = 'DejaVu Sans';
const resvgOptions = { font: { loadSystemFonts: true, defaultFontFamily: FONT } };

/** What {@link renderPng} returns. */
export interface RenderedPng {
  /** The PNG file's bytes (a plain `Uint8Array`, never a Node `Buffer`). */
  png: Uint8Array;
  /** The renderer that drew it. */
  renderer: 'resvg' | 'bitmap';
}

/**
 * Render a {@link Figure} as PNG bytes: its {@link renderSvg} document through resvg when
 * available (see {@link PngOptions}), else the pure-JS bitmap renderer.
 */
export async function renderPng(fig: Figure, options: PngOptions = {}): Promise<RenderedPng> {
  const { renderer = 'auto' } = options;
  if (renderer !== 'auto' && renderer !== 'resvg' && renderer !== 'bitmap') {
    throw new Error(`renderPng: 'renderer' must be 'auto', 'resvg' or 'bitmap'; got '${String(renderer)}'`);
  }
  if (renderer !== 'bitmap') {
    const Resvg = await loadResvg();
    if (typeof Resvg !== 'string') {
      const out = new Resvg(renderSvg(fig), resvgOptions).render().asPng();
      // A plain Uint8Array view (resvg returns a Node Buffer) so callers see one type everywhere.
      return { png: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), renderer: 'resvg' };
    }
    if (renderer === 'resvg') throw new Error(`renderPng: renderer 'resvg' is not usable: ${Resvg}`);
  }
  return { png: bitmapPng(fig), renderer: 'bitmap' };
}
