/**
 * Turns a file's tensors into candidates keyed by our layer and weight names
 * (`conv1_conv/kernel`), picking the name map that fits the model best and noting each
 * tensor's layout so the loader can convert it once it knows the target layer.
 */
import { mapKerasLayerNames } from './keras-names';
import type { RawTensor } from './raw';
import type { ReadWeights } from './read';
import { renameLegacyDenseNet, TORCH_MAPS } from './torch-names';

/** A file tensor bound for one weight of the model. */
export interface Candidate {
  /** The tensor's name in the file. */
  from: string;
  raw: RawTensor;
  /** `'torch'`: OIHW / `[out, in]`, still to be transposed; `'keras'`: already TF.js layout. */
  layout: 'torch' | 'keras';
}

/** The candidates, the file tensors no map placed, and the map used. */
export interface Candidates {
  byName: Map<string, Candidate>;
  /** File tensors without a place in the model (unmapped names, torch's counters). */
  unplaced: string[];
  /** The name map used: a torch family, `'keras'` (names as they are), `'keras 2.2 auto-names'` or `'keras 3 names'`. */
  map: string;
  /** The first feature channels of a torchvision VGG classifier (for its flatten reorder). */
  vggChannels?: number;
}

// PyTorch BatchNorm parameter -> Keras weight.
const BN: Record<string, string> = {
  weight: 'gamma',
  bias: 'beta',
  running_mean: 'moving_mean',
  running_var: 'moving_variance',
};

function splitKey(key: string, sep: string): [string, string] {
  const i = key.lastIndexOf(sep);
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

function fromTorch(read: ReadWeights, layerNames: Set<string>): Candidates {
  const keys = new Map<string, string>(); // renamed key -> file key
  for (const k of read.weights.keys()) keys.set(renameLegacyDenseNet(k), k);
  const modules = [...new Set([...keys.keys()].map((k) => splitKey(k, '.')[0]))];
  let best = { name: '', hits: 0 };
  for (const [name, map] of Object.entries(TORCH_MAPS)) {
    const hits = modules.filter((m) => {
      const layer = map(m, modules);
      return layer !== undefined && layerNames.has(layer);
    }).length;
    if (hits > best.hits) best = { name, hits };
  }
  const out: Candidates = { byName: new Map(), unplaced: [], map: best.name || 'none' };
  const map = TORCH_MAPS[best.name];
  const bnModules = new Set(modules.filter((m) => keys.has(`${m}.running_mean`)));
  for (const [key, fileKey] of keys) {
    const [module, param] = splitKey(key, '.');
    const layer = map?.(module, modules);
    const bn = bnModules.has(module);
    const weight = bn ? BN[param] : ({ weight: 'kernel', bias: 'bias' } as Record<string, string>)[param];
    if (layer === undefined || weight === undefined) {
      out.unplaced.push(fileKey);
      continue;
    }
    out.byName.set(`${layer}/${weight}`, {
      from: fileKey,
      raw: read.weights.get(fileKey) as RawTensor,
      layout: 'torch',
    });
  }
  if (best.name === 'torchvision vgg') {
    const convs = modules.filter(
      (m) => /^features\.\d+$/.test(m) && read.weights.get(`${m}.weight`)?.shape.length === 4,
    );
    const last = convs.sort((a, b) => +a.slice(9) - +b.slice(9)).pop();
    out.vggChannels = last === undefined ? undefined : read.weights.get(`${last}.weight`)?.shape[0];
  }
  return out;
}

// Keras 3 refuses '/' in layer names and writes Keras 2's `conv1/conv` (DenseNet) as
// `conv1_conv`: the model's slashed names, with '_' for '/', where that is unambiguous.
function keras3Aliases(layerNames: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of layerNames) {
    if (!n.includes('/')) continue;
    const alias = n.replaceAll('/', '_');
    if (layerNames.has(alias) || taken.has(alias)) out.delete(alias);
    else out.set(alias, n);
    taken.add(alias);
  }
  return out;
}

// Which name map a Keras file needs: Keras 3's unslashed aliases when the file uses them,
// Keras 2.2's auto-names when renaming places more layers than the names as they are, else none.
function kerasNameMap(
  fileLayers: Set<string>,
  layerNames: Set<string>,
): { map: string; ours: (layer: string) => string } {
  const aliases = keras3Aliases(layerNames);
  if (aliases.size > 0 && [...fileLayers].some((l) => aliases.has(l)))
    return { map: 'keras 3 names', ours: (l) => aliases.get(l) ?? l };
  const direct = [...fileLayers].filter((l) => layerNames.has(l)).length;
  const renamed = mapKerasLayerNames(fileLayers, layerNames);
  const hits = [...renamed.values()].filter((l) => layerNames.has(l)).length;
  // Only rename when that places more layers: a file of the model's own names stays as it is.
  if (hits > direct) return { map: 'keras 2.2 auto-names', ours: (l) => renamed.get(l) ?? l };
  return { map: 'keras', ours: (l) => l };
}

function fromKeras(read: ReadWeights, layerNames: Set<string>): Candidates {
  const fileLayers = new Set([...read.weights.keys()].map((k) => splitKey(k, '/')[0]));
  const { map, ours } = kerasNameMap(fileLayers, layerNames);
  const out: Candidates = { byName: new Map(), unplaced: [], map };
  for (const [key, raw] of read.weights) {
    const [layer, weight] = splitKey(key, '/');
    const name = ours(layer);
    if (layerNames.has(name)) out.byName.set(`${name}/${weight}`, { from: key, raw, layout: 'keras' });
    else out.unplaced.push(key);
  }
  return out;
}

/**
 * Places a file's tensors onto the model's layer names.
 * @param read What the reader returned.
 * @param layerNames The model's layer names with weights, prefix removed.
 */
export function placeWeights(read: ReadWeights, layerNames: Set<string>): Candidates {
  return read.format === 'torch' || read.format === 'safetensors'
    ? fromTorch(read, layerNames)
    : fromKeras(read, layerNames);
}
