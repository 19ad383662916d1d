/**
 * Finds the packages this repository publishes: every non-private package of the pnpm workspace,
 * read from `pnpm-workspace.yaml` and each `package.json`, so a new package is checked without
 * editing a list.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A published workspace package and what its `exports` map promises. */
export interface PublishedPackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  /** Import specifiers of every code subpath export (`@runtime/cost`, `@runtime/cost/redis`, …). */
  readonly specifiers: readonly string[];
  /** Package-relative files the `exports`, `main`, `module` and `types` fields point to (not `@runtime/source`). */
  readonly targets: readonly string[];
  readonly peerDependencies: Readonly<Record<string, string>>;
}

interface Manifest {
  name?: string;
  version?: string;
  private?: boolean;
  main?: string;
  module?: string;
  types?: string;
  exports?: Record<string, unknown>;
  peerDependencies?: Record<string, string>;
}

/** The repository root (two levels above this folder). */
export const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The folder globs of `pnpm-workspace.yaml` (`packages/*` …); only `<folder>/*` entries are supported. */
export function workspaceGlobs(root: string = workspaceRoot): string[] {
  const text = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const section = /^packages:\s*\n((?:[ \t]+-[^\n]*\n?)+)/m.exec(text);
  if (section?.[1] === undefined) throw new Error('pnpm-workspace.yaml has no `packages:` list');
  return section[1]
    .split('\n')
    .map((line) => line.replace(/^\s*-\s*/, '').replace(/^['"]|['"]$/g, '').trim())
    .filter((glob) => glob.length > 0)
    .map((glob) => {
      if (!/^[\w.-]+\/\*$/.test(glob)) throw new Error(`pnpm-workspace.yaml: unsupported glob "${glob}" (expected <folder>/*)`);
      return glob.slice(0, -2);
    });
}

function exportTargets(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'object' && value !== null) {
    for (const [condition, target] of Object.entries(value)) {
      if (condition !== '@runtime/source') exportTargets(target, out);
    }
  }
}

/** Every non-private package of the workspace, sorted by name. */
export function publishedPackages(root: string = workspaceRoot): PublishedPackage[] {
  const found: PublishedPackage[] = [];
  for (const folder of workspaceGlobs(root)) {
    const parent = join(root, folder);
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      const manifestPath = join(parent, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      if (manifest.private === true) continue;
      if (manifest.name === undefined || manifest.version === undefined || manifest.exports === undefined) {
        throw new Error(`${manifestPath}: a published package needs name, version and exports`);
      }
      const name = manifest.name;
      const specifiers = Object.keys(manifest.exports)
        .filter((subpath) => subpath !== './package.json')
        .map((subpath) => (subpath === '.' ? name : `${name}/${subpath.replace(/^\.\//, '')}`));
      const targets: string[] = [];
      exportTargets(manifest.exports, targets);
      for (const field of [manifest.main, manifest.module, manifest.types]) if (field !== undefined) targets.push(field);
      found.push({
        name,
        version: manifest.version,
        dir: join(parent, entry.name),
        specifiers,
        targets: [...new Set(targets.map((target) => target.replace(/^\.\//, '')))].filter((target) => target !== 'package.json'),
        peerDependencies: manifest.peerDependencies ?? {},
      });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
