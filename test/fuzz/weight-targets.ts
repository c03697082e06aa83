// The weight readers' fuzz targets (issue 18 item 4): PyTorch checkpoints (zip and legacy
// pickle), safetensors and Keras HDF5, mutated from the real fixtures that torch, the
// safetensors package and h5py wrote (test/fixtures/weights/make_*.py). Each reader is called as
// loadWeights calls it, so the messages checked are the ones a user sees.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKerasH5 } from '../../src/weights/keras-h5';
import { readSafetensors } from '../../src/weights/safetensors';
import { readTorch } from '../../src/weights/torch';
import type { FuzzTarget } from './mutate';

const FIX = fileURLToPath(new URL('../fixtures/weights', import.meta.url));
const read = (f: string): { name: string; bytes: Uint8Array } => ({
  name: f,
  bytes: new Uint8Array(readFileSync(join(FIX, f))),
});

// Numbers a lying safetensors header claims: sizes that overflow int32, float64 integers,
// negative, fractional and huge values.
const JSON_LIES = [
  '0',
  '-1',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '1e300',
  '1.5',
  '"4"',
  'null',
  '[]',
];

/**
 * Variants of a safetensors file whose JSON header lies (each number in turn replaced by one of
 * {@link JSON_LIES}, the 8-byte length rewritten to match), so that lies reach the reader's
 * shape and offset checks instead of stopping at a JSON syntax error.
 */
function lyingSafetensors(seed: { name: string; bytes: Uint8Array }): { name: string; bytes: Uint8Array }[] {
  const view = new DataView(seed.bytes.buffer, seed.bytes.byteOffset, seed.bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = new TextDecoder().decode(seed.bytes.subarray(8, 8 + n));
  const data = seed.bytes.subarray(8 + n);
  const out: { name: string; bytes: Uint8Array }[] = [];
  const numbers = [...header.matchAll(/-?\d+/g)];
  numbers.forEach((m, k) => {
    const lie = JSON_LIES[k % JSON_LIES.length] as string;
    const text = header.slice(0, m.index) + lie + header.slice((m.index ?? 0) + m[0].length);
    const h = new TextEncoder().encode(text);
    const b = new Uint8Array(8 + h.length + data.length);
    new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
    b.set(h, 8);
    b.set(data, 8 + h.length);
    out.push({ name: `${seed.name} (number ${k} -> ${lie})`, bytes: b });
  });
  return out;
}

/** The weight readers of issue 15, the three binary formats. */
export function weightTargets(): FuzzTarget[] {
  const files = readdirSync(FIX);
  const torch = files.filter((f) => f.endsWith('.pth') && f !== 'evil_global.pth').map(read);
  const st = files.filter((f) => f.endsWith('.safetensors')).map(read);
  const h5 = files.filter((f) => f.endsWith('.h5')).map(read);
  return [
    {
      label: '.pth',
      seeds: torch,
      decode: (b) => readTorch(b, 'fuzz.pth', 'loadWeights'),
      errorPrefix: /^loadWeights: fuzz\.pth: (?=\S)/,
    },
    {
      label: 'safetensors',
      // the 8-byte header length is the field worth lying in
      seeds: [...st, ...st.flatMap(lyingSafetensors)].map((s) => ({
        ...s,
        hotspots: [0, 1, 2, 3, 4, 5, 6, 7],
      })),
      decode: (b) => readSafetensors(b, 'fuzz.safetensors', 'loadWeights'),
      errorPrefix: /^loadWeights: fuzz\.safetensors: (?=\S)/,
    },
    {
      label: '.h5',
      seeds: h5,
      decode: (b) => readKerasH5(b, 'fuzz.h5', 'loadWeights'),
      errorPrefix: /^loadWeights: fuzz\.h5: (?=\S)/,
    },
  ];
}
