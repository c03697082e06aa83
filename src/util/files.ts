// The file system, for the few functions that read or write paths. Node only: the browser
// build takes files.browser.ts instead (see tsup.config.ts), whose functions say so.
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The bytes of the file at `path` (a `file://` URL is taken as its path). */
export async function readFileBytes(path: string, _caller: string): Promise<Uint8Array> {
  const buf = await readFile(path.replace(/^file:\/\//, ''));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Write `data` to `path` atomically (a temporary file renamed over it, so a reader sees the
 * old file or the new one, never half of it), creating the folder when missing.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  _caller: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Append `text` to the file at `path`, creating it (and its folder) when missing. */
export async function appendFileText(path: string, text: string, _caller: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, text);
}
