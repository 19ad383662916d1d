import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';

// As apps/sidecar/vitest.config.ts: the sidecar test starts the real sidecar in-process, whose
// `@opentelemetry/api` 1.9 must load through `main` (its `module` build is not loadable by Node).
const conditions = ['@runtime/source', ...defaultServerConditions.filter((condition) => condition !== 'module')];
const mainFields = ['main'];

export default defineProject({
  resolve: { conditions, mainFields },
  ssr: { resolve: { conditions, externalConditions: ['@runtime/source'], mainFields } },
  test: { name: 'langchain-example', hookTimeout: 30_000, testTimeout: 30_000 },
});
