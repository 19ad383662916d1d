// Shared by every package's vitest config: resolve workspace packages to their TypeScript source
// through the "@runtime/source" export condition, so tests never need a prior build.
import { defaultServerConditions } from 'vite';

const conditions = ['@runtime/source', ...defaultServerConditions];

/** Spread into a vitest project config. */
export const sourceConditions = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@runtime/source'] } },
};
