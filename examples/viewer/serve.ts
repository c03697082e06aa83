// `npm run viewer`: bundle the viewer and serve it on localhost (printing the URL).
// `npm run viewer:build`: write the static files to out/viewer/ (any web server, offline).
// The page imports 'medinets' as an app does; it resolves to this repository's src/ with
// the browser twins of the Node-only modules, as the package's browser build does.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserTwins } from '../../tools/browser-twins';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const out = join(root, 'out', 'viewer');

/** Bundle the page into out/viewer/ with its static files; returns the folder. */
export async function buildViewer(): Promise<string> {
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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Serve `dir` on 127.0.0.1, cross-origin isolated so the wasm backend may use threads. */
export function serveDir(dir: string, port = 0): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent((req.url ?? '/').split('?')[0] as string)));
    const file = path.endsWith('/') ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = await buildViewer();
  if (process.argv.includes('--build')) {
    console.log(`viewer: static files in ${dir}`);
  } else {
    const server = await serveDir(dir, Number(process.env.PORT ?? 5173));
    const address = server.address();
    console.log(`viewer: http://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}/`);
  }
}
