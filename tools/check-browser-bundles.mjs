#!/usr/bin/env node
// Bundles `import * as m from 'medinets'` and every subpath of package.json's `exports` for
// the browser with esbuild, Vite and webpack 5, the way a web app meets the package: from
// dist/ (run `npm run build` first), browser export conditions, no Node shims or polyfills,
// target es2020 (so a top-level `await` fails), and nothing external but the browser tfjs
// peers. Fails, listing them, on any Node built-in module reached and on any free reference
// to a Node global (process, Buffer, __dirname, require...) in medinets' own code or its
// dependencies: the library reads `globalThis.process` behind a guard instead. Then prints
// the size medinets adds to a bundle over tfjs itself (minified, and minified + gzip).
//
// Also builds the README's Browser example as a Vite app with Vite's defaults.
//
// Usage: node tools/check-browser-bundles.mjs [--only esbuild,vite,webpack] [--no-size]
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// A scratch app outside the repository: its tsconfig paths (medinets -> src/) must not apply.
const work = join(tmpdir(), 'medinets-browser-bundles');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const wants = (tool) => only === null || only.includes(tool);

/** The browser tfjs peers: the only modules left to the app's bundler. tfjs-node is not one. */
const PEERS = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
];
const isPeer = (id) => PEERS.some((p) => id === p || id.startsWith(`${p}/`));
// `require` itself is left to the bundler (it resolves CommonJS dependencies); one it cannot
// resolve shows as esbuild's `__require(` shim, which throws in a page.
const NODE_GLOBALS = ['process', 'Buffer', 'global', '__dirname', '__filename', 'setImmediate'];

/**
 * Free Node-global references in dependencies that never run in the browser, each with why.
 * Keep it short: a line here is a promise checked by reading the dependency's code.
 */
