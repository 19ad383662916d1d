/**
 * TokenEstimator throughput on 2 MB of mixed prose and code (Markdown and JavaScript from
 * node_modules, interleaved, ~4 KB documents, all distinct), next to raw js-tiktoken and raw
 * gpt-tokenizer in the same run; repeated text (the LRU cache); and cold start in fresh processes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTokenEstimator } from '../src/token-estimator.js';
import { formatRate, row } from './format.js';

const TARGET_BYTES = 2_000_000;
const DOCUMENT_CHARS = 4096;
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const store = join(packageDir, '..', '..', 'node_modules', '.pnpm');

function collect(extension: string, limit: number): string[] {
  const texts: string[] = [];
  let total = 0;
  const walk = (folder: string, depth: number): void => {
    if (total >= limit || depth > 8) return;
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return;
    }
    for (const entry of entries) {
      if (total >= limit) return;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.name.endsWith(extension) && !entry.name.endsWith('.min.js') && statSync(path).size < 200_000) {
        const text = readFileSync(path, 'utf8');
        for (let start = 0; start < text.length && total < limit; start += DOCUMENT_CHARS) {
          const chunk = text.slice(start, start + DOCUMENT_CHARS);
          texts.push(chunk);
          total += Buffer.byteLength(chunk);
        }
      }
    }
  };
  walk(store, 0);
  return texts;
}

function corpus(): string[] {
  const prose = collect('.md', TARGET_BYTES / 2);
  const proseBytes = prose.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const code = collect('.js', TARGET_BYTES - proseBytes);
  const mixed: string[] = [];
  for (let index = 0; index < Math.max(prose.length, code.length); index++) {
    const a = prose[index];
    const b = code[index];
    if (a !== undefined) mixed.push(a);
    if (b !== undefined) mixed.push(b);
  }
  return [...new Set(mixed)];
}

function throughput(documents: readonly string[], count: (text: string) => number): { mbPerSecond: number; tokens: number } {
  const bytes = documents.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  let tokens = 0;
  const started = performance.now();
  for (const text of documents) tokens += count(text);
  const seconds = (performance.now() - started) / 1000;
  return { mbPerSecond: bytes / 1e6 / seconds, tokens };
}

function coldStartMs(script: string): number {
  const runs: number[] = [];
  for (let index = 0; index < 3; index++) {
    runs.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' }).trim()));
  }
  return Math.min(...runs);
}

export function benchTokenizer(): void {
  const documents = corpus();
  const megabytes = documents.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / 1e6;
  console.log(`TokenEstimator: ${megabytes.toFixed(2)} MB of mixed prose and code in ${documents.length} distinct documents (o200k_base)`);
  const require = createRequire(import.meta.url);
  const gpt = require('gpt-tokenizer/encoding/o200k_base') as {
    countTokens(text: string, options: object): number;
    clearMergeCache(): void;
    setMergeCacheSize(size: number): void;
    DEFAULT_MERGE_CACHE_SIZE: number;
  };
  const lite = require('js-tiktoken/lite') as { Tiktoken: new (ranks: unknown) => { encode(text: string, a: string[], b: string[]): number[] } };
  const ranks = require('js-tiktoken/ranks/o200k_base') as { default?: unknown };
  const tiktoken = new lite.Tiktoken(ranks.default ?? ranks);
  const noSpecial = { disallowedSpecial: new Set<string>() };

  // Warm the JIT on other text, then clear gpt-tokenizer's internal merge cache before each cold
  // pass (our estimator uses the same module instance, so neither profits from the other's pass).
  const warmUp = documents.slice(0, 20).map((text) => text.split('').reverse().join(''));
  const estimator = createTokenEstimator();
  for (const text of warmUp) {
    tiktoken.encode(text, [], []);
    gpt.countTokens(text, noSpecial);
    estimator.countText(text, 'gpt-4o');
  }
  const rawTiktoken = throughput(documents, (text) => tiktoken.encode(text, [], []).length);
  // Alternate raw and ours twice (fresh estimator, cleared caches) and keep the best of each:
  // the machine is shared, so a single pass is at the mercy of whatever else runs.
  const passes: { raw: number; ours: number }[] = [];
  let rawGpt = { mbPerSecond: 0, tokens: 0 };
  let ours = { mbPerSecond: 0, tokens: 0 };
  for (let pass = 0; pass < 3; pass++) {
    gpt.clearMergeCache();
    const raw = throughput(documents, (text) => gpt.countTokens(text, noSpecial));
    gpt.clearMergeCache();
    const fresh = createTokenEstimator();
    const mine = throughput(documents, (text) => fresh.countText(text, 'gpt-4o'));
    passes.push({ raw: raw.mbPerSecond, ours: mine.mbPerSecond });
    if (raw.mbPerSecond > rawGpt.mbPerSecond) rawGpt = raw;
    if (mine.mbPerSecond > ours.mbPerSecond) ours = mine;
  }
  // Overhead under noise: raw and ours on the same document back to back (order alternating), with
  // gpt-tokenizer's merge cache off so neither warms it for the other; the ratio of the summed
  // times is robust to the load drifting during the run.
  gpt.setMergeCacheSize(0);
  const paired = createTokenEstimator();
  let rawMs = 0;
  let oursMs = 0;
  for (const [index, text] of documents.entries()) {
    for (const which of index % 2 === 0 ? ['raw', 'ours'] : ['ours', 'raw']) {
      const started = performance.now();
      if (which === 'raw') gpt.countTokens(text, noSpecial);
      else paired.countText(text, 'gpt-4o');
      if (which === 'raw') rawMs += performance.now() - started;
      else oursMs += performance.now() - started;
    }
  }
  gpt.setMergeCacheSize(gpt.DEFAULT_MERGE_CACHE_SIZE);
  for (const text of documents) estimator.countText(text, 'gpt-4o');
  const rawGptAgain = throughput(documents, (text) => gpt.countTokens(text, noSpecial));
  const oursRepeated = throughput(documents, (text) => estimator.countText(text, 'gpt-4o'));
  if (new Set([rawTiktoken.tokens, rawGpt.tokens, ours.tokens, oursRepeated.tokens]).size !== 1) {
    throw new Error(`token counts differ: ${JSON.stringify([rawTiktoken.tokens, rawGpt.tokens, ours.tokens, oursRepeated.tokens])}`);
  }
  row('raw js-tiktoken (cold text)', `${rawTiktoken.mbPerSecond.toFixed(2)} MB/s`);
  row('raw gpt-tokenizer (cold text)', `${rawGpt.mbPerSecond.toFixed(2)} MB/s`);
  row('createTokenEstimator() (cold text)', `${ours.mbPerSecond.toFixed(2)} MB/s`, `${((ours.mbPerSecond / rawGpt.mbPerSecond) * 100).toFixed(0)}% of raw gpt-tokenizer; target ≥ 90%`);
  row('raw gpt-tokenizer (same text again)', `${rawGptAgain.mbPerSecond.toFixed(2)} MB/s`);
  row(
    'createTokenEstimator() (same text again, cache)',
    `${oursRepeated.mbPerSecond.toFixed(1)} MB/s`,
    `${(oursRepeated.mbPerSecond / rawGpt.mbPerSecond).toFixed(0)}× raw gpt-tokenizer; target ≥ 20×`,
  );
  row('paired per document, merge cache off: ours / raw', `${((rawMs / oursMs) * 100).toFixed(1)}% speed`, 'overhead of the estimator itself, robust to load');
  console.log(`  passes (raw / ours MB/s): ${passes.map((pass) => `${pass.raw.toFixed(2)} / ${pass.ours.toFixed(2)}`).join(', ')}`);
  console.log(`  identical counts: ${formatRate(ours.tokens, 'tokens')} from every tokenizer`);

  const clock = 'const t0 = performance.now();';
  const done = "process.stdout.write(String(Math.round(performance.now() - t0)));";
  const tiktokenCold = coldStartMs(
    `${clock} const { Tiktoken } = await import('js-tiktoken/lite'); const r = await import('js-tiktoken/ranks/o200k_base'); new Tiktoken(r.default).encode('hello', [], []); ${done}`,
  );
  const gptCold = coldStartMs(`${clock} const g = await import('gpt-tokenizer/encoding/o200k_base'); g.countTokens('hello'); ${done}`);
  const oursCold = coldStartMs(
    `${clock} const { createTokenEstimator } = await import('@runtime/cost'); createTokenEstimator().countText('hello', 'gpt-4o'); ${done}`,
  );
  row('cold start: raw js-tiktoken o200k', `${tiktokenCold} ms`, 'import + construct + first count, best of 3 fresh processes');
  row('cold start: raw gpt-tokenizer o200k', `${gptCold} ms`);
  row('cold start: @runtime/cost (built dist)', `${oursCold} ms`, 'target ≤ 400 ms');
}
