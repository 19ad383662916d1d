/**
 * RuntimeCallbackHandler on the real @langchain/core and the real @runtime/cost ledger, calculator,
 * estimator and tracker: exact usage and cost (cache and reasoning tokens), refusals before the
 * model is called, release on failure, and no overspend under concurrency.
 */
import { InMemoryCache } from '@langchain/core/caches';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { HumanMessage, type UsageMetadata } from '@langchain/core/messages';
import { addMoney, moneyToUsd, usd, ZERO_MONEY, type ModelCatalogFile, type Money } from '@runtime/contracts';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator, createUsageTracker } from '@runtime/cost';
import { RuntimeCallbackHandler } from '@runtime/langchain';
import { ScriptedChatModel } from '@runtime/langchain/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const CATALOG: ModelCatalogFile = {
  models: [
    {
      id: 'lc-test',
      provider: 'langchain',
      role: 'balanced',
      maxInputTokens: 100_000,
      maxOutputTokens: 8_000,
      encoding: 'o200k_base',
      // Every rate distinct, so a token billed at the wrong rate changes the total.
      pricing: { inputPerMTok: 3, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75, outputPerMTok: 15, reasoningPerMTok: 20 },
    },
  ],
  defaultModel: 'lc-test',
};

const USAGE: UsageMetadata = {
  input_tokens: 1200,
  output_tokens: 300,
  total_tokens: 1500,
  input_token_details: { cache_read: 800, cache_creation: 100 },
  output_token_details: { reasoning: 120 },
};

function setup(limitUsd = '1') {
  const catalog = createModelCatalog({ builtin: false, catalogs: [CATALOG] });
  const calculator = createCostCalculator({ catalog });
  const estimator = createTokenEstimator({ catalog });
  const ledger = createBudgetLedger();
  const usage = createUsageTracker();
  const handler = new RuntimeCallbackHandler({ ledger, calculator, estimator, usage, scopes: ['user:u1'], runId: 'r1' });
  return { catalog, calculator, estimator, ledger, usage, handler, ready: ledger.setLimit('user:u1', usd(limitUsd)) };
}

