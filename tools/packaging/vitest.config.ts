import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../tools/scripts/vitest-conditions.js';

export default defineProject({
  ...sourceConditions,
  // One file: packs every published package, installs the tarballs with npm into an empty project
  // (third-party dependencies from the registry), then runs node, tsc, attw and publint on them.
  test: { name: 'packaging', testTimeout: 120_000, hookTimeout: 600_000 },
});
