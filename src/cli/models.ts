/** `medinets models`: every registry builder, the options it takes and what it is for. */
import { describeModel, listModels, type ModelName } from '../models';
import { type CliIO, type FlagTable, parseFlags } from './args';

/** `medinets models --help`. */
export const MODELS_HELP = `usage: medinets models [--json]

List every model of the registry: its name (for medinets train --model), the options its
builder takes, and what it is for.

  --json       print one JSON array
  -h, --help   this text`;

const KERAS = 'inputShape, classes, includeTop, pooling, classifierActivation, weights, seed, name';
const THESIS = 'inputShape, classes, filters, classifierActivation, seed';

/** Builder options beyond the shared vocabulary, by model family (the TSDoc of each builder has the defaults). */
function optionsOf(name: ModelName): string {
  if (/^VGG1[1-9]$/.test(name)) return KERAS;
  if (/^ResNet/.test(name)) return `${KERAS}, variant ('keras' | 'torchvision')`;
  if (/^DenseNet/.test(name)) return `${KERAS}, variant`;
  if (name === 'InceptionV3') return KERAS;
  if (name === 'ResDenseFusion') return 'inputShape, classes, seed, resnetBlocks, densenetBlocks, growthRate';
  if (name === 'PneumoniaCNN') return 'inputShape, dropout, denseDropout, seed';
  if (name === 'VGG16Transfer') return 'inputShape, hiddenUnits, freezeBase, weights, seed';
  if (name === 'EmbeddingNet') return 'backbone, inputShape, hiddenUnits, embeddingDim, weights, seed';
  if (name === 'UNet') return `${THESIS}, head ('classify' | 'segment'), upsample ('bilinear' | 'transpose')`;
  if (/UNet/.test(name)) return `${THESIS}, head ('classify' | 'segment'), hiddenUnits, dropout`;
  return `${THESIS}, hiddenUnits, dropout`;
}

/** Run `medinets models`; returns the exit code. */
export function models(argv: string[], io: CliIO): number {
  const p = parseFlags('models', argv, { json: { type: 'boolean' } } satisfies FlagTable, false);
  if (p.values.help) {
    io.out(MODELS_HELP);
    return 0;
  }
  const rows = listModels().map((name) => ({
    name,
    options: optionsOf(name),
    description: describeModel(name),
  }));
  if (p.values.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    io.out(`${r.name.padEnd(w)}  ${r.description}`);
    io.out(`${' '.repeat(w)}  options: ${r.options}`);
  }
  io.out(
    `\n${rows.length} models. Train one: medinets train --model NAME --data DIR --layout LAYOUT --out runs/NAME`,
  );
  return 0;
}