describe('RuntimeCallbackHandler with @runtime/cost', () => {
  it('records exact usage and cost from usage_metadata (cache read, cache write, reasoning) and settles that amount', async () => {
    const { ledger, usage, handler, ready } = setup();
    await ready;
    const model = new ScriptedChatModel({ model: 'lc-test', maxTokens: 500, answers: [{ content: 'ok', usage: USAGE }] });
    await model.invoke('Hello', { callbacks: [handler] });
    // (1200 − 800 − 100) × 3 + 800 × 0.3 + 100 × 3.75 + (300 − 120) × 15 + 120 × 20 = 6615 USD per million tokens.
    const expected = usd('0.006615');
    const totals = usage.totals({ runId: 'r1' });
    expect(totals.usage).toEqual({ inputTokens: 1200, outputTokens: 300, cacheReadTokens: 800, cacheWriteTokens: 100, reasoningTokens: 120 });
    expect(totals.cost).toBe(expected);
    expect(totals.calls).toBe(1);
    const snapshot = await ledger.snapshot('user:u1');
    expect(snapshot.spent).toBe(expected);
    expect(snapshot.reserved).toBe(ZERO_MONEY);
    expect(handler.openCalls).toBe(0);
  });

  it('records the same exact usage for a streamed call (usage on the last chunk)', async () => {
    const { ledger, usage, handler, ready } = setup();
    await ready;
    const model = new ScriptedChatModel({ model: 'lc-test', maxTokens: 500, answers: [{ content: 'streamed answer', usage: USAGE }] });
    let text = '';
    for await (const chunk of await model.stream('Hello', { callbacks: [handler] })) text += typeof chunk.content === 'string' ? chunk.content : '';
    expect(text).toBe('streamed answer');
    expect(usage.totals().cost).toBe(usd('0.006615'));
    expect((await ledger.snapshot('user:u1')).spent).toBe(usd('0.006615'));
  });

  it('refuses BUDGET_EXCEEDED before the call: the model is never invoked and nothing is spent or held', async () => {
    const { calculator, estimator, ledger, usage, handler, ready } = setup('0.001');
    await ready;
    const model = new ScriptedChatModel({ model: 'lc-test', maxTokens: 500, answers: [{ content: 'never', usage: USAGE }] });
    const chain = ChatPromptTemplate.fromMessages([['human', 'Tell me about {topic}']]).pipe(model);
    const refusal = chain.invoke({ topic: 'budgets' }, { callbacks: [handler] });
    await expect(refusal).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', details: { scope: 'user:u1' } });
    expect(model.calls).toBe(0);
    // The amount asked for is the worst case: the prompt's exact token count + the 500-token cap.
    const worstCase = calculator.worstCase('lc-test', estimator.countMessages([{ role: 'user', content: 'Tell me about budgets' }], 'lc-test'), 500);
    await expect(refusal).rejects.toMatchObject({ details: { requestedUsd: moneyToUsd(worstCase) } });
    const snapshot = await ledger.snapshot('user:u1');
    expect([snapshot.spent, snapshot.reserved]).toEqual([ZERO_MONEY, ZERO_MONEY]);
    expect(usage.totals().calls).toBe(0);
  });

  it("an answer from LangChain's cache is recorded as a cache hit: no tokens, no cost, nothing held", async () => {
    const { ledger, usage, handler, ready } = setup();
    await ready;
    const model = new ScriptedChatModel({ model: 'lc-test', maxTokens: 500, cache: new InMemoryCache(), answers: [{ content: 'cached answer', usage: USAGE }] });
    await model.invoke('Same prompt', { callbacks: [handler] });
    const again = await model.invoke('Same prompt', { callbacks: [handler] });
    expect(again.content).toBe('cached answer');
    expect(model.calls).toBe(1);
    expect(usage.totals()).toMatchObject({ calls: 1, dedupedCalls: 1, cost: usd('0.006615') });
    const snapshot = await ledger.snapshot('user:u1');
    expect([snapshot.spent, snapshot.reserved]).toEqual([usd('0.006615'), ZERO_MONEY]);
  });

  it('a multi-prompt generate() refused for one prompt holds nothing for the others (the model is not called)', async () => {
    const { calculator, estimator, ledger, handler, ready } = setup();
    await ready;
    // Room for exactly one of the two prompts' worst case.
    const one = calculator.worstCase('lc-test', estimator.countMessages([{ role: 'user', content: 'first prompt' }], 'lc-test'), 500);
    await ledger.setLimit('user:u1', addMoney(one, usd('0.000001')));
    const model = new ScriptedChatModel({ model: 'lc-test', maxTokens: 500, answers: [{ content: 'x', usage: USAGE }] });
    await expect(model.generate([[new HumanMessage('first prompt')], [new HumanMessage('second prompt')]], { callbacks: [handler] })).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(model.calls).toBe(0);
    const snapshot = await ledger.snapshot('user:u1');
    expect([handler.openCalls, snapshot.spent, snapshot.reserved]).toEqual([0, ZERO_MONEY, ZERO_MONEY]);
  });

  it('releases the reservation when the model fails', async () => {
    const { ledger, usage, handler, ready } = setup();
    await ready;
    const model = new ScriptedChatModel({ model: 'lc-test', maxTokens: 500, answers: [{ error: Object.assign(new Error('overloaded'), { status: 529 }) }] });
    await expect(model.invoke('Hello', { callbacks: [handler] })).rejects.toThrow('overloaded');
    expect(model.calls).toBe(1);
    const snapshot = await ledger.snapshot('user:u1');
    expect([snapshot.spent, snapshot.reserved]).toEqual([ZERO_MONEY, ZERO_MONEY]);
    expect(handler.openCalls).toBe(0);
    expect(usage.totals().calls).toBe(0);
  });

  it('releases the reservation of an aborted call', async () => {
    const { ledger, handler, ready } = setup();
    await ready;
    const model = new ScriptedChatModel({ model: 'lc-test', maxTokens: 500, delayMs: 2_000, answers: [{ content: 'late', usage: USAGE }] });
    const controller = new AbortController();
    const call = model.invoke('Hello', { callbacks: [handler], signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await ledger.snapshot('user:u1')).reserved).not.toBe(ZERO_MONEY);
    controller.abort();
    await expect(call).rejects.toThrow();
    for (let wait = 0; wait < 100 && handler.openCalls > 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const snapshot = await ledger.snapshot('user:u1');
    expect([handler.openCalls, snapshot.spent, snapshot.reserved]).toEqual([0, ZERO_MONEY, ZERO_MONEY]);
  });

  it('refuses a call with no output cap (no bound) unless a default is given; a call without usage is estimated, never $0', async () => {
    const { calculator, estimator, ledger, usage, ready } = setup();
    await ready;
    const uncapped = new ScriptedChatModel({ model: 'lc-test', answers: [{ content: 'four words of text' }] });
    const strict = new RuntimeCallbackHandler({ ledger, calculator, estimator, usage, scopes: ['user:u1'] });
    await expect(uncapped.invoke('Hi', { callbacks: [strict] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'maxOutputTokens' } });
    expect(uncapped.calls).toBe(0);
    const lenient = new RuntimeCallbackHandler({ ledger, calculator, estimator, usage, scopes: ['user:u1'], defaultMaxOutputTokens: 100 });
    await uncapped.invoke('Hi', { callbacks: [lenient] });
    const record = usage.totals();
    expect(record.calls).toBe(1);
    expect(record.usage.estimated).toBe(true);
    expect(record.usage.outputTokens).toBe(estimator.countText('four words of text', 'lc-test'));
    expect(record.cost).not.toBe(ZERO_MONEY);
  });

  it('property: concurrent calls never overspend the limit; spend = Σ exact costs of the calls made; refused calls never reach the model', async () => {
    // A provider reports the prompt it was sent (the exact o200k count here) and at most the cap.
    const promptTokens = createTokenEstimator({ catalog: createModelCatalog({ builtin: false, catalogs: [CATALOG] }) });
    const usageArbitrary = fc
      .record({ output: fc.integer({ min: 0, max: 400 }), cacheShare: fc.double({ min: 0, max: 1, noNaN: true }), reasoningShare: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map(({ output, cacheShare, reasoningShare }) => (input: number): UsageMetadata => ({
        input_tokens: input,
        output_tokens: output,
        total_tokens: input + output,
        input_token_details: { cache_read: Math.floor(input * cacheShare), cache_creation: 0 },
        output_token_details: { reasoning: Math.floor(output * reasoningShare) },
      }));
    await fc.assert(
      fc.asyncProperty(fc.array(usageArbitrary, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 60 }), async (reports, limitThousandths) => {
        const prompts = reports.map((_, index) => `call ${index}`);
        const usages = reports.map((report, index) => report(promptTokens.countMessages([{ role: 'user', content: prompts[index] ?? '' }], 'lc-test')));
        const { calculator, ledger, usage, handler, ready } = setup((limitThousandths / 1000).toFixed(3));
        await ready;
        // The model answers each prompt with its own usage, whatever order the calls reach it in.
        const byPrompt = new Map(prompts.map((prompt, index) => [prompt, usages[index]]));
        const model = new ScriptedChatModel({
          model: 'lc-test',
          maxTokens: 400,
          respond: (messages) => {
            const reported = byPrompt.get(messages[0]?.text ?? '');
            return { content: 'x', ...(reported === undefined ? {} : { usage: reported }) };
          },
        });
        const outcomes = await Promise.allSettled(prompts.map((prompt) => model.invoke(prompt, { callbacks: [handler] })));
        const made = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
        const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
        for (const outcome of refused) expect((outcome.reason as { code?: string }).code).toBe('BUDGET_EXCEEDED');
        expect(model.calls).toBe(made);
        const snapshot = await ledger.snapshot('user:u1');
        expect(snapshot.spent <= usd((limitThousandths / 1000).toFixed(3))).toBe(true);
        expect(snapshot.reserved).toBe(ZERO_MONEY);
        const billed: Money = usage.totals().cost;
        const answered = usages.filter((_, index) => outcomes[index]?.status === 'fulfilled');
        const expected = addMoney(ZERO_MONEY, ...answered.map((reported) => calculator.cost('lc-test', { inputTokens: reported.input_tokens, outputTokens: reported.output_tokens, cacheReadTokens: reported.input_token_details?.cache_read ?? 0, cacheWriteTokens: 0, reasoningTokens: reported.output_token_details?.reasoning ?? 0 })));
        expect(billed).toBe(expected);
        expect(snapshot.spent).toBe(expected);
      }),
      { numRuns: 30 },
    );
  });
});
