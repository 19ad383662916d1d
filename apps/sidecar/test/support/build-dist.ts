/**
 * vitest global setup of the sidecar project: builds `dist` (tsup, about a second) so the process
 * tests run the `runtime` bin exactly as it ships.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const tsup = join(appRoot, '..', '..', 'node_modules', 'tsup', 'dist', 'cli-default.js');
  const result = spawnSync(process.execPath, [tsup, '--silent'], { cwd: appRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building the sidecar failed:\n${result.stdout}\n${result.stderr}`);
}
