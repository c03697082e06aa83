/**
 * The `medinets` command line: subcommand dispatch, usage errors as one line with exit code 2,
 * other failures as one line with exit code 1.
 */
import { setupBackend } from '../backend';
import { type CliIO, UsageError } from './args';
import { evaluate } from './evaluate';
import { models } from './models';
import { predict } from './predict';
import { train } from './train';
import { weights } from './weights';

/** `medinets --help`. */
export const MAIN_HELP = `usage: medinets COMMAND [options]   (medinets COMMAND --help for each)

  train      train a registry model on a dataset folder: checkpoints, report.md, plots
  evaluate   metric table, ROC and confusion matrix of a trained run on a dataset
  predict    classify DICOM, PNG, JPEG or NIfTI files, optionally with Grad-CAM overlays
  models     every model of the registry, its options and what it is for
  weights    convert weights to the TF.js layers format

Backend: the fastest present (native addon, wasm, cpu); MEDINETS_BACKEND=cpu|wasm picks one.`;

const COMMANDS = ['train', 'evaluate', 'predict', 'models', 'weights'] as const;

/** Run the command line with `argv` (without `node` and the script); returns the exit code. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (!(COMMANDS as readonly string[]).includes(command)) {
      throw new UsageError(`medinets: unknown command '${command}'; expected one of ${COMMANDS.join(', ')}`);
    }
    if (command === 'models') return models(rest, io);
    const wantsHelp = rest.includes('--help') || rest.includes('-h');
    if (!wantsHelp) {
      const prefer = process.env.MEDINETS_BACKEND;
      await setupBackend(prefer === 'cpu' || prefer === 'wasm' ? { prefer } : {});
    }
    if (command === 'train') return await train(rest, io);
    if (command === 'evaluate') return await evaluate(rest, io);
    if (command === 'predict') return await predict(rest, io);
    return await weights(rest, io);
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError) {
      io.err.write(`${err.message}\n`);
      return 2;
    }
    io.err.write(`medinets ${command ?? ''}: ${err.message.split('\n')[0]}\n`);
    if (process.env.MEDINETS_DEBUG) io.err.write(`${err.stack}\n`);
    return 1;
  }
}
