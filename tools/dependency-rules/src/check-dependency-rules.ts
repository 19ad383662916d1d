/**
 * The dependency rule of agent-runtime: a domain package (every `packages/*` except
 * `packages/contracts` and the composition root `packages/stack`) may depend on and import
 * `@runtime/contracts` only — never another domain package, the composition root or an app.
 * `packages/stack` and `apps/*` may import everything.
 *
 * One exception, for adapter packages: `packages/langchain` may also use `@runtime/cost` in its
 * benchmarks and tests (files outside `src/`, and `*.test.ts`) and list it in `devDependencies` or
 * as an optional peer — never in `dependencies` or in shipped source. Its shipped code talks to
 * the cost domain through the contracts' interfaces, like every domain package.
 *
 * Both places a dependency can hide are checked: every dependency field of each domain
 * `package.json`, and every module specifier (static, type-only, re-export, dynamic `import()`,
 * `require`) in each domain package's TypeScript files, including relative paths that climb into
 * another package. Not responsible for third-party dependencies.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const sharedPackageName = '@runtime/contracts';
const sharedPackageFolder = 'contracts';
/** The composition root (`createRuntime`) may import every domain, like the apps. */
const compositionRootFolder = 'stack';
const dependencyFields = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
/** Adapter folder → the domain packages its benchmarks and tests may use (see the header). */
const adapterTestDependencies: ReadonlyMap<string, ReadonlySet<string>> = new Map([['langchain', new Set(['@runtime/cost'])]]);
const skippedFolders = new Set(['node_modules', 'dist', 'temp', 'coverage', '__fixtures__', '.turbo']);

export interface DependencyRuleViolation {
  /** Short folder name of the offending domain package, e.g. `cost`. */
  readonly packageFolder: string;
  /** Workspace-relative file: a `package.json` or a source file. */
  readonly file: string;
  /** The dependency name or module specifier that breaks the rule. */
  readonly specifier: string;
  readonly reason: string;
}

export interface DependencyRuleReport {
  readonly domainPackages: readonly string[];
  readonly manifestsScanned: number;
  readonly sourceFilesScanned: number;
  readonly importsScanned: number;
  readonly violations: readonly DependencyRuleViolation[];
}

interface WorkspacePackage {
  readonly name: string;
  readonly folder: string;
  readonly directory: string;
  readonly kind: 'shared' | 'domain' | 'composition-root' | 'app' | 'tool';
}

function readManifest(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function listWorkspacePackages(workspaceRoot: string): WorkspacePackage[] {
  const result: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps', 'tools'] as const) {
    const groupPath = join(workspaceRoot, group);
    if (!existsSync(groupPath)) continue;
    for (const entry of readdirSync(groupPath, { withFileTypes: true })) {
      const directory = join(groupPath, entry.name);
      if (!entry.isDirectory() || !existsSync(join(directory, 'package.json'))) continue;
      const manifest = readManifest(join(directory, 'package.json'));
      const name = typeof manifest['name'] === 'string' ? manifest['name'] : entry.name;
      let kind: WorkspacePackage['kind'];
      if (group === 'apps') kind = 'app';
      else if (group === 'tools') kind = 'tool';
      else if (entry.name === compositionRootFolder) kind = 'composition-root';
      else if (name === sharedPackageName || entry.name === sharedPackageFolder) kind = 'shared';
      else kind = 'domain';
      result.push({ name, folder: entry.name, directory, kind });
    }
  }
  return result;
}

function listTypeScriptFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (skippedFolders.has(entry.name)) continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...listTypeScriptFiles(path));
    else if (/\.(?:c|m)?tsx?$/.test(entry.name)) files.push(path);
  }
  return files;
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function moduleSpecifiers(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return [...info.importedFiles, ...info.referencedFiles, ...info.typeReferenceDirectives].map((ref) => ref.fileName);
}

/** Checks the dependency rule for the workspace rooted at `workspaceRoot`. */
export function checkDependencyRules(workspaceRoot: string): DependencyRuleReport {
  const root = resolve(workspaceRoot);
  const packages = listWorkspacePackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const domainPackages = packages.filter((p) => p.kind === 'domain');
  const violations: DependencyRuleViolation[] = [];
  let sourceFilesScanned = 0;
  let importsScanned = 0;

  const forbiddenTarget = (from: WorkspacePackage, target: WorkspacePackage | undefined): string | undefined => {
    if (!target || target.name === from.name || target.kind === 'shared' || target.kind === 'tool') return undefined;
    return `a domain package may depend on ${sharedPackageName} only, not on ${target.kind} package ${target.name}`;
  };

  for (const domain of domainPackages) {
    const manifestPath = join(domain.directory, 'package.json');
    const manifest = readManifest(manifestPath);
    const testOnly = adapterTestDependencies.get(domain.folder) ?? new Set<string>();
    const optionalPeers = (manifest['peerDependenciesMeta'] ?? {}) as Record<string, { optional?: boolean } | undefined>;
    for (const field of dependencyFields) {
      const dependencies = manifest[field];
      if (typeof dependencies !== 'object' || dependencies === null) continue;
      for (const dependency of Object.keys(dependencies)) {
        const allowed = testOnly.has(dependency) && (field === 'devDependencies' || (field === 'peerDependencies' && optionalPeers[dependency]?.optional === true));
        if (allowed) continue;
        const reason = forbiddenTarget(domain, byName.get(dependency));
        if (reason) violations.push({ packageFolder: domain.folder, file: relative(root, manifestPath), specifier: dependency, reason: `${field}: ${reason}` });
      }
    }

    for (const file of listTypeScriptFiles(domain.directory)) {
      sourceFilesScanned += 1;
      const shipped = file.startsWith(join(domain.directory, 'src') + sep) && !/\.test(?:-d)?\.tsx?$/.test(file);
      for (const specifier of moduleSpecifiers(readFileSync(file, 'utf8'))) {
        importsScanned += 1;
        if (!shipped && testOnly.has(packageNameOf(specifier))) continue;
        let target: WorkspacePackage | undefined;
        if (specifier.startsWith('.')) {
          // A relative path that climbs out of this package into another one is a deep import.
          const resolved = resolve(file, '..', specifier);
          if (!resolved.startsWith(domain.directory + sep)) {
            target = packages.find((p) => resolved === p.directory || resolved.startsWith(p.directory + sep));
          }
        } else {
          target = byName.get(packageNameOf(specifier));
        }
        const reason = forbiddenTarget(domain, target);
        if (reason) violations.push({ packageFolder: domain.folder, file: relative(root, file), specifier, reason });
      }
    }
  }

  return {
    domainPackages: domainPackages.map((p) => p.name),
    manifestsScanned: domainPackages.length,
    sourceFilesScanned,
    importsScanned,
    violations,
  };
}
