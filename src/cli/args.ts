/**
 * Command-line argument handling shared by the `medinets` subcommands: node:util's parseArgs
 * with strict flags, turned into one-line usage errors (exit code 2) instead of stack traces.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line: printed as one line, exit code 2 (as getopt-style tools do). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The flag table of a subcommand, in node:util parseArgs' shape. */
export type FlagTable = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags (strings and booleans) and positionals. */
export interface Parsed {
  /** Flag values by long name. */
  values: Record<string, string | boolean | undefined>;
  /** Positional arguments, in order. */
  positionals: string[];
}

/** Parse `argv` against `flags`; unknown flags and missing values become a {@link UsageError}. */
export function parseFlags(command: string, argv: string[], flags: FlagTable, positionals: boolean): Parsed {
  try {
    const r = parseArgs({
      args: argv,
      options: { ...flags, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    // parseArgs' messages are multi-line sentences with a hint; keep the first sentence.
    const msg =
      String((e as Error).message)
        .split('\n')[0]
        ?.replace(/\. To specify.*$/, '') ?? '';
    throw new UsageError(`medinets ${command}: ${msg}`);
  }
}

/** The string value of a required flag. */
export function required(command: string, p: Parsed, flag: string): string {
  const v = p.values[flag];
  if (typeof v !== 'string' || v === '') throw new UsageError(`medinets ${command}: --${flag} is required`);
  return v;
}

/** A string flag, or `fallback` when absent. */
export function str(p: Parsed, flag: string, fallback: string): string;
export function str(p: Parsed, flag: string): string | undefined;
export function str(p: Parsed, flag: string, fallback?: string): string | undefined {
  const v = p.values[flag];
  return typeof v === 'string' ? v : fallback;
}

/** A numeric flag within `[lo, hi]` (integer when `integer`), or `fallback` when absent. */
export function num(
  command: string,
  p: Parsed,
  flag: string,
  fallback: number,
  range: { lo: number; hi: number; integer?: boolean },
): number {
  const v = p.values[flag];
  if (v === undefined) return fallback;
  const n = Number(v);
  const ok = typeof v === 'string' && v.trim() !== '' && Number.isFinite(n) && n >= range.lo && n <= range.hi;
  if (!ok || (range.integer && !Number.isInteger(n))) {
    const kind = range.integer ? 'an integer' : 'a number';
    throw new UsageError(
      `medinets ${command}: --${flag} must be ${kind} in [${range.lo}, ${range.hi}]; got '${String(v)}'`,
    );
  }
  return n;
}

/** A flag restricted to `choices`, or `fallback` when absent. */
export function oneOf<T extends string>(
  command: string,
  p: Parsed,
  flag: string,
  choices: readonly T[],
  fallback?: T,
): T {
  const v = p.values[flag];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new UsageError(
      `medinets ${command}: --${flag} must be one of ${choices.join(', ')}; got '${v === undefined ? '' : String(v)}'`,
    );
  }
  return v as T;
}

/** Where a subcommand writes: standard output (results) and standard error (progress, errors). */
export interface CliIO {
  /** Results: tables, JSON. */
  out: (text: string) => void;
  /** Progress and diagnostics. */
  err: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}
