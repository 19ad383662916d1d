/**
 * Every published package, as a user gets it: `pnpm pack` (workspace: ranges become versions), the
 * tarballs installed with plain npm into an empty project outside the workspace (no links), then
 * - `import` and `require` of every subpath export: same export names, `require` loads the
 *   CommonJS build (`.cjs`), and it loads without Node's `require(esm)` too (Node < 20.19),
 * - a consumer typechecked under `module`/`moduleResolution` node16, nodenext (ESM and CommonJS
 *   files) and bundler, with `skipLibCheck: false` so the shipped declarations are checked,
 * - `attw --profile node16` (are the types wrong) and `publint --strict` on each tarball.
 * Needs a prior build (`pnpm build`; `pnpm check` builds first) and the npm registry for the
 * third-party dependencies. Failures carry the tool's whole output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishedPackages, workspaceRoot } from '../src/workspace.js';
import type { PublishedPackage } from '../src/workspace.js';

const PNPM = ['-y', 'pnpm@10.34.9'];
const bin = (name: string): string => join(workspaceRoot, 'node_modules', '.bin', name);
const packages = publishedPackages();
const specifiers = packages.flatMap((pkg) => pkg.specifiers);

let work = '';
let consumer = '';
const tarballs = new Map<string, string>();

function run(command: string, args: readonly string[], cwd: string): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { ok: result.status === 0, output };
}

function mustRun(command: string, args: readonly string[], cwd: string): string {
  const { ok, output } = run(command, args, cwd);
  if (!ok) throw new Error(`\`${command} ${args.join(' ')}\` failed in ${cwd}:\n${output}`);
  return output;
}

function tarballName(pkg: PublishedPackage): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

/** One `name@range` per peer dependency of any package; of several ranges, the one naming the highest version. */
function peerInstallSpecs(): string[] {
  const byName = new Map<string, string>();
  const floor = (range: string): number[] => (/(\d+)\.(\d+)\.(\d+)/.exec(range) ?? ['', '0', '0', '0']).slice(1).map(Number);
  const newer = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    return false;
  };
  for (const pkg of packages) {
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      const held = byName.get(name);
      if (held === undefined || newer(floor(range), floor(held))) byName.set(name, range);
    }
  }
  return [...byName].map(([name, range]) => `${name}@${range}`);
}

