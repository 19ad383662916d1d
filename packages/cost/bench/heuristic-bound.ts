/**
 * The heuristic token bound on the committed corpus (`src/__fixtures__/heuristic-corpus.ts`): per
 * content type, the estimate / exact o200k ratio (mean and minimum, which must be ≥ 1) and the slack it
 * costs (extra tokens reserved over o200k), next to the same-run baselines: the previous
 * character-class estimate and the plain UTF-8 byte bound.
 */
import { HEURISTIC_CORPUS } from '../src/__fixtures__/heuristic-corpus.js';
import { jsTiktokenBackend } from '../src/token-encoders.js';
import { DEFAULT_HEURISTIC_FACTOR, createTokenEstimator } from '../src/token-estimator.js';

/** The character-class estimate this package used before (one token per 4 letters/digits …), as a baseline. */
function previousEstimate(text: string): number {
  if (text.length === 0) return 0;
  let tokens = 0;
  let index = 0;
  const alphanumeric = (code: number): boolean => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  const space = (code: number): boolean => code === 32 || code === 9 || code === 10 || code === 13;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    let end = index + 1;
    if (alphanumeric(code)) {
      while (end < text.length && alphanumeric(text.charCodeAt(end))) end++;
      tokens += Math.ceil((end - index) / 4);
    } else if (space(code)) {
      while (end < text.length && space(text.charCodeAt(end))) end++;
      if (end - index > 1 || code !== 32) tokens += 1;
    } else tokens += code >= 0xd800 && code <= 0xdfff ? 1.5 : 1;
    index = end;
  }
  return Math.max(1, Math.ceil(tokens));
}

export function benchHeuristicBound(): void {
  const o200k = jsTiktokenBackend('o200k_base');
  const estimator = createTokenEstimator({ cacheEntries: 0 });
  console.log(`heuristic token bound: min(ceil(${DEFAULT_HEURISTIC_FACTOR} × o200k), UTF-8 bytes) vs exact o200k, per content type`);
  console.log(
    `  ${'content'.padEnd(12)} ${'samples'.padStart(7)} ${'o200k'.padStart(7)} ${'ratio'.padStart(6)} ${'min'.padStart(6)} ${'slack'.padStart(7)}   ${'previous: ratio'.padStart(15)} ${'min'.padStart(6)}   ${'bytes: ratio'.padStart(12)} ${'min'.padStart(6)}`,
  );
  let totalExact = 0;
  let totalEstimate = 0;
  let overallMin = Number.POSITIVE_INFINITY;
  for (const [type, samples] of Object.entries(HEURISTIC_CORPUS)) {
    let exact = 0;
    let estimate = 0;
    let previous = 0;
    let bytes = 0;
    let min = Number.POSITIVE_INFINITY;
    let previousMin = Number.POSITIVE_INFINITY;
    let bytesMin = Number.POSITIVE_INFINITY;
    for (const sample of samples) {
      const e = o200k.count(sample);
      const b = estimator.countText(sample, 'claude-haiku-4-5');
      const p = previousEstimate(sample);
      const u = Buffer.byteLength(sample, 'utf8');
      exact += e;
      estimate += b;
      previous += p;
      bytes += u;
      min = Math.min(min, b / e);
      previousMin = Math.min(previousMin, p / e);
      bytesMin = Math.min(bytesMin, u / e);
    }
    totalExact += exact;
    totalEstimate += estimate;
    overallMin = Math.min(overallMin, min);
    console.log(
      `  ${type.padEnd(12)} ${String(samples.length).padStart(7)} ${String(exact).padStart(7)} ${(estimate / exact).toFixed(2).padStart(6)} ${min.toFixed(2).padStart(6)} ${`+${(((estimate - exact) / exact) * 100).toFixed(0)}%`.padStart(7)}   ${(previous / exact).toFixed(2).padStart(15)} ${previousMin.toFixed(2).padStart(6)}   ${(bytes / exact).toFixed(2).padStart(12)} ${bytesMin.toFixed(2).padStart(6)}`,
    );
  }
  console.log(`  all: ratio ${(totalEstimate / totalExact).toFixed(3)}, min ${overallMin.toFixed(2)} (must be ≥ 1), slack +${totalEstimate - totalExact} tokens over ${totalExact}`);
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) benchHeuristicBound();
