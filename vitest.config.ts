import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  // Examples and the command line import 'medinets' as a user's script does. tsconfig.json's
  // `paths` resolve it to the sources for tsc and tsx (no build needed); this does it for vitest.
  resolve: {
    alias: [
      { find: /^medinets$/, replacement: `${src}index.ts` },
      { find: /^medinets\/([a-z]+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
