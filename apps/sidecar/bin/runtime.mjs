#!/usr/bin/env node
// Runs the TypeScript CLI from source with tsx (the app is private and not built), resolving
// workspace packages to their source with the "@runtime/source" condition. Signals are forwarded
// so `runtime serve` shuts down gracefully on SIGTERM.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
// Resolved from here, so the bin works from any working directory.
const tsx = import.meta.resolve('tsx');
const child = spawn(
  process.execPath,
  ['--import', tsx, '--conditions=@runtime/source', join(appRoot, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
