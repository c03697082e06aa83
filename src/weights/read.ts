/**
 * One entry to every weights format: bytes, a local path (file or directory) or an http(s)
 * URL in; the format detected from the content (not the file name) and the file's tensors
 * out, in the file's own names and layout.
 */
import { WeightsError } from './errors';
import { isHdf5, readKerasH5 } from './keras-h5';
import { isDirectory, listDirectory, readLocal } from './node-files';
import type { RawWeights } from './raw';
import { readSafetensors, safetensorsHeaderLength } from './safetensors';
import { decodeManifest, parseModelJson, type TopologyLayer } from './tfjs-layers';
import { isPickle, isZip, readTorch } from './torch';

/** Formats the weight-file reader detects from a file's content (see {@link loadWeights}). */
export type WeightsFormat = 'torch' | 'safetensors' | 'keras-h5' | 'tfjs-layers';

/** Where weights come from: a path, a directory, a `file://` or http(s) URL, or the bytes. */
export type WeightsSource = string | Uint8Array | ArrayBuffer;

/** A file's tensors as read, before any name mapping. */
export interface ReadWeights {
  format: WeightsFormat;
  /** The file (or `<bytes>`), for messages. */
  file: string;
  weights: RawWeights;
  /** TF.js layers format only: the topology's layers in order. */
  layers: TopologyLayer[];
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** Detects the format of `bytes` from their first bytes, or `undefined`. */
export function detectFormat(bytes: Uint8Array): WeightsFormat | undefined {
  if (isZip(bytes) || isPickle(bytes)) return 'torch';
  if (isHdf5(bytes)) return 'keras-h5';
  if (safetensorsHeaderLength(bytes) >= 0) return 'safetensors';
  let i = 0;
  while (i < bytes.length && i < 64 && /\s/.test(String.fromCharCode(bytes[i]))) i++;
  if (bytes[i] === 0x7b || bytes[i] === 0x5b) return 'tfjs-layers';
  return undefined;
}

async function fetchBytes(url: string, fn: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new WeightsError(fn, url, `could not be fetched (${(e as Error).message})`);
  }
  if (!res.ok) throw new WeightsError(fn, url, `fetching failed with HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/') + 1) : '');

async function readAt(location: string, fn: string): Promise<Uint8Array> {
  if (isUrl(location)) return fetchBytes(location, fn);
  try {
    return await readLocal(location, fn);
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(
      fn,
      location,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

// Files a directory may hold, most specific first.
const DIRECTORY_FILES = [/^model\.json$/, /\.safetensors$/, /\.(pth|pt|bin|ckpt|tar)$/, /\.(h5|hdf5|keras)$/];

async function resolveDirectory(dir: string, fn: string): Promise<string> {
  const names = (await listDirectory(dir, fn)).sort();
  for (const pattern of DIRECTORY_FILES) {
    const hits = names.filter((n) => pattern.test(n));
    if (hits.length === 1) return `${dir.replace(/\/$/, '')}/${hits[0]}`;
    if (hits.length > 1) {
      throw new WeightsError(
        fn,
        dir,
        `a directory with several weights files (${hits.join(', ')}); name one`,
      );
    }
  }
  throw new WeightsError(fn, dir, 'a directory without model.json, *.safetensors, *.pth or *.h5');
}

/**
 * Reads a weights file in any supported format.
 * @param source Bytes, a local path (file or directory), or a `file://`/http(s) URL.
 * @param fn The public function reading it, for error messages.
 */
export async function readWeightsFile(source: WeightsSource, fn = 'readWeightsFile'): Promise<ReadWeights> {
  let file = '<bytes>';
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    file = source.replace(/^file:\/\//, '');
    if (!isUrl(file)) {
      if (await isDirectory(file, fn)) file = await resolveDirectory(file, fn);
    }
    bytes = await readAt(file, fn);
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else if (source instanceof ArrayBuffer) {
    bytes = new Uint8Array(source);
  } else {
    throw new WeightsError(fn, String(source), 'expected a path, a URL, a Uint8Array or an ArrayBuffer');
  }
  const format = detectFormat(bytes);
  switch (format) {
    case 'torch':
      return { format, file, weights: readTorch(bytes, file, fn), layers: [] };
    case 'safetensors':
      return { format, file, weights: readSafetensors(bytes, file, fn), layers: [] };
    case 'keras-h5':
      return { format, file, weights: readKerasH5(bytes, file, fn), layers: [] };
    case 'tfjs-layers': {
      const json = parseModelJson(new TextDecoder().decode(bytes), file, fn);
      const groups = json.manifest.map((g) => g.paths);
      if (file === '<bytes>' && groups.some((p) => p.length > 0)) {
        throw new WeightsError(
          fn,
          file,
          'a model.json given as bytes: give its path or URL so its shards can be read',
        );
      }
      const base = dirOf(file);
      const shards = await Promise.all(
        groups.map((paths) => Promise.all(paths.map((p) => readAt(isUrl(p) ? p : base + p, fn)))),
      );
      return { format, file, weights: decodeManifest(json.manifest, shards, file, fn), layers: json.layers };
    }
    default:
      throw new WeightsError(
        fn,
        file,
        'unknown format: expected a PyTorch checkpoint, safetensors, Keras HDF5 or TF.js model.json',
      );
  }
}
