// Examples and the command line import 'medinets' as a user's script does; without a build, the
// name must resolve to the sources (vitest.config.ts's alias; tsconfig.json's paths for tsx).
import { describe, expect, it } from 'vitest';
import * as root from 'medinets';
import * as explain from 'medinets/explain';
import * as models from 'medinets/models';
import { gradCam } from '../../src/explain';
import { buildModel } from '../../src/models';

describe("'medinets' resolves to the sources", () => {
  it('shares the module instances of src/ for the root and subpaths', () => {
    expect(root.gradCam).toBe(gradCam);
    expect(explain.gradCam).toBe(gradCam);
    expect(models.buildModel).toBe(buildModel);
    expect(root.buildModel).toBe(buildModel);
  });
});
