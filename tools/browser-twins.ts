import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * esbuild plugin of the browser build (tsup.config.ts) and of the browser tests' pages: a
 * relative import of `x` resolves to `x.browser.ts` when that file sits beside `x.ts`. The
 * few modules that need Node (the native addon, files on disk, wasm threads in Node) have
 * such a twin with the same exports, so nothing of Node is bundled for the web.
 */
export const browserTwins: Plugin = {
  name: 'medinets-browser-twins',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.importer === '') return undefined;
      const base = resolve(dirname(args.importer), args.path);
      for (const candidate of [`${base}.browser.ts`, `${base}/index.browser.ts`]) {
        if (existsSync(candidate)) return { path: candidate };
      }
      return undefined;
    });
  },
};
