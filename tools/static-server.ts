// The one static-file server of the repository: the viewer's `npm run viewer` and the browser
// tests' pages (test/browser/harness.ts) both serve a folder through it.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.dcm': 'application/dicom',
  '.png': 'image/png',
  '.css': 'text/css',
};

/** A running server and the URL of its root (with the trailing slash). */
export interface Served {
  server: Server;
  url: string;
}

/**
 * Serve `dir` on 127.0.0.1 (`port` 0: a free one), cross-origin isolated (COOP same-origin +
 * COEP require-corp), as the threaded wasm backend needs (SharedArrayBuffer). A path outside
 * `dir` or a missing file is a 404; a folder serves its index.html.
 */
export async function serveStatic(dir: string, port = 0): Promise<Served> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent((req.url ?? '/').split('?')[0] as string)));
    const file = path.endsWith(sep) || path === root ? join(path, 'index.html') : path;
    if (!(file === root || file.startsWith(root + sep)) || !existsSync(file)) {
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
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { server, url: `http://127.0.0.1:${actual}/` };
}
