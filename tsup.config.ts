import { defineConfig, type Options } from 'tsup';
import { browserTwins } from './tools/browser-twins';

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
  // Everything else (browsers, bundlers, workers); Node-only modules are replaced by their
  // browser twins (x.browser.ts beside x.ts, same exports; see tools/browser-twins.ts): no Node built-in and no Node global; es2020
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
