#!/usr/bin/env node
// Standalone install check: builds and packs @runtime/contracts and @runtime/cost, installs the two
// tarballs with plain npm into an empty directory outside the workspace, and runs the README
// example (between <!-- standalone-example:start/end -->) with plain node against a fake `openai`
// package shaped like the official SDK. Exits non-zero on any failure. Needs the npm registry for
// the third-party dependencies (gpt-tokenizer, yaml, zod).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const workspace = dirname(dirname(packageDir));
const work = mkdtempSync(join(tmpdir(), 'cost-standalone-'));
const keep = process.argv.includes('--keep');

const started = Date.now();
const step = (label) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${label}\n`);

/** Whether a package's dist is newer than every file of its src (then a build would change nothing). */
function builtFresh(dir) {
  const newest = (folder) => {
    let latest = 0;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }
    return latest;
  };
  try {
    return statSync(join(dir, 'dist', 'index.d.ts')).mtimeMs > Math.max(newest(join(dir, 'src')), statSync(join(dir, 'package.json')).mtimeMs);
  } catch {
    return false;
  }
}

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

try {
  // Contracts is built under the shared lock other engineers use for it.
  if (!builtFresh(join(workspace, 'packages', 'contracts'))) {
    run('flock', ['/tmp/contracts.lock', 'pnpm', '--filter', '@runtime/contracts', 'build'], workspace);
  }
  if (!builtFresh(packageDir)) run('pnpm', ['--filter', '@runtime/cost', 'build'], workspace);
  step('built');
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const name of ['@runtime/contracts', '@runtime/cost']) run('pnpm', ['--filter', name, 'pack', '--pack-destination', tarballs], workspace);
  const packed = readdirSync(tarballs).map((file) => join(tarballs, file));
  step('packed');
  if (packed.length !== 2) throw new Error(`expected 2 tarballs, got ${packed.join(', ')}`);

  const fake = join(work, 'fake-openai');
  mkdirSync(fake);
  writeFileSync(join(fake, 'package.json'), JSON.stringify({ name: 'openai', version: '0.0.0-fake', type: 'module', main: 'index.js' }));
  writeFileSync(
    join(fake, 'index.js'),
    `export default class OpenAI {
  chat = { completions: { create: async (body) => ({
    id: 'chatcmpl-fake', model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Q3 costs fell 12%.' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30,
      prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
  }) } };
}
`,
  );

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'standalone-app', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed, fake], app);

  step('installed with npm');
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const block = /<!-- standalone-example:start -->\s*```js\n([\s\S]*?)```\s*<!-- standalone-example:end -->/.exec(readme);
  if (block === null) throw new Error('README has no standalone example block');
  writeFileSync(join(app, 'example.mjs'), block[1]);
  const output = run('node', ['example.mjs'], app);
  process.stdout.write(output);
  // 20 prompt tokens × $0.15/MTok + 10 completion tokens × $0.60/MTok = $0.000009
  if (!output.includes('Q3 costs fell 12%.') || !output.includes('$0.000009')) {
    throw new Error(`unexpected example output: ${output}`);
  }
  process.stdout.write(`standalone install OK (${work})\n`);
} catch (error) {
  const detail = error && typeof error === 'object' && 'stderr' in error ? String(error.stderr) : '';
  process.stderr.write(`standalone install FAILED: ${error instanceof Error ? error.message : String(error)}\n${detail}\n`);
  process.exitCode = 1;
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
