/**
 * `npm run demo`: document 001's pipeline for DResUNet alone, in quick mode on built-in
 * chest-CT phantoms — trains, prints the metric table, writes the report and the Grad-CAM
 * overlays to out/001-dresunet/. Extra flags pass through (e.g. `npm run demo -- --backend cpu`).
 */
import { main } from './001-dresunet/index';
import { parseExampleArgs } from './common/cli';

const args = parseExampleArgs('001-dresunet', ['--models', 'DResUNet', ...process.argv.slice(2)]);
await main(args);
