/**
 * A real head CT (InVesalius' `Cranium.inv3`, Debian package `invesalius-examples`, GPL-2:
 * installed at run time, never committed): read the volume in Hounsfield units, show it in the
 * brain and bone windows, train a small CNN to tell skull-base slices from cranial-vault slices
 * (split by slab), and draw Grad-CAM overlays of what it looks at.
 *
 *   sudo apt-get install invesalius-examples
 *   npx tsx examples/real-head-ct/index.ts                 # quick
 *   npx tsx examples/real-head-ct/index.ts --data path/to/Cranium.inv3
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ctWindow, flip } from 'medinets/augment';
import { gradCam, overlayHeatmap } from 'medinets/explain';
import { buildModel } from 'medinets/models';
import { imageGrid, saveFigure } from 'medinets/plot';
import { fitWithMixing, type BatchMixer } from 'medinets/train';
import { parseExampleArgs, type ExampleArgs } from '../common/cli';
import { evaluateBinary, oneHot, subset, disposeSplit, type Split } from '../common/classify';
import { writeReport, textTable, type ReportTable } from '../common/report';
import { initBackend, seconds } from '../common/setup';
import { readInv3 } from './inv3';

/** Where Debian's invesalius-examples puts the project. */
export const CRANIUM = '/usr/share/doc/invesalius-examples/examples/Cranium.inv3';

/** Brain and bone windows (centre / width in HU), as radiology references give them. */
export const WINDOWS = {
  brain: { center: 40, width: 80 },
  bone: { center: 400, width: 1800 },
} as const;

function locate(args: ExampleArgs): string {
  const path = args.data ?? CRANIUM;
  if (!existsSync(path)) {
    throw new Error(
      `real-head-ct: ${path} not found; install Debian's invesalius-examples (apt-get install invesalius-examples) or pass --data path/to/Cranium.inv3`,
    );
  }
  return path;
}

/** Slab-wise split: blocks of `slab` consecutive slices cycle through train, train, val, test. */
function slabSplit(indices: number[], slab: number): { train: number[]; val: number[]; test: number[] } {
  const out = { train: [] as number[], val: [] as number[], test: [] as number[] };
  const cycle = ['train', 'train', 'val', 'test'] as const;
  for (const i of indices) out[cycle[Math.floor(i / slab) % cycle.length] as 'train'].push(i);
  return out;
}

const augment: BatchMixer = (x, y, seed) =>
  tf.tidy(() => ({ x: flip(x as tf.Tensor4D, { mode: 'horizontal', seed }), y: tf.clone(y) }));

