import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';

// As tools/scripts/vitest-conditions.js (workspace packages resolve to their TypeScript source), but
// without the `module` condition and main field: `@opentelemetry/api` 1.9 and the SDK 2.x that the
// tracing tests import point `module` at ESM builds Node cannot load (extensionless imports), so
// here they load as CommonJS — as the library loads the API (`createRequire`).
const conditions = ['@runtime/source', ...defaultServerConditions.filter((condition) => condition !== 'module')];
const mainFields = ['main'];

export default defineProject({
  resolve: { conditions, mainFields },
  ssr: { resolve: { conditions, externalConditions: ['@runtime/source'], mainFields } },
  test: { name: 'stack' },
});
