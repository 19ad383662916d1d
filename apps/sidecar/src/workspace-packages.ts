/**
 * Lists the packages of this workspace by reading `pnpm-workspace.yaml`-style folders
 * (`packages/*`, `apps/*`, `tools/*`) directly, so the placeholder demo needs no package manager.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One workspace package, as printed by the demo. */
export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly directory: string;
  readonly private: boolean;
}

const workspaceFolders = ['packages', 'apps', 'tools'] as const;

interface PackageJsonFields {
  name?: unknown;
  version?: unknown;
  private?: unknown;
}

/** Reads every `<folder>/<name>/package.json` under the workspace root, sorted by directory. */
export function listWorkspacePackages(workspaceRoot: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const folder of workspaceFolders) {
    const folderPath = join(workspaceRoot, folder);
    if (!existsSync(folderPath)) continue;
    for (const entry of readdirSync(folderPath, { withFileTypes: true })) {
      const manifestPath = join(folderPath, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageJsonFields;
      found.push({
        name: typeof manifest.name === 'string' ? manifest.name : entry.name,
        version: typeof manifest.version === 'string' ? manifest.version : '0.0.0',
        directory: `${folder}/${entry.name}`,
        private: manifest.private === true,
      });
    }
  }
  return found.sort((a, b) => a.directory.localeCompare(b.directory));
}
