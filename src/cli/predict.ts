/**
 * `medinets predict runs/NAME FILE...`: class probabilities of images (DICOM, PNG, JPEG, or the
 * middle slice of a NIfTI volume), optionally with a Grad-CAM overlay per file.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FileDataset, niftiToSlices, readNifti } from '../data';
import { gradCam, saveHeatmapPng } from '../explain';
import { type CliIO, type FlagTable, UsageError, num, parseFlags, str } from './args';
import { argmax, predictProbs } from './assess';
import { type RunConfig, loadRunModel, readRunConfig } from './run-dir';

const FLAGS: FlagTable = {
  gradcam: { type: 'string' },
  json: { type: 'boolean' },
  slice: { type: 'string' },
};

/** `medinets predict --help`. */
export const PREDICT_HELP = `usage: medinets predict RUN FILE... [--gradcam DIR] [--json] [--slice N]

Classify images with a run's best checkpoint. FILE may be DICOM (.dcm), PNG, JPEG or NIfTI
(.nii, .nii.gz: one axial slice, the middle one unless --slice). Images are read as in
training (resized to the run's size; PNG/JPEG scaled to [0, 1]; NIfTI slices min-max scaled).

  RUN             a folder written by medinets train
  --gradcam DIR   write a Grad-CAM overlay of the predicted class per file, DIR/<file>.gradcam.png
  --json          print one JSON array instead of a table
  --slice N       the NIfTI slice index (default: the middle slice)
  -h, --help      this text`;

/** One image as the network sees it: `[1, size, size, channels]`. */
async function readInput(file: string, cfg: RunConfig, slice: number | undefined): Promise<tf.Tensor4D> {
  if (/\.nii(\.gz)?$/i.test(file)) {
    const vol = niftiToSlices(await readNifti(file));
    const nz = vol.shape[0];
    const k = slice ?? Math.floor(nz / 2);
    if (k >= nz) {
      vol.dispose();
      throw new UsageError(`medinets predict: --slice ${k} is beyond ${file}'s ${nz} slices`);
    }
    return tf.tidy(() => {
      const s = tf.slice(vol, [k, 0, 0, 0], [1, -1, -1, -1]);
      vol.dispose();
      const lo = tf.min(s);
      const range = tf.maximum(tf.sub(tf.max(s), lo), 1e-6);
      let x = tf.div(tf.sub(s, lo), range) as tf.Tensor4D;
      x = tf.image.resizeBilinear(x, [cfg.size, cfg.size], false, true);
      return cfg.channels === 3 ? (tf.tile(x, [1, 1, 1, 3]) as tf.Tensor4D) : x;
    });
  }
  // The training reader, so PNG, JPEG and DICOM go through exactly the same decoding and resize.
  const ds = new FileDataset([{ path: file, label: 0 }], ['?'], file);
  for await (const b of ds.batches({
    size: cfg.size,
    channels: cfg.channels,
    batchSize: 1,
    shuffle: false,
  })) {
    b.ys.dispose();
    return b.xs;
  }
  throw new Error(`medinets predict: could not read ${file}`);
}

/** Run `medinets predict`; returns the exit code. */
export async function predict(argv: string[], io: CliIO): Promise<number> {
  const p = parseFlags('predict', argv, FLAGS, true);
  if (p.values.help) {
    io.out(PREDICT_HELP);
    return 0;
  }
  const [runArg, ...files] = p.positionals;
  if (runArg === undefined || files.length === 0) {
    throw new UsageError('medinets predict: expected a run folder and at least one image file');
  }
  const run = resolve(runArg);
  const cfg = readRunConfig(run, 'predict');
  const camDir = str(p, 'gradcam');
  const slice =
    p.values.slice === undefined
      ? undefined
      : num('predict', p, 'slice', 0, { lo: 0, hi: 1e6, integer: true });
  if (camDir) mkdirSync(camDir, { recursive: true });
  const model = await loadRunModel(run, 'predict');
  const results: Array<{
    file: string;
    class: string;
    label: number;
    probabilities: Record<string, number>;
    gradcam?: string;
  }> = [];
  try {
    for (const file of files) {
      const x = await readInput(resolve(file), cfg, slice);
      try {
        const probs = predictProbs(model, x)[0] as number[];
        const label = argmax(probs);
        const r: (typeof results)[number] = {
          file,
          class: cfg.classes[label] ?? String(label),
          label,
          probabilities: Object.fromEntries(cfg.classes.map((c, i) => [c, probs[i] as number])),
        };
        if (camDir) {
          const map = gradCam(model, x, { targets: label });
          const path = join(camDir, `${basename(file).replace(/\.(nii\.gz|[a-z0-9]+)$/i, '')}.gradcam.png`);
          await saveHeatmapPng(path, x, map);
          map.dispose();
          r.gradcam = path;
        }
        results.push(r);
      } finally {
        x.dispose();
      }
    }
  } finally {
    model.dispose();
  }
  if (p.values.json) io.out(JSON.stringify(results, null, 2));
  else {
    for (const r of results) {
      const pr = (r.probabilities[r.class] as number).toFixed(4);
      io.out(`${r.file}\t${r.class}\tp=${pr}${r.gradcam ? `\t${r.gradcam}` : ''}`);
    }
  }
  return 0;
}
