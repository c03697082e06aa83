/**
 * A reusable mutation harness for decoders of untrusted files (issue 18 item 4): real
 * fixtures mutated by byte and bit flips, truncations, lying length fields, repeated and
 * deleted chunks; every case must return or throw an `Error` whose message starts with the
 * decoder's name, within a time bound. Used by `npm run fuzz` (test/fuzz/run.ts) and the
 * seeded CI test (test/fuzz/decoders.test.ts); weight-file readers can add theirs the same way:
 *
 *     const report = await fuzz({ label: 'safetensors', seeds, decode: (b) => parseSafetensors(b),
 *       errorPrefix: /^parseSafetensors: /, cases: 2000, seed: 1 });
 *     expect(report.raw).toEqual([]);
 */

// What a parser throws when it trips over bad input instead of validating it.
const BUILTIN_ERRORS = [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];

/** A seeded generator (mulberry32): the same seed gives the same cases. */
export function rng32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The kinds of mutation {@link mutate} applies. */
export type MutationKind =
  'byte-flip' | 'bit-flip' | 'truncate' | 'lying-length' | 'repeat-chunk' | 'delete-chunk' | 'hotspot';

/** Values a lying length or size field is set to: zero, one, sign-bit and all-ones patterns. */
const LIES = [
  0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x1000000,
];

function writeLie(b: Uint8Array, at: number, value: number, size: 1 | 2 | 4, little: boolean): void {
  for (let k = 0; k < size && at + k < b.length; k++) {
    const shift = 8 * (little ? k : size - 1 - k);
    b[at + k] = Math.floor(value / 2 ** shift) & 0xff;
  }
}

/**
 * One mutant of `seed`.
 * @param hotspots byte offsets of header fields (sizes, lengths, dimensions) that get lying
 *   values more often than random offsets do.
 */
export function mutate(
  seed: Uint8Array,
  rand: () => number,
  hotspots: readonly number[] = [],
): { kind: MutationKind; bytes: Uint8Array } {
  const int = (n: number): number => Math.floor(rand() * n);
  const kinds: MutationKind[] = [
    'byte-flip',
    'bit-flip',
    'truncate',
    'lying-length',
    'repeat-chunk',
    'delete-chunk',
  ];
  if (hotspots.length) kinds.push('hotspot', 'hotspot');
  const kind = kinds[int(kinds.length)] as MutationKind;
  const n = seed.length;
  let b = seed.slice();
  switch (kind) {
    case 'byte-flip':
      for (let k = 1 + int(8); k > 0; k--) b[int(n)] = int(256);
      break;
    case 'bit-flip':
      for (let k = 1 + int(4); k > 0; k--) {
        const i = int(n);
        b[i] = (b[i] as number) ^ (1 << int(8));
      }
      break;
    case 'truncate':
      b = b.slice(0, int(n));
      break;
    case 'lying-length':
    case 'hotspot': {
      const at = kind === 'hotspot' ? (hotspots[int(hotspots.length)] as number) : int(n);
      const size = ([1, 2, 4] as const)[int(3)] as 1 | 2 | 4;
      writeLie(b, at, LIES[int(LIES.length)] as number, size, rand() < 0.5);
      break;
    }
    case 'repeat-chunk': {
      const a = int(n);
      const len = 1 + int(Math.min(256, n - a));
      const at = int(n);
      const out = new Uint8Array(n + len);
      out.set(b.subarray(0, at), 0);
      out.set(b.subarray(a, a + len), at);
      out.set(b.subarray(at), at + len);
      b = out;
      break;
    }
    case 'delete-chunk': {
      const a = int(n);
      const len = 1 + int(Math.min(256, n - a));
      const out = new Uint8Array(n - len);
      out.set(b.subarray(0, a), 0);
      out.set(b.subarray(a + len), a);
      b = out;
      break;
    }
  }
  return { kind, bytes: b };
}

/** A fuzzing target. */
export interface FuzzTarget {
  /** What the report calls it, e.g. 'DICOM'. */
  label: string;
  /** Real files to mutate, with optional header offsets to lie in. */
  seeds: ReadonlyArray<{ name: string; bytes: Uint8Array; hotspots?: readonly number[] }>;
  /** The decoder under test; may be async. */
  decode: (bytes: Uint8Array) => unknown;
  /** What every error message must start with, e.g. /^decodeDicom: /. */
  errorPrefix: RegExp;
  /**
   * Applied to half of the mutants: repairs checksums (PNG chunk CRCs) so that lies in a
   * header reach the decoder instead of stopping at the checksum.
   */
  fixup?: (bytes: Uint8Array) => Uint8Array;
}

