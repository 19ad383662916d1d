import { defineConfig } from 'vitest/config';

// One root config; every workspace package with a vitest.config.ts is a project (its `test.name`
// is the short package name). Globbing config files, not folders, keeps folders such as
// tools/tsconfig (no tests) from becoming empty projects.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tools/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
  },
});
