// The build of every published package: dual ESM (`.js`, `.d.ts`) and CommonJS (`.cjs`, `.d.cts`),
// see the root README ("Packaging"). `shims` gives the CommonJS build an `import.meta.url`;
// `splitting` keeps code shared by several entries (error classes, …) in one chunk for CommonJS too,
// so subpaths share one copy.
import { defineConfig } from 'tsup';

/**
 * @param {Record<string, string>} entry subpath name → source file
 * @param {import('tsup').Options} [extra] package-specific options (e.g. `noExternal`)
 */
export function dualPackage(entry, extra = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    shims: true,
    splitting: true,
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...extra,
  });
}
