import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../tools/scripts/vitest-conditions.js';

export default defineProject({
  ...sourceConditions,
  // End-to-end tests start servers and child processes; a loaded CI machine needs headroom.
  // The process tests run the built bin: dist is built once per test run.
  test: { name: 'sidecar', hookTimeout: 30_000, testTimeout: 30_000, globalSetup: ['test/support/build-dist.ts'] },
});
