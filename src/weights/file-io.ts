/**
 * `file://` for TF.js' model IO in Node without tfjs-node: `model.save('file://dir')` writes
 * the standard layers format (`model.json` with `modelTopology`, `weightsManifest`,
 * `trainingConfig` and `userDefinedMetadata`, plus `weights.bin`), each file written
 * atomically; `tf.loadLayersModel('file://dir/model.json')` reads it back. The same files load
 * in a browser over http. Registered on import of medinets unless a `file://` handler is
 * already there (tfjs-node's); a no-op outside Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as Path from 'node:path';
import { nodeBuiltin, nodeFs } from './node-files';

const SCHEME = 'file://';
const WEIGHTS_FILE = 'weights.bin';

const isNode = (): boolean =>
  typeof (globalThis as { process?: { getBuiltinModule?: unknown } }).process?.getBuiltinModule ===
  'function';

async function writeAtomic(path: string, data: string | Uint8Array, fn: string): Promise<void> {
  const fs = nodeFs(fn, path);
  const tmp = `${path}.${Date.now()}-${Math.random().toString(36).slice(2)}.part`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, path);
}

function joinWeights(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  return new Uint8Array(tf.io.concatenateArrayBuffers(parts));
}

/**
 * An IO handler for a local directory (save) or `model.json` path (load).
 * @param url `file://dir` or `file://dir/model.json`.
 */
export function fileHandler(url: string): tf.io.IOHandler {
  const fn = 'fileHandler';
  const target = url.slice(SCHEME.length);
  const path = nodeBuiltin<typeof Path>('node:path', fn, target);
  const jsonPath = target.endsWith('.json') ? target : path.join(target, 'model.json');
  const dir = path.dirname(jsonPath);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const fs = nodeFs('model.save', dir);
      await fs.mkdir(dir, { recursive: true });
      const weights = joinWeights(artifacts.weightData);
      const manifest: tf.io.WeightsManifestConfig = [
        { paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] },
      ];
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_core}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: manifest,
      };
      if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature !== undefined) json.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata !== undefined)
        json.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer !== undefined) json.modelInitializer = artifacts.modelInitializer;
      await writeAtomic(path.join(dir, WEIGHTS_FILE), weights, 'model.save');
      await writeAtomic(jsonPath, JSON.stringify(json), 'model.save');
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const fs = nodeFs('loadLayersModel', jsonPath);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(
          `loadLayersModel: ${jsonPath}: expected a TF.js model.json (${(e as Error).message})`,
        );
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = await fs.readFile(path.join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

type Router = Parameters<typeof tf.io.registerSaveRouter>[0];

// TF.js asks every router and takes the non-null answers.
const router = ((url: string | string[]): tf.io.IOHandler | null => {
  if (Array.isArray(url) || !url.startsWith(SCHEME) || !isNode()) return null;
  return fileHandler(url);
}) as Router;

let registered = false;

/**
 * Registers the `file://` save and load routers with TF.js, once, in Node, unless another
 * `file://` handler (tfjs-node's) is registered. medinets calls it on import.
 */
export function registerFileRouter(): void {
  if (registered || !isNode()) return;
  registered = true;
  if (tf.io.getSaveHandlers('file://probe').length > 0) return;
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
}