/** A case that broke the contract. */
export interface FuzzFailure {
  /** The seed file mutated. */
  seedFile: string;
  /** The mutation. */
  kind: MutationKind;
  /** The case number (rerun with the same seed to reproduce). */
  index: number;
  /** The thrown value's constructor name and message, or 'slow' with the time. */
  what: string;
}

/** What a {@link fuzz} run found. */
export interface FuzzReport {
  label: string;
  cases: number;
  /** Decoded without error. */
  decoded: number;
  /** Threw an Error named as required. */
  namedErrors: number;
  /** Threw something else: a non-Error, a TypeError/RangeError, or a message without the name. */
  raw: FuzzFailure[];
  /** Took longer than `timeBoundMs`. */
  slow: FuzzFailure[];
  /** The longest case, ms. */
  maxMs: number;
  /** Error messages seen, by message with numbers and names masked, with counts. */
  messages: Map<string, number>;
}

/**
 * Run `cases` mutants of the target's seeds through its decoder (seeded: the same `seed`
 * gives the same cases). A hang shows as the caller's timeout; a slow case (over
 * `timeBoundMs`) is listed in `slow`.
 */
export async function fuzz(
  target: FuzzTarget,
  options: { cases: number; seed: number; timeBoundMs?: number },
): Promise<FuzzReport> {
  const { cases, seed, timeBoundMs = 2000 } = options;
  const rand = rng32(seed);
  const report: FuzzReport = {
    label: target.label,
    cases,
    decoded: 0,
    namedErrors: 0,
    raw: [],
    slow: [],
    maxMs: 0,
    messages: new Map(),
  };
  // Warm up (lazy codec imports, JIT) outside the timed cases.
  for (const s of target.seeds) {
    try {
      await target.decode(s.bytes);
    } catch {
      // a seed may be refused on purpose; only mutants are judged
    }
  }
  for (let i = 0; i < cases; i++) {
    const s = target.seeds[Math.floor(rand() * target.seeds.length)] as FuzzTarget['seeds'][number];
    const m = mutate(s.bytes, rand, s.hotspots);
    const kind = m.kind;
    const bytes = target.fixup && rand() < 0.5 ? target.fixup(m.bytes) : m.bytes;
    const t0 = performance.now();
    try {
      await target.decode(bytes);
      report.decoded++;
    } catch (e) {
      // Error itself or a library's own subclass (WeightsError); never a built-in error type.
      const isPlainError = e instanceof Error && !BUILTIN_ERRORS.some((c) => e instanceof c);
      if (isPlainError && target.errorPrefix.test(e.message)) {
        report.namedErrors++;
        const key = e.message
          .replace(target.errorPrefix, '')
          .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, '#')
          .slice(0, 120);
        report.messages.set(key, (report.messages.get(key) ?? 0) + 1);
      } else {
        const what =
          e instanceof Error ? `${e.constructor.name}: ${e.message}` : `non-Error thrown: ${String(e)}`;
        report.raw.push({ seedFile: s.name, kind, index: i, what: what.slice(0, 300) });
      }
    }
    const ms = performance.now() - t0;
    report.maxMs = Math.max(report.maxMs, ms);
    if (ms > timeBoundMs)
      report.slow.push({ seedFile: s.name, kind, index: i, what: `slow: ${ms.toFixed(0)} ms` });
  }
  return report;
}

/** One line per report, for logs. */
export function summarise(r: FuzzReport): string {
  return `${r.label}: ${r.cases} cases, ${r.decoded} decoded, ${r.namedErrors} named errors, ${r.raw.length} raw errors, ${r.slow.length} slow (max ${r.maxMs.toFixed(1)} ms)`;
}

/** Bytes allocated in ArrayBuffers while `f` runs (after it, before any GC of its garbage). */
export function allocatedBy(f: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  try {
    f();
  } catch {
    // measured either way
  }
  return process.memoryUsage().arrayBuffers - before;
}
