// Browser twin of layouts.ts (see tools/browser-twins.ts): dataset layouts scan folders on
// disk, which a page cannot; build FileDataset items from the files the user picked instead.
import type * as node from './layouts';

export type {
  ClassFolderOptions,
  CovidCtOptions,
  CsvOptions,
  CtSeriesOptions,
  LayoutOptions,
} from './layouts';

/** The file extensions the layouts take, as in Node. */
export const IMAGE_EXTENSIONS: typeof node.IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.dcm'];

function needsNode(fn: string): never {
  throw new Error(
    `${fn}: dataset folders need Node's file system; in the browser build a FileDataset from picked files`,
  );
}

/** Throws in the browser: see the module comment. */
export const classFolderDataset: typeof node.classFolderDataset = async () => needsNode('classFolderDataset');

/** Throws in the browser: see the module comment. */
export const covidCtDataset: typeof node.covidCtDataset = async () => needsNode('covidCtDataset');

/** Throws in the browser: see the module comment. */
export const ctSeriesDataset: typeof node.ctSeriesDataset = async () => needsNode('ctSeriesDataset');

/** Throws in the browser: see the module comment. */
export const csvDataset: typeof node.csvDataset = async () => needsNode('csvDataset');
