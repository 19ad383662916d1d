import { defineConfig } from 'tsup';

// Dual package: ESM (`.js`, `.d.ts`) and CommonJS (`.cjs`, `.d.cts`), see the root README
// ("Packaging"). `shims` gives the CommonJS build an `import.meta.url`; `splitting` keeps code shared
// by several entries (error classes, …) in one chunk for CommonJS too, so subpaths share one copy.
// `p-limit` and its `yocto-queue` are ESM-only: they are bundled, so the CommonJS build loads on Node
// 20.11–20.18 (no require(esm)) and the package has no runtime dependency besides contracts.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  shims: true,
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  noExternal: ['p-limit', 'yocto-queue'],
});
