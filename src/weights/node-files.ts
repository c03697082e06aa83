/**
 * Node's file system for the weight loaders, reached through `process.getBuiltinModule`
 * (Node >= 20.16) rather than an import, so browser bundles never see a Node built-in: in a
 * browser only URLs and bytes are sources, and a local path gets an error saying so.
 */
import type * as FsPromises from 'node:fs/promises';
import { WeightsError } from './errors';

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

/** A Node built-in module (`node:os`...), or a {@link WeightsError} outside Node. */
export function nodeBuiltin<T>(id: string, fn: string, file: string): T {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const mod = proc?.getBuiltinModule?.(id) as T | undefined;
  if (mod === undefined) {
    throw new WeightsError(
      fn,
      file,
      'a local path needs Node.js >= 20.16; in a browser give a URL or the bytes',
    );
  }
  return mod;
}

/** `node:fs/promises`, or a {@link WeightsError} outside Node. */
export function nodeFs(fn: string, file: string): typeof FsPromises {
  return nodeBuiltin<typeof FsPromises>('node:fs/promises', fn, file);
}

/** An environment variable, `undefined` outside Node. */
export function envVar(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

/** Reads a whole file. */
export async function readLocal(path: string, fn: string): Promise<Uint8Array> {
  const buf = await nodeFs(fn, path).readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** True when `path` is a directory (false when it does not exist). */
export async function isDirectory(path: string, fn: string): Promise<boolean> {
  return (
    (
      await nodeFs(fn, path)
        .stat(path)
        .catch(() => undefined)
    )?.isDirectory() ?? false
  );
}

/** Names in a directory. */
export async function listDirectory(path: string, fn: string): Promise<string[]> {
  return nodeFs(fn, path).readdir(path);
}
