import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../tools/scripts/vitest-conditions.js';

export default defineProject({
  ...sourceConditions,
  // Each case starts the real api-extractor CLI (run.mjs) in a child process: ≈1–3 s each.
  test: { name: 'api-extractor', testTimeout: 60_000 },
});
