import { defineConfig } from 'tsup';

// Dual package: ESM (`.js`, `.d.ts`) and CommonJS (`.cjs`, `.d.cts`), see the root README
// ("Packaging"). `@langchain/core` is a peer: tsup leaves peers external, so the user's copy is used.
export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  shims: true,
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
