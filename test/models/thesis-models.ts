/**
 * The registry models of the COVID-CT thesis (document 001): the ones tests build with a base
 * width of 4 filters, since their default widths only cost time there. Plain data (a type-only
 * import), so the browser test pages bundle it too.
 */
import type { ModelName } from '../../src/models/registry';

export const THESIS_MODELS: readonly ModelName[] = [
  'SimpleCNN',
  'ThesisVGG',
  'UNet',
  'ResUNet',
  'ResUNetECSA',
  'ResUNetFPRM',
  'DResUNet',
];
