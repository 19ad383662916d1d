import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';

// Workspace packages resolve to their sources (`@runtime/source`), as in the apps.
const conditions = ['@runtime/source', ...defaultServerConditions];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@runtime/source'] } },
  test: { name: 'research-agent', hookTimeout: 30_000, testTimeout: 30_000 },
});
