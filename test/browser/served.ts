// One describe block's page server and browser: the set-up and tear-down the viewer tests
// shared, kept apart from harness.ts so that scripts run outside vitest (run-parity.ts) need
// not import vitest.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { serveStatic, type Served } from '../../tools/static-server';
import { launch } from './harness';

/** What {@link servedInChromium} holds for the tests of its describe block. */
export interface ServedChromium {
  /** The launched Chromium. */
  readonly browser: Browser;
  /** The served folder's URL on 127.0.0.1, with the trailing slash. */
  readonly url: string;
}

/**
 * For the enclosing describe block: before its tests, `prepare` writes a folder (a bundled page
 * and its files) and returns its path; the folder is served from 127.0.0.1 and Chromium is
 * launched. After the tests both are closed. The 300 s hook timeout is for bundling on a
 * loaded machine. Read `browser` and `url` inside tests only (they exist once beforeAll ran).
 */
export function servedInChromium(prepare: () => Promise<string>): ServedChromium {
  let browser: Browser | undefined;
  let served: Served | undefined;
  beforeAll(async () => {
    served = await serveStatic(await prepare());
    browser = await launch();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    served?.server.close();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('servedInChromium: browser and url exist only inside tests');
    return v;
  };
  return {
    get browser() {
      return ready(browser);
    },
    get url() {
      return ready(served).url;
    },
  };
}
