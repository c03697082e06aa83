/**
 * The one error every weight reader and loader throws: it names the function, the file
 * (or `<bytes>` for an in-memory source) and what was expected, so a user holding the wrong
 * file sees which file and why without reading a stack trace.
 */
export class WeightsError extends Error {
  /** The public function that failed, e.g. `loadWeights`. */
  readonly fn: string;
  /** The file, URL or `<bytes>` being read. */
  readonly file: string;

  /**
   * @param fn The public function that failed.
   * @param file The file, URL or `<bytes>`.
   * @param message What was found and what was expected.
   */
  constructor(fn: string, file: string, message: string) {
    super(`${fn}: ${file}: ${message}`);
    this.name = 'WeightsError';
    this.fn = fn;
    this.file = file;
  }
}

/** A thrown value's message, whatever was thrown (jsfive throws strings). */
export function describeThrown(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
