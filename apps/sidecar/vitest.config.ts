import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';

// As tools/scripts/vitest-conditions.js (workspace packages resolve to their TypeScript source), but
// without the `module` condition and main field: `@opentelemetry/api` 1.9 (what the OpenTelemetry
// SDK 2.x installs; prom-client and the tracing test load it) points `module` at an ESM build Node
// cannot load (extensionless imports), so here packages load through `main`/`default` as in Node.
const conditions = ['@runtime/source', ...defaultServerConditions.filter((condition) => condition !== 'module')];
const mainFields = ['main'];

export default defineProject({
  resolve: { conditions, mainFields },
  ssr: { resolve: { conditions, externalConditions: ['@runtime/source'], mainFields } },
  // End-to-end tests start servers and child processes; a loaded CI machine needs headroom.
  // The process tests run the built bin: dist is built once per test run.
  test: { name: 'sidecar', hookTimeout: 30_000, testTimeout: 30_000, globalSetup: ['test/support/build-dist.ts'] },
});
