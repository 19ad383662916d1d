/**
 * Overhead of the resilient wrapper around an already-resolved call, in ns per call, next to the
 * bare call measured in the same run (and cockatiel 3.2 policies as a reference).
 *
 *   pnpm --filter @runtime/providers bench
 */
import { asModelId, type LlmClient, type LlmRequest, type LlmResult } from '@runtime/contracts';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { createResilientClient } from '../src/index.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const result: LlmResult = {
  output: 'ok',
  usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  finishReason: 'stop',
  source: 'provider',
  attempts: 1,
};
const resolved = Promise.resolve(result);
// Like a real adapter, the inner client reads the signal it is given (so a lazily created
// signal could not hide its cost); the call itself is already resolved.
let signalsSeen = 0;
const inner: LlmClient = {
  provider: 'bench',
  complete: (_request, options) => {
    if (options?.signal !== undefined) signalsSeen += 1;
    return resolved;
  },
};
const request: LlmRequest = {
  model: asModelId('bench-model'),
  messages: [
    { role: 'system', content: 'You are a benchmark.' },
    { role: 'user', content: 'Say ok.' },
  ],
  maxOutputTokens: 16,
};

type Call = () => Promise<unknown>;

async function measure(call: Call): Promise<number> {
  const start = process.hrtime.bigint();
  for (let index = 0; index < CALLS; index += 1) await call();
  return Number(process.hrtime.bigint() - start) / CALLS;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const noSleep = (): Promise<void> => Promise.resolve();
const retryBreaker = createResilientClient(inner, { dedup: false, sleep: noSleep });
const retryBreakerDedup = createResilientClient(inner, { sleep: noSleep });
const withTimeout = createResilientClient(inner, { attemptTimeoutMs: 60_000, sleep: noSleep });
const cockatielRetryBreaker = wrap(
  retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
  circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
);
const cockatielTimeoutRetryBreaker = wrap(
  timeout(60_000, TimeoutStrategy.Aggressive),
  retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
  circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
);

const variants: readonly (readonly [string, Call])[] = [
  ['bare call (baseline)', () => inner.complete(request)],
  ['resilient: retry + breaker', () => retryBreaker.complete(request)],
  ['resilient: retry + breaker + dedup', () => retryBreakerDedup.complete(request)],
  ['resilient: + per-attempt timeout', () => withTimeout.complete(request)],
  ['cockatiel: retry + breaker', () => cockatielRetryBreaker.execute(({ signal }) => inner.complete(request, { signal }))],
  ['cockatiel: timeout + retry + breaker', () => cockatielTimeoutRetryBreaker.execute(({ signal }) => inner.complete(request, { signal }))],
];

const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (const [, call] of variants) await measure(call); // warm-up
for (let round = 0; round < ROUNDS; round += 1) {
  // Interleaved rounds, so drift on a shared machine hits every variant alike.
  for (const [name, call] of variants) samples.get(name)?.push(await measure(call));
}

if (signalsSeen === 0) throw new Error('the per-attempt timeout variant never passed a signal');
const baseline = median(samples.get('bare call (baseline)') ?? []);
console.log(`node ${process.version}, ${CALLS} sequential calls × ${ROUNDS} rounds, median ns/call`);
console.log(`${'variant'.padEnd(40)}${'ns/call'.padStart(10)}${'added'.padStart(10)}`);
for (const [name] of variants) {
  const value = median(samples.get(name) ?? []);
  const added = name.startsWith('bare') ? '' : `+${(value - baseline).toFixed(0)}`;
  console.log(`${name.padEnd(40)}${value.toFixed(0).padStart(10)}${added.padStart(10)}`);
}
