import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../tools/scripts/vitest-conditions.js';

export default defineProject({
  ...sourceConditions,
  // One TypeScript program over every snippet (≈10–20 s), then each runnable snippet in its own
  // node process (tsx, the `@runtime/source` condition).
  test: { name: 'readme-snippets', testTimeout: 120_000, hookTimeout: 300_000 },
});
