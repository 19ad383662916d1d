import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../tools/scripts/vitest-conditions.js';

export default defineProject({
  ...sourceConditions,
  // End-to-end tests start servers and child processes; a loaded CI machine needs headroom.
  test: { name: 'sidecar', hookTimeout: 30_000, testTimeout: 30_000 },
});
