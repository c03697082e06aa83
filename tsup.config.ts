import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

const folders = [
  'backend',
  'layers',
  'blocks',
  'models',
  'augment',
  'metrics',
  'explain',
  'data',
  'train',
  'plot',
];

const entry = {
  index: 'src/index.ts',
  ...Object.fromEntries(folders.map((f) => [`${f}/index`, `src/${f}/index.ts`])),
};

/**
 * The browser build takes `x.browser.ts` wherever it sits beside an imported `x.ts`: the
 * few modules that need Node (the native addon, files on disk, wasm threads in Node) have
 * a browser twin with the same exports, so nothing of Node is bundled for the web.
 */
const browserTwins: Plugin = {
  name: 'medinets-browser-twins',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const base = resolve(dirname(args.importer), args.path);
      for (const candidate of [`${base}.browser.ts`, `${base}/index.browser.ts`]) {
        if (existsSync(candidate)) return { path: candidate };
      }
      return undefined;
    });
  },
};

const shared: Options = {
  entry,
  // One copy of every module across entry points: layer classes register with
  // tfjs serialization once, and `medinets` and `medinets/layers` share them.
  splitting: true,
  sourcemap: true,
  clean: false, // `npm run build` empties dist/ first; the two builds write beside each other
  tsconfig: 'tsconfig.build.json',
  // nifti-reader-js ships ESM only ('import' condition); bundle it so require('medinets') works.
  noExternal: ['nifti-reader-js'],
  // Optional native renderer of plot/png.ts: never bundled, loaded at run time when installed.
  external: ['@resvg/resvg-js'],
};

export default defineConfig([
  // Node (the `node` export condition): the native addon, files, wasm threads in Node, and the
  // `medinets` executable (package.json "bin"), which shares the library's chunks.
  {
    ...shared,
    entry: { ...entry, 'cli/main': 'src/cli/main.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'es2022',
    platform: 'node',
    shims: true,
  },
  // Everything else (browsers, bundlers, workers): no Node built-in and no Node global; es2020
  // and no top-level await, so Vite's and webpack's default targets take it as it is.
  {
    ...shared,
    outDir: 'dist/browser',
    format: ['esm', 'cjs'],
    dts: false,
    target: 'es2020',
    platform: 'browser',
    shims: false,
    esbuildPlugins: [browserTwins],
  },
]);
