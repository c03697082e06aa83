/**
 * `npm run demo`: document 001's pipeline for DResUNet alone, in quick mode on built-in
 * chest-CT phantoms — trains, prints the metric table, writes the report and the Grad-CAM
 * overlays to out/001-dresunet/. Extra flags pass through (e.g. `npm run demo -- --backend cpu`).
 *
 * Two quick-mode knobs are lighter than example 001's seven-model comparison so that one model
 * learns in 10 epochs at width 8: `'easy'` phantoms instead of `'moderate'`, and no dropout in the
 * classifier head (the thesis's 0.5 acts, at width 8 and 64x64, on 2x2x8 = 32 pooled values
 * instead of the thesis's 8x8x64 at 256x256, and kept DResUNet at loss ln 2 for 10 epochs).
 */
import { main } from './001-dresunet/index';
import { parseExampleArgs } from './common/cli';

const args = parseExampleArgs('001-dresunet', ['--models', 'DResUNet', ...process.argv.slice(2)]);
await main(args, { difficulty: 'easy', headDropout: 0 });