const ALLOWED_GLOBALS = [
  // jpeg-js allocates a Buffer only when `useTArray` is false; data/image.ts always passes true.
  { module: /node_modules\/jpeg-js\//, name: 'Buffer' },
  // dicom-parser tests `typeof Buffer` / `typeof process` before every use (its UMD build
  // serves Node and browsers), and its package.json maps zlib to false for browsers.
  { module: /node_modules\/dicom-parser\//, name: 'Buffer' },
  { module: /node_modules\/dicom-parser\//, name: 'process' },
];

/**
 * Entry points that still reach Node (issue 17's split is under way): their problems are
 * printed but do not fail the run. The list only shrinks; an entry that passes says so.
 */
const STILL_NODE = new Set([]);

/** Node-only subpaths: reached through the `node` condition or `medinets/node`, never bundled. */
const NODE_ONLY = new Set(['./node', './package.json']);
const subpaths = Object.keys(pkg.exports).filter((k) => !NODE_ONLY.has(k));
const specifier = (s) => (s === '.' ? 'medinets' : `medinets/${s.slice(2)}`);

// A scratch app whose node_modules/medinets is this package, so the export map is honoured.
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'node_modules'), { recursive: true });
symlinkSync(root, join(work, 'node_modules', 'medinets'), 'dir');
const entries = subpaths.map((s) => {
  const name = s === '.' ? 'index' : s.slice(2).replace(/\//g, '-');
  const file = join(work, `entry-${name}.js`);
  writeFileSync(file, `import * as m from '${specifier(s)}';\nglobalThis.__medinets = m;\n`);
  return { subpath: s, spec: specifier(s), name, file };
});

const problems = []; // { tool, spec, what }

/** The src/ files inside a dist chunk (from its source map) that import a Node built-in. */
function whoImports(chunk, builtin) {
  const bare = builtin.replace(/^node:/, '');
  const file = resolve(work, chunk);
  try {
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
    const re = new RegExp(`['"](node:)?${bare.replace('/', '\\/')}['"]`);
    const hits = map.sources.filter((_, i) => re.test(map.sourcesContent?.[i] ?? ''));
    if (hits.length) return hits.map((h) => relative(root, resolve(dirname(file), h))).join(', ');
  } catch {
    // no source map: name the chunk
  }
  return relative(root, file);
}
const builtinProblem = (builtin, chunk) => `Node built-in "${builtin}" (${whoImports(chunk, builtin)})`;
const report = (tool, spec, what) => problems.push({ tool, spec, what });

/** Attributes each marker left by esbuild's `define` to the module comment above it. */
function freeGlobals(code) {
  const found = [];
  let module = '?';
  for (const line of code.split('\n')) {
    const m = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(line);
    if (m) module = m[1];
    for (const hit of line.matchAll(/(typeof\s+)?__NODE_GLOBAL_(\w+)__/g)) {
      if (hit[1]) continue; // `typeof process` is the guard, not a use
      const name = hit[2];
      if (ALLOWED_GLOBALS.some((a) => a.name === name && a.module.test(module))) continue;
      found.push(`${name} (${module})`);
    }
    if (/(?<!function )\b__require\(/.test(line) && !/var __require =|__require = /.test(line)) {
      found.push(`require() (${module})`);
    }
  }
  return [...new Set(found)];
}

async function checkEsbuild() {
  const esbuild = await import('esbuild');
  for (const e of entries) {
    try {
      const res = await esbuild.build({
        entryPoints: [e.file],
        absWorkingDir: work,
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2020',
        external: PEERS.flatMap((p) => [p, `${p}/*`]),
        define: Object.fromEntries(NODE_GLOBALS.map((g) => [g, `__NODE_GLOBAL_${g}__`])),
        logLevel: 'silent',
      });
      for (const g of freeGlobals(res.outputFiles[0].text)) report('esbuild', e.spec, `Node global ${g}`);
    } catch (err) {
      for (const m of err.errors ?? [{ text: String(err) }]) {
        const b = /Could not resolve "([^"]+)"/.exec(m.text);
        if (b && m.location) report('esbuild', e.spec, builtinProblem(b[1], m.location.file));
        else report('esbuild', e.spec, m.text.split('\n')[0]);
      }
    }
  }
}

async function checkVite() {
  const { build, createLogger } = await import('vite');
  for (const e of entries) {
    const logger = createLogger('warn', { allowClearScreen: false });
    const warnings = [];
    logger.warn = (msg) => warnings.push(msg);
    logger.warnOnce = logger.warn;
    logger.error = (msg) => warnings.push(msg);
    try {
      const out = await build({
        configFile: false,
        root: work,
        logLevel: 'warn',
        customLogger: logger,
        build: {
          target: 'es2020',
          outDir: join(work, 'vite', e.name),
          emptyOutDir: true,
          minify: false,
          write: true,
          lib: { entry: e.file, formats: ['es'], fileName: 'bundle' },
          rollupOptions: { external: (id) => isPeer(id), onwarn: (w) => warnings.push(w.message) },
        },
      });
      // A `__vite-browser-external` stub without a warning is a dependency's own `browser`
      // map (dicom-parser's `zlib: false`); a Node built-in reached from code warns (below).
      void out;
    } catch (err) {
      report('vite', e.spec, String(err.message ?? err).split('\n')[0]);
    }
    for (const w of warnings) {
      const line = String(w)
        .split('\n')[0]
        .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''); // colour codes
      const b =
        /Module "([^"]+)" has been externalized for browser compatibility, imported by "([^"]+)"/.exec(line);
      if (b) report('vite', e.spec, builtinProblem(b[1], b[2]));
      else if (/node:|top-level await/i.test(line)) report('vite', e.spec, line);
    }
  }
}

