/**
 * The download cache of published weights: `$MEDINETS_HOME/weights/<file>` (default
 * `~/.cache/medinets`), each file fetched once, written atomically (a temporary file renamed
 * into place), its digest checked before it is kept, with a progress line on stderr.
 * Node only (reached without imports; see node-files.ts).
 */
import type * as Crypto from 'node:crypto';
import type * as Os from 'node:os';
import { WeightsError } from './errors';
import type { PublishedWeights } from './imagenet';
import { envVar, nodeBuiltin, nodeFs } from './node-files';

/** Options of {@link cachedWeights}. */
export interface CacheOptions {
  /** Cache root; default `$MEDINETS_HOME`, else `~/.cache/medinets`. Files go in `<root>/weights`. */
  home?: string;
  /** Called as bytes arrive (`total` is 0 when the server gives no length). Default: a stderr progress line when stderr is a terminal. */
  onProgress?: (received: number, total: number) => void;
}

/** The cache directory for weights. */
export function weightsCacheDir(home?: string): string {
  const fn = 'weightsCacheDir';
  const root =
    home ??
    envVar('MEDINETS_HOME') ??
    `${nodeBuiltin<typeof Os>('node:os', fn, '~').homedir()}/.cache/medinets`;
  return `${root.replace(/\/$/, '')}/weights`;
}

function digestMatches(bytes: Uint8Array, entry: PublishedWeights, fn: string): boolean {
  const { algorithm, hex } = entry.hash;
  // Nothing to compare when the publisher gives no digest (keras.applications' MobileNetV2).
  if (algorithm === 'none') return true;
  const crypto = nodeBuiltin<typeof Crypto>('node:crypto', fn, entry.filename);
  const got = crypto
    .createHash(algorithm === 'md5' ? 'md5' : 'sha256')
    .update(bytes)
    .digest('hex');
  // An empty prefix would match anything: a table entry without one is refused.
  return algorithm === 'sha256-prefix' ? hex.length >= 8 && got.startsWith(hex) : got === hex;
}

function stderrProgress(name: string): (received: number, total: number) => void {
  const err = (globalThis as { process?: { stderr?: { isTTY?: boolean; write(s: string): void } } }).process
    ?.stderr;
  if (err?.isTTY !== true) return () => {};
  return (received, total) => {
    const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
    const pct = total > 0 ? ` ${Math.floor((100 * received) / total)}%` : '';
    err.write(
      `\r${name}: ${mb(received)}${total > 0 ? `/${mb(total)}` : ''} MB${pct}${received === total ? '\n' : ''}`,
    );
  };
}

async function download(
  entry: PublishedWeights,
  dest: string,
  onProgress: CacheOptions['onProgress'],
  fn: string,
): Promise<Uint8Array> {
  const where = `or download it yourself and put it at ${dest}`;
  let res: Response;
  try {
    res = await fetch(entry.url);
  } catch (e) {
    throw new WeightsError(
      fn,
      entry.url,
      `cannot be downloaded (${(e as Error).message}; offline?): expected the file '${entry.filename}'; connect, ${where}`,
    );
  }
  if (!res.ok || res.body === null) {
    throw new WeightsError(
      fn,
      entry.url,
      `download failed with HTTP ${res.status}: expected the file '${entry.filename}'; ${where}`,
    );
  }
  const total = Number(res.headers.get('content-length') ?? 0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  const progress = onProgress ?? stderrProgress(entry.filename);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    progress(received, total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * The local path of a published file, downloading it into the cache first if needed.
 * A cached file whose digest is wrong is downloaded again; a download whose digest is wrong
 * is refused (and not kept).
 * @param entry The published file (see `imagenetWeights`).
 * @param options Cache root and progress callback.
 * @param fn The public function, for error messages.
 */
export async function cachedWeights(
  entry: PublishedWeights,
  options: CacheOptions = {},
  fn = 'cachedWeights',
): Promise<string> {
  const fs = nodeFs(fn, entry.filename);
  const dir = weightsCacheDir(options.home);
  const dest = `${dir}/${entry.filename}`;
  const cached = await fs.readFile(dest).catch(() => undefined);
  if (cached !== undefined && digestMatches(cached, entry, fn)) return dest;
  const bytes = await download(entry, dest, options.onProgress, fn);
  if (!digestMatches(bytes, entry, fn)) {
    throw new WeightsError(
      fn,
      entry.url,
      `the download's ${entry.hash.algorithm} does not match ${entry.hash.hex}: a corrupt or different file, not kept`,
    );
  }
  await fs.mkdir(dir, { recursive: true });
  const tmp = `${dest}.${Date.now()}-${Math.random().toString(36).slice(2)}.part`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, dest);
  return dest;
}
