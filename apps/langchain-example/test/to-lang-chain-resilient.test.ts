/**
 * toLangChain over the runtime's real client chain: the mock provider behind the resilient client
 * (retries with Retry-After, breaker, dedup), with the callback handler billing the one real answer.
 */
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { usd, ZERO_MONEY, type ModelCatalogFile } from '@runtime/contracts';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator, createUsageTracker } from '@runtime/cost';
import { RuntimeCallbackHandler, toLangChain } from '@runtime/langchain';
import { createMockLlmClient, createResilientClient } from '@runtime/providers';
import { describe, expect, it } from 'vitest';

const CATALOG: ModelCatalogFile = {
  models: [{ id: 'mock-chat', provider: 'mock', role: 'balanced', maxInputTokens: 100_000, maxOutputTokens: 2_000, encoding: 'o200k_base', pricing: { inputPerMTok: 1, cacheReadPerMTok: 0.1, outputPerMTok: 4 } }],
  defaultModel: 'mock-chat',
};

describe('toLangChain over the resilient client', () => {
  it('retries a 429 after exactly its Retry-After, answers once, and the retry is visible in response_metadata', async () => {
    const waits: number[] = [];
    const mock = createMockLlmClient({
      script: [
        { fail: 'status', status: 429, retryAfterMs: 1_234 },
        { output: 'Hello Ada', usage: { inputTokens: 40, outputTokens: 6, cacheReadTokens: 10 } },
      ],
    });
    const client = createResilientClient(mock, {
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const catalog = createModelCatalog({ builtin: false, catalogs: [CATALOG] });
    const model = toLangChain(client, { model: 'mock-chat', catalog });
    const answer = await ChatPromptTemplate.fromMessages([['human', 'Say hi to {name}']]).pipe(model).invoke({ name: 'Ada' });
    expect(answer.content).toBe('Hello Ada');
    expect(mock.calls).toHaveLength(2);
    expect(waits).toEqual([1_234]);
    expect(answer.response_metadata).toMatchObject({ attempts: 2, source: 'provider' });
    expect(answer.usage_metadata).toMatchObject({ input_tokens: 40, output_tokens: 6, input_token_details: { cache_read: 10 } });
    // The cap sent is the catalog's output limit: the worst case a budget reserves is a real bound.
    expect(mock.calls[1]?.request.maxOutputTokens).toBe(2_000);
  });

  it('streams through the client and the callback handler bills the one answered call exactly', async () => {
    const catalog = createModelCatalog({ builtin: false, catalogs: [CATALOG] });
    const calculator = createCostCalculator({ catalog });
    const ledger = createBudgetLedger();
    await ledger.setLimit('user:u1', usd('0.5'));
    const usage = createUsageTracker();
    const handler = new RuntimeCallbackHandler({ ledger, calculator, estimator: createTokenEstimator({ catalog }), usage, scopes: ['user:u1'] });
    const mock = createMockLlmClient({ script: [{ fail: 'status', status: 503 }, { output: 'one two three', usage: { inputTokens: 12, outputTokens: 3 } }] });
    const model = toLangChain(createResilientClient(mock, { sleep: () => Promise.resolve() }), { model: 'mock-chat', catalog, maxTokens: 50 });
    let text = '';
    for await (const piece of await model.pipe(new StringOutputParser()).stream('count', { callbacks: [handler] })) text += piece;
    expect(text).toBe('one two three');
    expect(mock.calls.map((call) => call.method)).toEqual(['stream', 'stream']);
    const expected = calculator.cost('mock-chat', { inputTokens: 12, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(usage.totals()).toMatchObject({ calls: 1, cost: expected });
    const snapshot = await ledger.snapshot('user:u1');
    expect([snapshot.spent, snapshot.reserved]).toEqual([expected, ZERO_MONEY]);
  });
});