async function checkWebpack() {
  const { default: webpack } = await import('webpack');
  for (const e of entries) {
    const stats = await new Promise((ok, fail) =>
      webpack(
        {
          mode: 'production',
          context: work,
          entry: e.file,
          target: ['web', 'es2020'],
          output: { path: join(work, 'webpack', e.name), filename: 'bundle.js' },
          externals: ({ request }, cb) => (isPeer(request) ? cb(null, 'var globalThis.__tfjsPeer') : cb()),
          optimization: { minimize: false },
          performance: { hints: false },
          devtool: false,
          infrastructureLogging: { level: 'error' },
        },
        (err, s) => (err ? fail(err) : ok(s)),
      ),
    );
    const info = stats.toJson({ all: false, errors: true, warnings: true });
    for (const m of [...info.errors, ...info.warnings]) {
      const b = /Can't resolve '([^']+)'/.exec(m.message);
      const chunk = m.moduleName ? resolve(work, m.moduleName.replace(/ \+ \d+ modules$/, '')) : '';
      if (b && chunk) report('webpack', e.spec, builtinProblem(b[1], chunk));
      else
        report(
          'webpack',
          e.spec,
          `${m.message.split('\n')[0]}${chunk ? ` (${whoImports(chunk, '?')})` : ''}`,
        );
    }
  }
}

/**
 * The README's Browser example (its first ts block) built as a Vite app with Vite's defaults
 * (an index.html loading it; no config): the snippet a user copies must bundle as written.
 */
async function checkReadmeVite() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Browser'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) return report('vite', 'README', "no ```ts block in the README's Browser section");
  const app = join(work, 'readme-app');
  mkdirSync(app, { recursive: true });
  // An app installs the tfjs packages it imports beside medinets (the entry checks above
  // leave them external).
  symlinkSync(join(root, 'node_modules', '@tensorflow'), join(work, 'node_modules', '@tensorflow'), 'dir');
  writeFileSync(join(app, 'main.ts'), code);
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html><input type="file" /><script type="module" src="./main.ts"></script>\n',
  );
  const { build, createLogger } = await import('vite');
  const logger = createLogger('error', { allowClearScreen: false });
  try {
    await build({ root: app, configFile: false, logLevel: 'error', customLogger: logger });
  } catch (err) {
    report(
      'vite',
      'README',
      `the Browser example does not build: ${String(err.message ?? err)
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 2)
        .join(' ')}`,
    );
  }
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KB`;
}

/** What medinets adds over tfjs in an app's bundle: its own code plus its dependencies. */
async function sizes() {
  const esbuild = await import('esbuild');
  const size = async (contents, external, dir = work) => {
    const res = await esbuild.build({
      stdin: { contents, resolveDir: dir, loader: 'js' },
      absWorkingDir: work,
      bundle: true,
      write: false,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      external,
      logLevel: 'silent',
    });
    const code = res.outputFiles[0].contents;
    return { min: code.length, gz: gzipSync(code, { level: 9 }).length };
  };
  const tfjsImports = [
    `import * as a from '@tensorflow/tfjs-core';`,
    `import * as b from '@tensorflow/tfjs-layers';`,
    `import '@tensorflow/tfjs-backend-cpu';`,
    `import '@tensorflow/tfjs-backend-webgl';`,
    `globalThis.__tf = [a, b];`,
  ].join('\n');
  const tfjs = await size(tfjsImports, [], root);
  const all = await size(
    `import * as m from 'medinets';\nglobalThis.__m = m;`,
    PEERS.flatMap((p) => [p, `${p}/*`]),
  );
  console.log('\nbundle size (esbuild, minified, es2020):');
  console.log(`  tfjs itself (core + layers + cpu + webgl): ${kb(tfjs.min)} min, ${kb(tfjs.gz)} min+gzip`);
  console.log(`  medinets adds (import * from 'medinets'):  ${kb(all.min)} min, ${kb(all.gz)} min+gzip`);
}

const distMissing = (() => {
  try {
    return !readdirSync(join(root, 'dist')).includes('index.js');
  } catch {
    return true;
  }
})();
if (distMissing) {
  console.error('check-browser-bundles: dist/index.js is missing; run `npm run build` first');
  process.exit(1);
}

const t0 = Date.now();
if (wants('esbuild')) await checkEsbuild();
if (wants('vite')) await checkVite();
if (wants('webpack')) await checkWebpack();
if (wants('vite')) await checkReadmeVite();
const tools = ['esbuild', 'vite', 'webpack'].filter(wants);
console.log(
  `browser bundles: ${entries.length} entry points x ${tools.join(', ')} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
);
for (const e of entries) {
  for (const tool of tools) {
    const mine = problems.filter((p) => p.spec === e.spec && p.tool === tool);
    console.log(`  ${mine.length ? 'FAIL' : 'ok  '} ${tool.padEnd(8)} ${e.spec}`);
    for (const p of [...new Set(mine.map((p) => p.what))]) console.log(`         ${p}`);
  }
}
if (wants('vite')) {
  const mine = problems.filter((p) => p.spec === 'README');
  console.log(
    `  ${mine.length ? 'FAIL' : 'ok  '} vite     the README's Browser example (an app, Vite's defaults)`,
  );
  for (const p of mine) console.log(`         ${p.what}`);
}
if (!args.includes('--no-size') && problems.every((p) => p.spec !== 'medinets')) await sizes();
const failing = new Set(problems.map((p) => p.spec));
for (const s of STILL_NODE) {
  if (!failing.has(s)) console.log(`note: ${s} now bundles for the browser: remove it from STILL_NODE`);
}
const fatal = problems.filter((p) => !STILL_NODE.has(p.spec));
if (fatal.length) {
  console.error(
    `\ncheck-browser-bundles: ${fatal.length} problem(s); Node-only code must be behind the 'node' condition`,
  );
  process.exit(1);
}
const pending = [...failing].filter((s) => STILL_NODE.has(s));
console.log(
  pending.length
    ? `\ncheck-browser-bundles: no new Node reach; still to move behind 'node': ${pending.join(', ')}`
    : '\ncheck-browser-bundles: every entry point bundles for the browser',
);
