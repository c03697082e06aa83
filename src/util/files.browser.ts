// Browser twin of files.ts (see tsup.config.ts): a page has no file system to write paths to.
import type * as node from './files';

function noFiles(caller: string, what: string): never {
  throw new Error(
    `${caller}: ${what} a file path needs Node; in the browser pass bytes (fetch(url).arrayBuffer(), a File) or use the returned data`,
  );
}

/** Throws: no file system in the browser. */
export const readFileBytes: typeof node.readFileBytes = async (_path, caller) => noFiles(caller, 'reading');

/** Throws: no file system in the browser. */
export const writeFileAtomic: typeof node.writeFileAtomic = async (_path, _data, caller) =>
  noFiles(caller, 'writing');

/** Throws: no file system in the browser. */
export const appendFileText: typeof node.appendFileText = async (_path, _text, caller) =>
  noFiles(caller, 'writing');
