import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../tools/scripts/vitest-conditions.js';

export default defineProject({
  ...sourceConditions,
  test: { name: 'planner' },
});
