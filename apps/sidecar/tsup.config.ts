import { defineConfig } from 'tsup';

// The app is private and runs from dist in one process (`bin/runtime.mjs`). Workspace libraries are
// bundled from their source (the `@runtime/source` condition), so the app needs no other package
// to be built; npm dependencies stay external and load from node_modules.
export default defineConfig({
  entry: { 'cli/main': 'src/cli/main.ts', index: 'src/index.ts', demo: 'src/demo.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  dts: false,
  splitting: true,
  noExternal: [/^@runtime\//],
  esbuildOptions(options) {
    options.conditions = ['@runtime/source'];
  },
});
