// The viewer page: open or drop DICOM / PNG / JPEG files, window them, run a model and show
// its class probabilities and a Grad-CAM overlay. Everything runs in the page.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { buildModel, heatmapToRgba, setupBackend, type BackendName } from 'medinets';
import {
  PRESETS,
  applyWindow,
  camMap,
  decodeFile,
  inputWindow,
  probabilities,
  toInput,
  type Loaded,
  type ViewWindow,
} from './predict';

setWasmPaths('./');

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const view = $<HTMLCanvasElement>('view');
const overlay = $<HTMLCanvasElement>('overlay');
const status = $<HTMLDivElement>('status');
let image: Loaded | null = null;
let win: ViewWindow = PRESETS.lung;
let model: tfl.LayersModel | null = null;
let labels: string[] = [];

function say(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : '';
}

function draw(): void {
  if (!image) return;
  const { rows, cols } = image;
  view.width = cols;
  view.height = rows;
  const v = applyWindow(image.pixels, win);
  const rgba = new ImageData(cols, rows);
  for (let i = 0; i < v.length; i++) {
    const g = Math.round((v[i] as number) * 255);
    rgba.data.set([g, g, g, 255], i * 4);
  }
  (view.getContext('2d') as CanvasRenderingContext2D).putImageData(rgba, 0, 0);
  $('wl').textContent = `W ${Math.round(win.width)} / L ${Math.round(win.center)}`;
}

async function loadModel(): Promise<void> {
  const source = $<HTMLSelectElement>('model-source').value;
  model?.dispose();
  model = null;
  if (source === 'url') {
    model = await tfl.loadLayersModel($<HTMLInputElement>('model-url').value);
    labels = [];
  } else if (source === 'file') {
    const files = Array.from($<HTMLInputElement>('model-files').files ?? []);
    const json = files.find((f) => f.name.endsWith('.json'));
    if (!json) throw new Error('choose the model.json file and its weight files together');
    model = await tfl.loadLayersModel(tf.io.browserFiles([json, ...files.filter((f) => f !== json)]));
    labels = [];
  } else {
    const config = (await (await fetch('./config.json')).json()) as { demoModel?: boolean };
    if (config.demoModel) {
      model = await tfl.loadLayersModel('./model/model.json');
      labels = ['normal', 'covid'];
    } else {
      // Not trained yet (npx tsx examples/viewer/train-model.ts): the same net, seeded weights.
      model = buildModel('DResUNet', {
        inputShape: [64, 64, 1],
        classes: 2,
        filters: 4,
        dropout: 0,
        seed: 7,
      });
      labels = ['class 0 (untrained)', 'class 1 (untrained)'];
    }
  }
  const n = (model.outputs[0]?.shape.at(-1) as number) ?? 0;
  if (labels.length !== n) labels = Array.from({ length: n }, (_, i) => `class ${i}`);
}

async function predictOne(img: Loaded): Promise<{ probs: Float32Array; ms: number; x: tf.Tensor4D }> {
  if (!model) await loadModel();
  const m = model as tfl.LayersModel;
  const [, h, w, c] = m.inputs[0]?.shape ?? [];
  if (typeof h !== 'number' || typeof w !== 'number' || (c !== 1 && c !== 3)) {
    throw new Error(
      `the model's input is ${JSON.stringify(m.inputs[0]?.shape)}; expected [null, h, w, 1 or 3]`,
    );
  }
  const x = toInput(img.pixels, img.rows, img.cols, inputWindow(img), h, w, c);
  const t0 = performance.now();
  const probs = probabilities(m, x);
  return { probs, ms: performance.now() - t0, x };
}

async function run(): Promise<void> {
  if (!image) return say('open an image first', true);
  const { probs, ms, x } = await predictOne(image);
  const best = probs.indexOf(Math.max(...probs));
  $('probs').innerHTML = Array.from(probs)
    .map(
      (p, i) => `<tr${i === best ? ' class="best"' : ''}><td>${labels[i]}</td><td>${p.toFixed(4)}</td></tr>`,
    )
    .join('');
  $('time').textContent = `${ms.toFixed(1)} ms per prediction on ${tf.getBackend()}`;
  const map = camMap(model as tfl.LayersModel, x, best);
  const rgba = heatmapToRgba(map);
  tf.dispose([x, map]);
  const small = document.createElement('canvas');
  small.width = rgba.width;
  small.height = rgba.height;
  (small.getContext('2d') as CanvasRenderingContext2D).putImageData(
    new ImageData(rgba.data, rgba.width, rgba.height),
    0,
    0,
  );
  overlay.width = image.cols;
  overlay.height = image.rows;
  const ctx = overlay.getContext('2d') as CanvasRenderingContext2D;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, image.cols, image.rows);
  (globalThis as { __viewer?: unknown }).__viewer = {
    probs: Array.from(probs),
    backend: tf.getBackend(),
    ms,
  };
  say(`${image.name}: ${labels[best]}`);
}

