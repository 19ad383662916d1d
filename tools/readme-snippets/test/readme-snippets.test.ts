/**
 * Every ```ts block of every README: type-checked as one TypeScript program with the repository's
 * strict compiler options (tools/tsconfig/base.json) against the workspace packages' source (the
 * `@runtime/source` condition, as the tests use), then run with node + tsx unless marked
 * `no-run: <reason>`. Runs are offline: no API key reaches them, so `createRuntime()` uses the
 * mock provider. Relative imports in a block resolve from its README's folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceGlobs, workspaceRoot } from '../../packaging/src/workspace.js';
import { allSnippets } from '../src/snippets.js';
import type { Snippet } from '../src/snippets.js';

const toolDir = dirname(dirname(fileURLToPath(import.meta.url)));
const snippets = allSnippets();
let work = '';
const fileOf = new Map<Snippet, string>();
const diagnosticsOf = new Map<string, string[]>();

function slug(snippet: Snippet): string {
  return `${snippet.readme.replace(/[^\w.-]+/g, '_')}-L${snippet.line}.ts`;
}

/** Relative module specifiers point at the README's folder. */
function withAbsoluteImports(snippet: Snippet): string {
  const base = dirname(join(workspaceRoot, snippet.readme));
  return snippet.code.replace(/(\bfrom\s*|\bimport\s*\(\s*|^import\s+)(['"])(\.\.?\/[^'"]+)\2/gm, (_, head: string, quote: string, path: string) => `${head}${quote}${resolve(base, path)}${quote}`);
}

/** Links every workspace package under `<work>/node_modules`, so imports resolve as in the workspace. */
function linkWorkspacePackages(into: string): void {
  for (const folder of workspaceGlobs()) {
    const parent = join(workspaceRoot, folder);
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      const manifestPath = join(parent, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const { name } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: string };
      if (name === undefined) continue;
      const link = join(into, 'node_modules', ...name.split('/'));
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(parent, entry.name), link, 'dir');
    }
  }
}

beforeAll(() => {
  mkdirSync(join(toolDir, 'temp'), { recursive: true });
  work = mkdtempSync(join(toolDir, 'temp', 'snippets-'));
  linkWorkspacePackages(work);
  for (const snippet of snippets) {
    const file = join(work, slug(snippet));
    const code = withAbsoluteImports(snippet);
    // A block without import/export is a script to TypeScript; top-level await needs a module.
    writeFileSync(file, /^\s*(import|export)\s/m.test(code) ? code : `${code}export {};\n`);
    fileOf.set(snippet, file);
  }

  const baseConfig = join(workspaceRoot, 'tools', 'tsconfig', 'base.json');
  const read = ts.readConfigFile(baseConfig, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent({ ...read.config, include: [] }, ts.sys, work, undefined, baseConfig);
  const program = ts.createProgram({ rootNames: [...fileOf.values()], options: { ...parsed.options, noEmit: true } });
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file?.fileName ?? '(program)';
    const snippet = [...fileOf].find(([, path]) => path === file)?.[0];
    const position = diagnostic.file !== undefined && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined;
    const where = snippet !== undefined && position !== undefined ? `${snippet.readme}:${snippet.line + 1 + position.line}:${position.character + 1}` : file;
    const message = `${where} TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    diagnosticsOf.set(file, [...(diagnosticsOf.get(file) ?? []), message]);
  }
});

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('README snippets', () => {
  it('are found in the READMEs', () => {
    expect(snippets.length).toBeGreaterThan(0);
  });

  it('type-check as one program: no diagnostic outside the snippet files', () => {
    const snippetFiles = new Set(fileOf.values());
    const elsewhere = [...diagnosticsOf].filter(([file]) => !snippetFiles.has(file)).flatMap(([, messages]) => messages);
    expect(elsewhere).toEqual([]);
  });

  for (const snippet of snippets) {
    const name = `${snippet.readme}:${snippet.line}`;

    it(`${name} type-checks`, () => {
      const messages = diagnosticsOf.get(fileOf.get(snippet) ?? '') ?? [];
      if (messages.length > 0) throw new Error(`README snippet ${name} does not type-check:\n${messages.join('\n')}`);
      expect(messages).toEqual([]);
    });

    if (snippet.noRun !== undefined) {
      it(`${name} is not run: ${snippet.noRun}`, () => {
        expect(snippet.noRun?.length).toBeGreaterThan(0);
      });
      continue;
    }

    it(`${name} runs offline`, () => {
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/API_KEY$/.test(key)));
      const result = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@runtime/source', fileOf.get(snippet) ?? ''], {
        cwd: work,
        env: { ...env, NODE_NO_WARNINGS: '1' },
        encoding: 'utf8',
        timeout: 90_000,
        killSignal: 'SIGKILL',
      });
      const output = `${result.stdout}${result.stderr}${result.error ? `\n${result.error.message}` : ''}`;
      if (result.status !== 0) throw new Error(`README snippet ${name} failed to run (exit ${result.status ?? result.signal}):\n${output}`);
      expect(result.status).toBe(0);
    });
  }
});
