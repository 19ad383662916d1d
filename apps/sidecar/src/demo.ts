/**
 * Placeholder for `pnpm demo`: prints the workspace packages and their versions. The real demo (a
 * DAG run through the sidecar against the deterministic mock provider) replaces this in the
 * sidecar issue.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listWorkspacePackages } from './workspace-packages.js';

const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const packages = listWorkspacePackages(workspaceRoot);
const nameWidth = Math.max(...packages.map((p) => p.name.length));

console.log('agent-runtime workspace packages:');
for (const p of packages) {
  const visibility = p.private ? 'private' : 'public';
  console.log(`  ${p.name.padEnd(nameWidth)}  ${p.version.padEnd(7)}  ${visibility.padEnd(7)}  ${p.directory}`);
}
console.log(`${packages.length} packages.`);
console.log('This is a placeholder: the real demo (a DAG run via the HTTP sidecar) comes with the sidecar issue.');
