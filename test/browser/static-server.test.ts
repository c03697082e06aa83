// tools/static-server.ts, the server of the viewer and of the browser tests' pages: files with
// their type and the cross-origin-isolation headers threaded wasm needs, index.html for a
// folder, and nothing outside the folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type Served } from '../../tools/static-server';

/** GET a raw path (no URL normalisation by a client library, so `..` reaches the server). */
function get(
  url: string,
  path: string,
): Promise<{ status: number; type: string; coep: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        ok({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          coep: String(res.headers['cross-origin-embedder-policy']),
          body,
        }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

describe('serveStatic', () => {
  let dir: string;
  let served: Served;

  beforeAll(async () => {
    const base = mkdtempSync(join(tmpdir(), 'medinets-static-'));
    dir = join(base, 'site');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<p>home</p>');
    writeFileSync(join(dir, 'sub', 'a.js'), 'export {};');
    writeFileSync(join(base, 'secret.txt'), 'outside');
    // A sibling whose name starts with the served folder's: a bare prefix test would serve it.
    mkdirSync(join(base, 'site-evil'));
    writeFileSync(join(base, 'site-evil', 'x'), 'outside');
    served = await serveStatic(dir);
  });

  afterAll(() => {
    served?.server.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('serves files with their type, cross-origin isolated', async () => {
    const r = await get(served.url, '/sub/a.js?x=1');
    expect(r).toMatchObject({
      status: 200,
      type: 'text/javascript',
      coep: 'require-corp',
      body: 'export {};',
    });
  });

  it("serves a folder's index.html", async () => {
    const r = await get(served.url, '/');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/html; charset=utf-8');
    expect(r.body).toBe('<p>home</p>');
  });

  it('answers 404 for missing files and for paths outside the folder', async () => {
    expect((await get(served.url, '/nope.js')).status).toBe(404);
    expect((await get(served.url, '/../secret.txt')).status).toBe(404);
    expect((await get(served.url, '/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get(served.url, '/../site-evil/x')).status).toBe(404);
  });
});
