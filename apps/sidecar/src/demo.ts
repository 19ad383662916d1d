/**
 * Entry of `pnpm demo` (see {@link runDemo}); an optional argument names another plan file.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from './demo/run-demo.js';

const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const planPath = process.argv[2] ?? join(workspaceRoot, 'examples', 'runtime-layer', 'plan.json');
const run = await runDemo({ planPath, write: (line) => process.stdout.write(`${line}\n`) });
process.exitCode = run.state === 'completed' ? 0 : 1;
