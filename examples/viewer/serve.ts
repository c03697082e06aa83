// `npm run viewer`: bundle the viewer and serve it on localhost (printing the URL).
// `npm run viewer:build`: write the static files to out/viewer/ (any web server, offline).
// The page imports 'medinets' as an app does; it resolves to this repository's src/ with
// the browser twins of the Node-only modules, as the package's browser build does.
import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserTwins } from '../../tools/browser-twins';
import { serveStatic } from '../../tools/static-server';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

/** Bundle the page into `out` (default out/viewer/) with its static files; returns the folder. */
export async function buildViewer(out = join(root, 'out', 'viewer')): Promise<string> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile: join(out, 'viewer.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    alias: { medinets: join(root, 'src', 'index.ts') },
    plugins: [browserTwins],
    logLevel: 'error',
  });
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  copyFileSync(join(root, 'test', 'fixtures', 'data', 'dicom', 'CT_small.dcm'), join(out, 'sample.dcm'));
  const wasm = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'wasm-out');
  for (const f of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]) {
    copyFileSync(join(wasm, f), join(out, f));
  }
  const trained = existsSync(join(here, 'model', 'model.json'));
  if (trained) cpSync(join(here, 'model'), join(out, 'model'), { recursive: true });
  // The page asks this file rather than probing model.json (a 404 is a console error).
  writeFileSync(join(out, 'config.json'), JSON.stringify({ demoModel: trained }));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = await buildViewer();
  if (process.argv.includes('--build')) {
    console.log(`viewer: static files in ${dir}`);
  } else {
    const { url } = await serveStatic(dir, Number(process.env.PORT ?? 5173));
    console.log(`viewer: ${url}`);
  }
}
