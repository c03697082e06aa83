// Crash-safe training: a child trains SimpleCNN for 30 epochs with a checkpoint after every
// epoch; it is killed with SIGKILL at 5 seeded random moments and resumed each time from its
// last checkpoint, and must end with the same weights, optimizer state and loss history, bit
// for bit, as an uninterrupted run. The optimizer is SGD with momentum, whose state
// (one accumulator per weight) round-trips exactly.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRng } from '../../src/util/random';

const EPOCHS = 30;
const KILLS = 5;
const script = join(__dirname, 'helpers', 'soak-train.ts');
const root = mkdtempSync(join(tmpdir(), 'medinets-soak-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  /** Epoch the child started from (0, or the resumed checkpoint's). */
  start: number;
  /** Milliseconds from the child's 'start' line to its exit. */
  trainMs: number;
  signal: NodeJS.Signals | null;
  done: boolean;
}

/**
 * Run the child once; with `kill`, SIGKILL it `kill.ms` after it reports the end (checkpoint
 * written) of its `kill.epochs`-th epoch of this run, so each run makes progress whatever the
 * machine's load, and the kill lands at a random moment of the epochs after it (mid-step or
 * mid-save).
 */
function run(dir: string, optimizer: string, kill?: { epochs: number; ms: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(EPOCHS), optimizer], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let t0 = 0;
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (t0 === 0 && out.includes('start ')) t0 = Date.now();
      const ended = (out.match(/^epoch \d+$/gm) ?? []).length;
      if (kill && !armed && ended >= kill.epochs) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), kill.ms);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`soak child failed (${code}): ${err}`));
      const m = /start (\d+)/.exec(out);
      resolve({ start: m ? Number(m[1]) : -1, trainMs: Date.now() - t0, signal, done: out.includes('done') });
    });
  });
}

function bytes(dir: string, file: string): Buffer {
  return readFileSync(join(dir, 'last', file));
}

describe('training survives SIGKILL', () => {
  it(`30 epochs, ${KILLS} kills at random moments, resumed each time: the weights of an uninterrupted run`, async () => {
    const ref = join(root, 'ref');
    const reference = await run(ref, 'momentum');
    expect(reference.done).toBe(true);

    const soak = join(root, 'soak');
    const rng = makeRng(20261203);
    const runs: Run[] = [];
    for (let k = 0; k < KILLS; k++) {
      // Each run completes 1-3 epochs (checkpointed), then dies at a random moment within the
      // next 1.5 epochs' time, so the five kills fall before epoch 30 and each lands mid-step
      // or mid-save; counting epochs rather than wall time keeps this true under any load.
      const epochMs = reference.trainMs / EPOCHS;
      const r = await run(soak, 'momentum', {
        epochs: 1 + Math.floor(rng.uniform(0, 3)),
        ms: Math.round(epochMs * rng.uniform(0, 1.5)),
      });
      runs.push(r);
      expect(r.signal).toBe('SIGKILL');
      expect(r.done).toBe(false);
    }
    const last = await run(soak, 'momentum');
    runs.push(last);
    expect(last.done).toBe(true);
    console.log(
      `soak: reference ${reference.trainMs} ms; runs started at epochs ${runs.map((r) => r.start).join(', ')}`,
    );
    // Progress was made across the kills and the last run resumed mid-way.
    expect(last.start).toBeGreaterThan(0);
    expect(last.start).toBeLessThan(EPOCHS);

    expect(bytes(soak, 'weights.bin').equals(bytes(ref, 'weights.bin'))).toBe(true);
    expect(bytes(soak, 'optimizer.bin').equals(bytes(ref, 'optimizer.bin'))).toBe(true);
    const a = JSON.parse(bytes(soak, 'state.json').toString()) as {
      epoch: number;
      history: { loss: number[] };
    };
    const b = JSON.parse(bytes(ref, 'state.json').toString()) as {
      epoch: number;
      history: { loss: number[] };
    };
    expect(a.epoch).toBe(EPOCHS);
    expect(a.history.loss).toEqual(b.history.loss);
    expect(a.history.loss.length).toBe(EPOCHS);
  });
});