export async function main(args: ExampleArgs): Promise<{ table: ReportTable }> {
  const t0 = performance.now();
  const backend = await initBackend(args);
  const vol = readInv3(locate(args));
  const [nz, rows, cols] = vol.shape;
  const size = args.size ?? (args.mode === 'smoke' ? 32 : 64);
  const epochs = args.epochs ?? (args.mode === 'smoke' ? 1 : 15);
  console.log(
    `real-head-ct (${args.mode}): ${vol.name}, ${vol.modality} [${vol.shape.join(', ')}], spacing ${vol.spacing.map((s) => s.toFixed(2)).join(' x ')} mm`,
  );
  const hu = tf.tensor4d(Float32Array.from(vol.hu), [nz, rows, cols, 1]);
  const timings: Record<string, number> = { read: seconds(t0) };

  // 1. Windowing: the same slices in the raw range, the brain window and the bone window.
  const show = [Math.round(nz * 0.15), Math.round(nz * 0.4), Math.round(nz * 0.65)];
  const cells = [];
  for (const z of show) {
    const s = tf.slice(hu, [z, 0, 0, 0], [1, -1, -1, -1]);
    const views = [
      ['raw -1024..3071 HU', ctWindow(s, { center: 1023.5, width: 4095 })],
      ['brain 40/80', ctWindow(s, WINDOWS.brain)],
      ['bone 400/1800', ctWindow(s, WINDOWS.bone)],
    ] as const;
    for (const [caption, v] of views) {
      cells.push({ pixels: tf.reshape(v, [rows, cols, 1]) as tf.Tensor3D, caption: `z ${z}: ${caption}` });
      v.dispose();
    }
    s.dispose();
  }
  const figures = [
    await saveFigure(
      imageGrid({ title: `${vol.name}: CT windows`, images: cells, columns: 3, cellSize: 192 }),
      join(args.outDir, 'windows.png'),
    ),
  ];
  tf.dispose(cells.map((c) => c.pixels));

  // 2. A task with real anatomy to explain: skull base (lower slices) vs cranial vault (upper),
  //    on bone-window slices that contain the head, split by slabs of 6 slices.
  const x = tf.tidy(() => tf.image.resizeBilinear(ctWindow(hu, WINDOWS.bone), [size, size], false, true));
  const tissue = tf.tidy(() =>
    Array.from(tf.mean(tf.cast(tf.greater(hu, -300), 'float32'), [1, 2, 3]).dataSync()),
  );
  hu.dispose();
  const head = tissue.flatMap((f, z) => (f > 0.05 ? [z] : []));
  const mid = head[Math.floor(head.length / 2)] as number;
  const all: Split = { x, labels: Int32Array.from({ length: nz }, (_, z) => (z < mid ? 1 : 0)) };
  const sp = slabSplit(head, 6);
  const [train, val, test] = [subset(all, sp.train), subset(all, sp.val), subset(all, sp.test)];
  disposeSplit(all);
  const model = buildModel('SimpleCNN', { inputShape: [size, size, 1], classes: 2, seed: args.seed });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const y = oneHot(train.labels, 2);
  const yv = oneHot(val.labels, 2);
  const t1 = performance.now();
  await fitWithMixing(model, train.x, y, {
    epochs,
    batchSize: 16,
    seed: args.seed,
    mixer: augment,
    validationData: [val.x, yv],
  });
  timings.train = seconds(t1);
  tf.dispose([y, yv]);
  const ev = evaluateBinary(model, test, 'SimpleCNN');
  const table: ReportTable = {
    header: ['model', 'train / val / test slices', 'accuracy', 'F1', 'AUC'],
    rows: [
      [
        'SimpleCNN',
        `${train.labels.length} / ${val.labels.length} / ${test.labels.length}`,
        ev.metrics.accuracy ?? NaN,
        ev.metrics.f1 ?? NaN,
        ev.metrics.auc ?? NaN,
      ],
    ],
  };

  // 3. Grad-CAM (default layer) on test slices of both classes.
  const pick = [0, 1].flatMap((c) =>
    Array.from(test.labels.keys())
      .filter((i) => test.labels[i] === c)
      .slice(0, 3),
  );
  const sample = subset(test, pick);
  const maps = gradCam(model, sample.x);
  const overlays = [];
  for (let i = 0; i < pick.length; i++) {
    const img = tf.tidy(() => tf.reshape(tf.slice(sample.x, [i, 0, 0, 0], [1, -1, -1, -1]), [size, size, 1]));
    const hm = tf.tidy(() => tf.reshape(tf.slice(maps, [i, 0, 0], [1, -1, -1]), [size, size]));
    const rgba = overlayHeatmap(img, hm, { colormap: 'jet', alpha: 0.45 });
    tf.dispose([img, hm]);
    overlays.push({
      pixels: { width: rgba.width, height: rgba.height, channels: 4 as const, data: rgba.data },
      caption: `${sample.labels[i] === 1 ? 'skull base' : 'vault'} (test #${pick[i]})`,
    });
  }
  tf.dispose(maps);
  disposeSplit(sample);
  figures.push(
    await saveFigure(
      imageGrid({ title: 'SimpleCNN: Grad-CAM, bone window', images: overlays, columns: 3, cellSize: 160 }),
      join(args.outDir, 'gradcam.png'),
    ),
  );
  timings.total = seconds(t0);
  const reportPath = writeReport(args.outDir, {
    title: 'A real head CT: windowing and Grad-CAM',
    summary: `${vol.name} (InVesalius example, ${nz} slices of ${rows}x${cols}) read from ${locate(args)}; brain and bone windows; a SimpleCNN telling skull-base from cranial-vault slices, split by slabs of 6 slices, explained with Grad-CAM.`,
    settings: {
      backend: backend.backend,
      mode: args.mode,
      windows: 'brain 40/80 HU, bone 400/1800 HU (centre/width)',
      'input size': `${size}x${size}x1, bone window -> [0, 1]`,
      labels: `1 = slice below the middle of the head (z < ${mid}), 0 = above`,
      epochs,
      seed: args.seed,
    },
    tables: [{ caption: 'Test slices', table }],
    timings,
    figures,
    notes: [
      'Cranium.inv3 is GPL-2 (Debian invesalius-examples); it is read from the installed package and never copied into the repository.',
    ],
  });
  console.log(`\n${textTable(table)}\n\nreport: ${reportPath}`);
  model.optimizer?.dispose();
  model.dispose();
  for (const s of [train, val, test]) disposeSplit(s);
  return { table };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(parseExampleArgs('real-head-ct'));
}
