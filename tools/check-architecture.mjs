// Architecture checks run by CI (see ARCHITECTURE.md):
//  1. no import circles between the files of src/ (type-only imports count: a circle of
//     types is still two files that cannot be read apart);
//  2. the folder flow is one-way: a folder imports only the folders below it in LAYERS;
//  3. no source file over 400 lines.
// Prints what it finds and exits 1 on any violation.
import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const MAX_LINES = 400;

/**
 * Each folder may import from itself and from the folders listed for it. Folders not
 * listed here fail the check until someone decides where they sit.
 */
const MAY_IMPORT = {
  util: [],
  backend: ['util'],
  metrics: ['util'],
  // plot: metrics' auc for ROC legends; data's PNG encoder for images in figures and the bitmap renderer.
  plot: ['util', 'metrics', 'data'],
  layers: ['util', 'backend'],
  blocks: ['util', 'layers'],
  data: ['util'],
  augment: ['util', 'data'],
  weights: ['util', 'layers', 'blocks'],
  models: ['util', 'layers', 'blocks', 'weights'],
  explain: ['util', 'models', 'layers', 'plot', 'data'],
  train: ['util', 'metrics', 'plot', 'models', 'layers', 'augment', 'data'],
  node: [
    'util',
    'backend',
    'layers',
    'blocks',
    'models',
    'weights',
    'data',
    'augment',
    'metrics',
    'explain',
    'train',
    'plot',
  ],
  cli: [
    'util',
    'backend',
    'layers',
    'blocks',
    'models',
    'weights',
    'data',
    'augment',
    'metrics',
    'explain',
    'train',
    'plot',
    'node',
  ],
};

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|mts|cts)$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

const files = walk(src);
const options = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowJs: false,
};
const host = ts.createCompilerHost(options);
const graph = new Map();
const problems = [];

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_LINES) problems.push(`${relative(root, file)}: ${lines} lines (over ${MAX_LINES})`);
  const info = ts.preProcessFile(text, true, true);
  const deps = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const r = ts.resolveModuleName(ref.fileName, file, options, host).resolvedModule;
    if (!r || !r.resolvedFileName.startsWith(src)) continue;
    deps.push(resolve(r.resolvedFileName));
  }
  graph.set(resolve(file), deps);
}

const folderOf = (f) => {
  const rel = relative(src, f).split('/');
  return rel.length === 1 ? '.' : rel[0];
};
for (const [file, deps] of graph) {
  const from = folderOf(file);
  if (from === '.') continue; // src/index.ts re-exports everything
  const allowed = MAY_IMPORT[from];
  if (!allowed) {
    problems.push(
      `${relative(root, file)}: folder '${from}' has no place in MAY_IMPORT (tools/check-architecture.mjs)`,
    );
    continue;
  }
  for (const d of deps) {
    const to = folderOf(d);
    if (to !== from && !allowed.includes(to)) {
      problems.push(`${relative(root, file)} imports ${relative(root, d)}: '${from}' may not import '${to}'`);
    }
  }
}

// Tarjan's strongly connected components: every component of more than one file is a circle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const circles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) circles.push(comp.map((f) => relative(root, f)).sort());
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);
for (const c of circles) problems.push(`import circle: ${c.join(' <-> ')}`);

console.log(
  `check-architecture: ${files.length} files, ${circles.length} import circles, ${problems.length} problems`,
);
for (const p of problems) console.log(`  ${p}`);
if (problems.length) process.exitCode = 1;
