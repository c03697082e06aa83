// npm run fuzz [-- --cases N --seed S]: N mutants per format (default 15,000, so 105,000 in all
// over DICOM, PNG, JPEG, NIfTI, .pth, safetensors and .h5) of the real fixtures through every
// decoder and weight reader; exits 1 on any raw error or slow case.
import { fuzz, summarise } from './mutate';
import { decoderTargets } from './targets';
import { weightTargets } from './weight-targets';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const cases = arg('cases', 15_000);
const seed = arg('seed', 20261203);
let bad = 0;
for (const t of [...decoderTargets(), ...weightTargets()]) {
  const t0 = performance.now();
  const r = await fuzz(t, { cases, seed });
  console.log(`${summarise(r)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const top = [...r.messages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  for (const [m, n] of top) console.log(`    ${n}x ${m}`);
  for (const f of [...r.raw, ...r.slow].slice(0, 10))
    console.log(`  ! case ${f.index} (${f.seedFile}, ${f.kind}): ${f.what}`);
  bad += r.raw.length + r.slow.length;
}
process.exit(bad ? 1 : 0);
