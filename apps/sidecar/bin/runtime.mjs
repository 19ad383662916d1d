#!/usr/bin/env node
// The `runtime` bin: the built CLI (tsup → dist), in this very process, so signals reach the
// server directly and nothing outlives a SIGKILL. Build it with `pnpm build` (turbo builds it
// before `demo`, `test` and the CLI's users in a fresh clone).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`runtime: ${main} is missing; build the app first (pnpm build, or pnpm --filter @runtime/sidecar build)\n`);
  process.exit(3);
}
await import(pathToFileURL(main).href);