beforeAll(() => {
  const missing = packages.flatMap((pkg) => pkg.targets.filter((target) => !existsSync(join(pkg.dir, target))).map((target) => `${pkg.name}: ${target}`));
  if (missing.length > 0) {
    throw new Error(`packaging: files the exports point to are missing; build first (\`pnpm build\`):\n${missing.join('\n')}`);
  }
  work = mkdtempSync(join(tmpdir(), 'runtime-packaging-'));
  const packed = join(work, 'tarballs');
  mkdirSync(packed);
  mustRun('npx', [...PNPM, ...packages.flatMap((pkg) => ['--filter', pkg.name]), 'pack', '--pack-destination', packed], workspaceRoot);
  for (const pkg of packages) {
    const file = join(packed, tarballName(pkg));
    if (!existsSync(file)) throw new Error(`packaging: pnpm pack wrote no ${file}`);
    tarballs.set(pkg.name, file);
  }

  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'packaging-consumer', private: true }));
  // --ignore-scripts: better-sqlite3 (an optional peer) would compile its addon; importing the
  // `sqlite` subpath loads the JavaScript only, the addon loads when a database is opened.
  mustRun(
    'npm',
    ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.values(), ...peerInstallSpecs(), '@types/node@^20.19.0'],
    consumer,
  );
  // Peers that ship no declarations (pg) get their DefinitelyTyped package, as a TypeScript user
  // of that subpath would install it.
  const untyped = Object.keys(Object.fromEntries(packages.flatMap((pkg) => Object.entries(pkg.peerDependencies)))).filter((peer) => {
    const manifest = JSON.parse(readFileSync(join(consumer, 'node_modules', peer, 'package.json'), 'utf8')) as { types?: string; typings?: string };
    return manifest.types === undefined && manifest.typings === undefined && !existsSync(join(consumer, 'node_modules', peer, 'index.d.ts'));
  });
  if (untyped.length > 0) {
    const types = untyped.map((peer) => `@types/${peer.replace(/^@/, '').replace('/', '__')}`);
    mustRun('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...types], consumer);
  }
});

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('published packages', () => {
  it('are discovered from the workspace (every non-private package)', () => {
    expect(packages.map((pkg) => pkg.name)).toContain('@runtime/cost');
    expect(packages.every((pkg) => pkg.specifiers.length > 0)).toBe(true);
  });

  for (const pkg of packages) {
    it(`${pkg.name}: attw --profile node16 finds no problem`, () => {
      const { ok, output } = run(bin('attw'), [tarballs.get(pkg.name) ?? '', '--profile', 'node16', '--format', 'ascii', '--no-color', '--no-emoji', '--no-definitely-typed'], work);
      if (!ok) throw new Error(`attw failed for ${pkg.name}:\n${output}`);
      // Node10 (no `exports` support) is outside the node16 profile: its subpath lines are ignored.
      const checked = output.split('\n').filter((line) => /^(node16 \(from (CJS|ESM)\)|bundler): /.test(line.trim()));
      expect(checked.length, output).toBe(3 * (pkg.specifiers.length + 1));
      expect(checked.filter((line) => !line.includes(': OK')), output).toEqual([]);
    });

    it(`${pkg.name}: publint --strict is clean`, () => {
      const { ok, output } = run(bin('publint'), ['run', tarballs.get(pkg.name) ?? '', '--strict', '--level', 'suggestion'], work);
      if (!ok || !output.includes('All good!')) throw new Error(`publint is not clean for ${pkg.name}:\n${output}`);
    });
  }
});

