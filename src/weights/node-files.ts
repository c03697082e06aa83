/**
 * The Node-only file access of the weight loaders, in its own module so that the browser
 * build never evaluates it: loaders import it dynamically, only for a local path.
 */
import { readFile, readdir, stat } from 'node:fs/promises';

/** Reads a whole file. */
export async function readLocal(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** True when `path` is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

/** Names in a directory. */
export async function listDirectory(path: string): Promise<string[]> {
  return readdir(path);
}
