/**
 * Per-call overhead of RuntimeCallbackHandler, next to the same fake model called bare, in the
 * same run: `pnpm --filter @runtime/langchain bench`.
 *
 * Three variants of one `model.invoke(prompt)` on the scripted fake (no network, usage reported):
 *   bare      — no callbacks;
 *   no-op     — a handler that does nothing but is awaited (`raiseError`), i.e. LangChain's own
 *               callback machinery;
 *   runtime   — RuntimeCallbackHandler with @runtime/cost's in-memory ledger, calculator, exact
 *               o200k estimator and usage tracker (reserve → settle → record per call).
 * Rounds alternate the variants so drift hits all of them; the median round is printed.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator, createUsageTracker } from '@runtime/cost';
import { RuntimeCallbackHandler } from '../src/index.js';
import { ScriptedChatModel } from '../src/testing/index.js';

const CALLS = Number(process.env['BENCH_CALLS'] ?? 2_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const PROMPT = 'Summarize the budget rules of this runtime in two sentences, mentioning reservations and settlement.';

class NoopHandler extends BaseCallbackHandler {
  readonly name = 'NoopHandler';
  constructor() {
    super({ raiseError: true });
  }
  override handleChatModelStart(): Promise<void> {
    return Promise.resolve();
  }
  override handleLLMEnd(): Promise<void> {
    return Promise.resolve();
  }
}

const catalog = createModelCatalog();
const ledger = createBudgetLedger();
await ledger.setLimit('bench', null);
const runtimeHandler = new RuntimeCallbackHandler({
  ledger,
  calculator: createCostCalculator({ catalog }),
  estimator: createTokenEstimator({ catalog }),
  usage: createUsageTracker(),
  scopes: ['bench'],
});
const usage = { input_tokens: 25, output_tokens: 40, total_tokens: 65, input_token_details: { cache_read: 10 }, output_token_details: { reasoning: 8 } };
const model = new ScriptedChatModel({ model: 'gpt-4o-mini', maxTokens: 256, answers: [{ content: 'Reserve the worst case; settle the actual cost.', usage }] });

const variants = {
  bare: () => model.invoke(PROMPT),
  'no-op': () => model.invoke(PROMPT, { callbacks: [new NoopHandler()] }),
  runtime: () => model.invoke(PROMPT, { callbacks: [runtimeHandler] }),
} as const;
type Variant = keyof typeof variants;

async function round(variant: Variant): Promise<number> {
  const call = variants[variant];
  const started = performance.now();
  for (let index = 0; index < CALLS; index += 1) await call();
  return ((performance.now() - started) * 1000) / CALLS;
}

// Warm-up: JIT, the tokenizer's tables, LangChain's lazy imports.
for (const variant of Object.keys(variants) as Variant[]) for (let index = 0; index < 300; index += 1) await variants[variant]();

const samples: Record<Variant, number[]> = { bare: [], 'no-op': [], runtime: [] };
for (let index = 0; index < ROUNDS; index += 1) for (const variant of Object.keys(variants) as Variant[]) samples[variant].push(await round(variant));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const bare = median(samples.bare);
console.log(`node ${process.version}, ${CALLS} calls × ${ROUNDS} rounds per variant (median round), same run`);
for (const variant of Object.keys(variants) as Variant[]) {
  const value = median(samples[variant]);
  console.log(`${variant.padEnd(8)} ${value.toFixed(1).padStart(8)} µs/call   overhead vs bare ${(value - bare).toFixed(1).padStart(7)} µs`);
}
console.log(`RuntimeCallbackHandler alone (runtime − no-op): ${(median(samples.runtime) - median(samples['no-op'])).toFixed(1)} µs/call; open reservations after the run: ${runtimeHandler.openCalls}`);