describe('installed tarballs', () => {
  interface Loaded {
    readonly specifier: string;
    readonly resolved: string;
    readonly exports: readonly string[];
  }

  function load(kind: 'import' | 'require', nodeFlags: readonly string[] = []): Loaded[] {
    const script =
      kind === 'import'
        ? `const out = [];
for (const specifier of ${JSON.stringify(specifiers)}) {
  const module = await import(specifier);
  out.push({ specifier, resolved: import.meta.resolve(specifier), exports: Object.keys(module).filter((k) => k !== 'default' && k !== 'module.exports').sort() });
}
console.log(JSON.stringify(out));`
        : `const out = [];
for (const specifier of ${JSON.stringify(specifiers)}) {
  const module = require(specifier);
  out.push({ specifier, resolved: require.resolve(specifier), exports: Object.keys(module).filter((k) => k !== 'default').sort() });
}
console.log(JSON.stringify(out));`;
    const file = join(consumer, kind === 'import' ? 'load.mjs' : 'load.cjs');
    writeFileSync(file, script);
    const output = mustRun(process.execPath, [...nodeFlags, file], consumer);
    return JSON.parse(output.trim().split('\n').pop() ?? '[]') as Loaded[];
  }

  it('every subpath export loads with import (the ESM build) and exports something', () => {
    const loaded = load('import');
    expect(loaded.map((entry) => entry.specifier)).toEqual(specifiers);
    for (const entry of loaded) {
      expect(entry.resolved, entry.specifier).toMatch(/\/node_modules\/@runtime\/[^/]+\/dist\/[^/]+\.js$/);
      expect(entry.exports.length, entry.specifier).toBeGreaterThan(0);
    }
  });

  it('every subpath export loads with require (the CommonJS build) with the same export names', () => {
    const imported = new Map(load('import').map((entry) => [entry.specifier, entry.exports]));
    const required = load('require');
    expect(required.map((entry) => entry.specifier)).toEqual(specifiers);
    for (const entry of required) {
      expect(entry.resolved, entry.specifier).toMatch(/\/node_modules\/@runtime\/[^/]+\/dist\/[^/]+\.cjs$/);
      expect(entry.exports, entry.specifier).toEqual(imported.get(entry.specifier));
    }
  });

  it('require works without require(esm) (as on Node 20.11–20.18): no ESM-only module in the CommonJS graph', () => {
    // Node ≥ 20.19 can require() ES modules; turning that off shows the CommonJS build needs none.
    const flag = '--no-experimental-require-module';
    expect(process.allowedNodeEnvironmentFlags.has(flag)).toBe(true);
    const required = load('require', [flag]);
    expect(required.map((entry) => entry.specifier)).toEqual(specifiers);
  });

  it('a subpath throws the same error class the main entry exports, in both formats (shared chunks)', () => {
    // `parseOrThrow` (./schemas) throws a ValidationError; it must be the class `.` exports, or
    // `instanceof` breaks between subpaths. CommonJS keeps one copy through tsup's cjs splitting.
    const check = (load: (specifier: string) => string): string => `const { ValidationError } = ${load('@runtime/contracts')};
const { parseOrThrow, modelIdSchema } = ${load('@runtime/contracts/schemas')};
let result = 'no throw';
try { parseOrThrow(modelIdSchema, 42); } catch (error) { result = error instanceof ValidationError ? 'same class' : 'other class'; }
console.log(result);`;
    writeFileSync(join(consumer, 'classes.cjs'), check((s) => `require('${s}')`));
    writeFileSync(join(consumer, 'classes.mjs'), check((s) => `await import('${s}')`));
    expect(mustRun(process.execPath, [join(consumer, 'classes.cjs')], consumer).trim()).toBe('same class');
    expect(mustRun(process.execPath, [join(consumer, 'classes.mjs')], consumer).trim()).toBe('same class');
  });

  const resolutions = [
    { name: 'node16', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, files: ['esm.mts', 'cjs.cts'] },
    { name: 'nodenext', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, files: ['esm.mts', 'cjs.cts'] },
    { name: 'bundler', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' }, files: ['bundler.ts'] },
  ] as const;

  for (const resolution of resolutions) {
    it(`a consumer typechecks under moduleResolution ${resolution.name} (${resolution.files.join(', ')})`, () => {
      const dir = join(consumer, `ts-${resolution.name}`);
      mkdirSync(dir, { recursive: true });
      const names = specifiers.map((_, index) => `m${index}`);
      const esm = `${specifiers.map((specifier, index) => `import * as m${index} from '${specifier}';`).join('\n')}
export const modules: readonly object[] = [${names.join(', ')}];
`;
      const cjs = `${specifiers.map((specifier, index) => `import m${index} = require('${specifier}');`).join('\n')}
export const modules: readonly object[] = [${names.join(', ')}];
`;
      writeFileSync(join(dir, 'esm.mts'), esm);
      writeFileSync(join(dir, 'bundler.ts'), esm);
      writeFileSync(join(dir, 'cjs.cts'), cjs);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...resolution.compilerOptions, target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
          files: resolution.files,
        }),
      );
      const { ok, output } = run(process.execPath, [join(workspaceRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--pretty', 'false'], dir);
      // Our files and our declarations must be clean. A third-party peer's own declarations may not
      // be under every setting (@langchain/core's .d.cts import an ES-only module, which `module:
      // node16` rejects): those errors are not ours and are not counted, but a failing tsc run
      // without any attributable error line still fails.
      const errors = output.split('\n').filter((line) => /\): error TS\d+:/.test(line));
      const ours = errors.filter((line) => !line.includes('node_modules/') || line.includes('node_modules/@runtime/'));
      if (ours.length > 0 || (!ok && errors.length === 0)) throw new Error(`tsc (${resolution.name}) failed on the installed packages:\n${output}`);
      expect(ours).toEqual([]);
    });
  }
});
