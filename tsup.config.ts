import { defineConfig } from 'tsup';

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

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    ...Object.fromEntries(folders.map((f) => [`${f}/index`, `src/${f}/index.ts`])),
  },
  format: ['esm', 'cjs'],
  dts: true,
  // One copy of every module across entry points: layer classes register with
  // tfjs serialization once, and `medinets` and `medinets/layers` share them.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  shims: true,
  tsconfig: 'tsconfig.build.json',
  // nifti-reader-js ships ESM only ('import' condition); bundle it so require('medinets') works.
  noExternal: ['nifti-reader-js'],
});
