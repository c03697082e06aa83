// A class-per-folder dataset of CT phantom PNGs on disk, as a user's data would be.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctPhantomArrays, encodePng } from '../../src/data';

/** Write `n` phantom slices (`size` px) to `dir/{normal,opacity}/NNN.png`; returns the labels. */
export function writePhantomFolder(dir: string, n: number, size: number, seed: number): Int32Array {
  const a = ctPhantomArrays({ n, size, seed, difficulty: 'easy' });
  const names = ['normal', 'opacity'];
  for (const c of names) mkdirSync(join(dir, c), { recursive: true });
  const px = size * size;
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(px);
    // Lung window: -1000 HU -> 0, +200 HU -> 255.
    for (let p = 0; p < px; p++)
      data[p] = Math.max(0, Math.min(255, Math.round(((a.images[i * px + p]! + 1000) / 1200) * 255)));
    const png = encodePng({ width: size, height: size, channels: 1, data });
    writeFileSync(join(dir, names[a.labels[i]!]!, `${String(i).padStart(3, '0')}.png`), png);
  }
  return a.labels;
}
