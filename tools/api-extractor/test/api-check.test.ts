/**
 * Proves the API lock with the real CLI: `run.mjs` is started as a child process in a copy of a
 * small fixture package that extends the same `base.json` every published package extends. The
 * copies live in `tools/api-extractor/temp/` (git-ignored) so that module resolution — e.g. the
 * `@types/node` that base.json asks for — behaves as it does for a package of this workspace.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const runner = join(here, '..', 'run.mjs');
const baseConfig = join(here, '..', 'base.json');
const fixture = join(here, '__fixtures__', 'api-fixture');
const variants = join(here, '__fixtures__', 'variants');
const scratch = join(here, '..', 'temp');

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Copies the fixture package to a scratch folder, with `variant` (or the original) as its build output. */
function preparePackage(variant?: string): string {
  mkdirSync(scratch, { recursive: true });
  const dir = mkdtempSync(join(scratch, 'api-check-'));
  copies.push(dir);
  cpSync(fixture, dir, { recursive: true });
  writeFileSync(join(dir, 'api-extractor.json'), JSON.stringify({ extends: baseConfig }, null, 2));
  mkdirSync(join(dir, 'dist'));
  cpSync(variant ? join(variants, variant) : join(fixture, 'public-api.d.ts'), join(dir, 'dist', 'index.d.ts'));
  return dir;
}

function runCli(cwd: string, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [runner, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('runtime-api-extractor (run.mjs)', () => {
  it('passes when the public API matches the committed report', () => {
    const { status, output } = runCli(preparePackage());
    expect(output).toContain('API report matches');
    expect(status).toBe(0);
  });

  it('fails when an exported type changed without updating the report', () => {
    const { status, output } = runCli(preparePackage('changed-type.d.ts'));
    expect(output).toContain('the public API differs from');
    expect(output).toContain('pnpm api:update');
    expect(status).toBe(1);
  });

  it('fails with ae-forgotten-export when a referenced type is not exported', () => {
    const { status, output } = runCli(preparePackage('forgotten-export.d.ts'));
    expect(output).toContain('ae-forgotten-export');
    expect(output).toMatch(/GreetOptions/);
    expect(status).toBe(1);
  });

  it('fails with ae-missing-release-tag when an export has no release tag', () => {
    const { status, output } = runCli(preparePackage('missing-release-tag.d.ts'));
    expect(output).toContain('ae-missing-release-tag');
    expect(status).toBe(1);
  });

  it('--local rewrites the report, after which the check passes', () => {
    const dir = preparePackage('changed-type.d.ts');
    const update = runCli(dir, '--local');
    expect(update.status).toBe(0);
    expect(readFileSync(join(dir, 'etc', 'api-fixture.api.md'), 'utf8')).toContain('readonly name: number;');
    expect(runCli(dir).status).toBe(0);
  });
});
