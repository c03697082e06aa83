// Headless Chromium for the browser tests: Debian's `chromium` (never a downloaded browser)
// driven by playwright-core, pages bundled from src/ with esbuild exactly as the browser build
// bundles them (Node-only modules replaced by their twins), served from 127.0.0.1 by
// tools/static-server.ts (the viewer's server too).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { browserTwins } from '../../tools/browser-twins';

export const CHROMIUM = process.env.MEDINETS_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags the tests launch Chromium with. WebGL comes from SwiftShader (ANGLE's CPU
 * renderer): no GPU is needed, and `--enable-unsafe-swiftshader` lets Chromium use it for
 * WebGL without falling back to no WebGL at all. The rest keep a test run off the network.
 */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
];

/** Whether the browser tests can run; under CI a missing Chromium is an error, not a skip. */
export function chromiumPresent(): boolean {
  const there = existsSync(CHROMIUM);
  if (!there && process.env.CI === 'true') {
    throw new Error(`browser tests: ${CHROMIUM} is missing; .ci/run installs Debian's chromium`);
  }
  return there;
}

/**
 * Launch Chromium with {@link CHROMIUM_ARGS} and `extraArgs`; playwright gives every launch a
 * fresh temporary profile (user data dir).
 */
export async function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    headless: true,
  });
}

/** Bundle `entry` (a page script) into `outDir/name.js` with an index.html that loads it. */
export async function bundlePage(entry: string, outDir: string, name: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: join(outDir, `${name}.js`),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    sourcemap: true,
    plugins: [browserTwins],
    logLevel: 'error',
  });
  writeFileSync(
    join(outDir, `${name}.html`),
    `<!doctype html><meta charset="utf-8"><title>${name}</title><link rel="icon" href="data:,"><script type="module" src="./${name}.js"></script>\n`,
  );
}
