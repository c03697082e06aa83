// The part of jsfive's API (pure-JS HDF5 reader, no bundled types) the Keras reader uses.
declare module 'jsfive' {
  export class Group {
    readonly attrs: Record<string, unknown>;
    readonly keys: string[];
    get(path: string): Group | Dataset;
  }
  export class Dataset {
    readonly attrs: Record<string, unknown>;
    readonly shape: number[];
    readonly dtype: unknown;
    readonly value: unknown;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
}