async function open(file: File): Promise<void> {
  try {
    image = decodeFile(file.name, new Uint8Array(await file.arrayBuffer()));
    win = { ...image.window };
    (overlay.getContext('2d') as CanvasRenderingContext2D).clearRect(0, 0, overlay.width, overlay.height);
    $('probs').innerHTML = '';
    $('time').textContent = '';
    draw();
    say(`${file.name}: ${image.cols} x ${image.rows}, ${image.note}`);
  } catch (err) {
    say(`Cannot read ${file.name}: ${err instanceof Error ? err.message : String(err)}`, true);
  }
}

async function batch(files: File[]): Promise<void> {
  const rows: string[] = [];
  if (!model) await loadModel();
  for (const [i, f] of files.entries()) {
    say(`batch: ${i + 1} / ${files.length}`);
    try {
      const img = decodeFile(f.name, new Uint8Array(await f.arrayBuffer()));
      const { probs, ms, x } = await predictOne(img);
      x.dispose();
      rows.push(
        [JSON.stringify(f.name), ...Array.from(probs, (p) => p.toFixed(6)), ms.toFixed(1), ''].join(','),
      );
    } catch (err) {
      rows.push([JSON.stringify(f.name), ...labels.map(() => ''), '', JSON.stringify(String(err))].join(','));
    }
  }
  const csv = [['file', ...labels, 'ms', 'error'].join(','), ...rows].join('\n') + '\n';
  const a = $<HTMLAnchorElement>('csv');
  a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  a.hidden = false;
  (globalThis as { __viewerCsv?: string }).__viewerCsv = csv;
  const failed = rows.filter((r) => !r.endsWith(',')).length;
  say(`batch: ${files.length} files${failed ? `, ${failed} unreadable (see the CSV)` : ''}`);
}

/** Runs `task`; whatever it throws becomes the status line, never a dead page. */
function guard(task: () => Promise<unknown>): void {
  task().catch((err: unknown) => say(err instanceof Error ? err.message : String(err), true));
}

async function useBackend(prefer?: BackendName): Promise<void> {
  // WebGPU is registered only when picked: registered at load it would be setupBackend's first
  // choice wherever navigator.gpu exists, and headless Chromium's software adapter stalls the
  // page's webgl there.
  if (prefer === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  const r = await setupBackend(prefer ? { prefer } : {});
  $<HTMLSelectElement>('backend').value = r.backend;
  $('backend-info').textContent = `${r.backend}${r.threads > 1 ? `, ${r.threads} threads` : ''}`;
  (globalThis as { __viewerBackend?: unknown }).__viewerBackend = {
    backend: r.backend,
    threads: r.threads,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
}

function wire(): void {
  $<HTMLInputElement>('file').onchange = (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) guard(() => open(f));
  };
  document.body.ondragover = (e) => e.preventDefault();
  document.body.ondrop = (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files[0];
    if (f) guard(() => open(f));
  };
  $('sample').onclick = () =>
    guard(async () => {
      const res = await fetch('./sample.dcm');
      if (!res.ok) throw new Error(`the sample is missing (${res.status})`);
      await open(new File([await res.arrayBuffer()], 'sample.dcm'));
    });
  for (const [name, w] of Object.entries(PRESETS)) {
    $(`preset-${name}`).onclick = () => {
      win = { ...w };
      draw();
    };
  }
  let drag: { x: number; y: number; w: ViewWindow } | null = null;
  view.parentElement!.onmousedown = (e) => (drag = { x: e.clientX, y: e.clientY, w: { ...win } });
  window.onmouseup = () => (drag = null);
  window.onmousemove = (e) => {
    if (!drag) return;
    // Steps scale with the window, so an 8-bit image and a 4000 HU CT drag alike.
    const step = Math.max(drag.w.width, 1) / 256;
    win = {
      width: Math.max(1, drag.w.width + (e.clientX - drag.x) * step * 2),
      center: drag.w.center + (e.clientY - drag.y) * step,
    };
    draw();
  };
  $<HTMLInputElement>('opacity').oninput = (e) =>
    (overlay.style.opacity = (e.target as HTMLInputElement).value);
  $('run').onclick = () => guard(run);
  const dropModel = (): void => {
    model?.dispose();
    model = null;
  };
  $<HTMLSelectElement>('model-source').onchange = dropModel;
  $<HTMLInputElement>('model-url').onchange = dropModel;
  $<HTMLInputElement>('model-files').onchange = dropModel;
  $<HTMLSelectElement>('backend').onchange = (e) =>
    guard(() => useBackend((e.target as HTMLSelectElement).value as BackendName));
  $<HTMLInputElement>('batch').onchange = (e) =>
    guard(() => batch(Array.from((e.target as HTMLInputElement).files ?? [])));
}

async function main(): Promise<void> {
  wire();
  // Offered only where WebGPU has an adapter (headless Chromium has navigator.gpu but none).
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  $<HTMLOptionElement>('backend-webgpu').disabled = adapter == null;
  const params = new URLSearchParams(location.search);
  await useBackend((params.get('backend') as BackendName | null) ?? undefined);
  say('ready: open or drop a DICOM, PNG or JPEG file, or load the sample');
  (globalThis as { __viewerReady?: boolean }).__viewerReady = true;
}

main().catch((err) => say(String(err), true));
