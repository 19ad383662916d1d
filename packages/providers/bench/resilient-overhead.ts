/**
 * Overhead of the resilient wrapper around an already-resolved call, in ns per call, next to the
 * bare call measured in the same run (and cockatiel 3.2 policies as a reference).
 *
 *   pnpm --filter @runtime/providers bench        (source through tsx)
 *   pnpm --filter @runtime/providers bench:dist   (the built package)
 * BENCH_CALLS and BENCH_ROUNDS change the size.
 */
import os from 'node:os';
import { asModelId, type LlmClient, type LlmRequest, type LlmResult } from '@runtime/contracts';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import type * as Providers from '../src/index.js';

// BENCH_TARGET=dist measures the built package (what users run); the default measures the source
// through tsx, whose transform adds its own overhead that grows over long runs.
const distEntry = new URL('../dist/index.js', import.meta.url).href;
const { createResilientClient } = (process.env.BENCH_TARGET === 'dist'
  ? await import(distEntry)
  : await import('../src/index.js')) as typeof Providers;

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
// Like a real adapter, the inner client reads the signal and the deadline it is given; the call
// itself is already resolved. (The resilient client hands the attempt deadline to the inner client
// as `timeoutMs`, which our adapters enforce with the AbortController they create anyway.)
let signalsSeen = 0;
let timeoutsSeen = 0;
const inner: LlmClient = {
  provider: 'bench',
  complete: (_request, options) => {
    if (options?.signal !== undefined) signalsSeen += 1;
    if (options?.timeoutMs !== undefined) timeoutsSeen += 1;
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

// 16 distinct requests in flight at once (a fan-out): per-call figures are per request.
const FAN_OUT = 16;
const distinct: readonly LlmRequest[] = Array.from({ length: FAN_OUT }, (_, index) => ({
  ...request,
  messages: [...request.messages, { role: 'user' as const, content: `task ${index}` }],
}));
function fanOut(client: LlmClient): Call {
  return () => Promise.all(distinct.map((each) => client.complete(each)));
}

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
  ['bare call, fan-out of 16', fanOut(inner)],
  ['resilient + timeout, fan-out of 16', fanOut(withTimeout)],
  ['cockatiel: retry + breaker', () => cockatielRetryBreaker.execute(({ signal }) => inner.complete(request, { signal }))],
  // What one AbortController per call costs by itself (the floor of a timeout built on one).
  ['reference: bare + AbortController', () => inner.complete(request, { signal: new AbortController().signal })],
  ['cockatiel: timeout + retry + breaker', () => cockatielTimeoutRetryBreaker.execute(({ signal }) => inner.complete(request, { signal }))],
];

// Each variant runs its rounds back to back, then the heap is collected (when --expose-gc is on),
// so the garbage of one variant (AbortSignals, timers) is not billed to the next; the variants
// that allocate AbortControllers run last.
const samples = new Map<string, number[]>();
const collect = (globalThis as { gc?: () => void }).gc;
for (const [name, call] of variants) {
  await measure(call); // warm-up
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) rounds.push(await measure(call));
  samples.set(name, rounds);
  collect?.();
}

if (signalsSeen === 0 || timeoutsSeen === 0) throw new Error('the inner client never saw a signal or a deadline');
const baseline = median(samples.get('bare call (baseline)') ?? []);
const fanOutBaseline = median(samples.get('bare call, fan-out of 16') ?? []) / FAN_OUT;
console.log(`${process.env.BENCH_TARGET === 'dist' ? 'dist' : 'source (tsx)'}, node ${process.version}, ${CALLS} sequential calls × ${ROUNDS} rounds, median ns per request; load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')}`);
console.log(`${'variant'.padEnd(40)}${'ns/call'.padStart(10)}${'added'.padStart(10)}`);
for (const [name] of variants) {
  const isFanOut = name.includes('fan-out');
  const value = median(samples.get(name) ?? []) / (isFanOut ? FAN_OUT : 1);
  const added = name.startsWith('bare') ? '' : `+${(value - (isFanOut ? fanOutBaseline : baseline)).toFixed(0)}`;
  console.log(`${name.padEnd(40)}${value.toFixed(0).padStart(10)}${added.padStart(10)}`);
}
