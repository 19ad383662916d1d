import { BudgetError, InternalError, ValidationError, usd } from '@runtime/contracts';
import type { Message } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { createBudgetLedger } from './budget-ledger.js';
import { createCostCalculator } from './cost-calculator.js';
import { createModelCatalog } from './model-catalog.js';
import { anthropicUsage, openAiUsage } from './provider-usage.js';
import { createTokenEstimator } from './token-estimator.js';
import { withBudget } from './with-budget.js';

const catalog = createModelCatalog();
const calculator = createCostCalculator({ catalog });
const estimator = createTokenEstimator({ catalog });
const messages: Message[] = [{ role: 'user', content: 'Write a haiku about budgets.' }];

/** A fake in the shape of the official openai SDK's chat completion response. */
function completion(prompt: number, completionTokens: number, cached = 0, reasoning = 0) {
  return {
    id: 'chatcmpl-1',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completionTokens,
      total_tokens: prompt + completionTokens,
      prompt_tokens_details: { cached_tokens: cached },
      completion_tokens_details: { reasoning_tokens: reasoning },
    },
  };
}

async function setup(limit: string) {
  const ledger = createBudgetLedger();
  await ledger.setLimit('user:u1', usd(limit));
  return ledger;
}

describe('withBudget', () => {
  it('reserves the worst case, calls, and settles the provider-reported cost', async () => {
    const ledger = await setup('1');
    const outcome = await withBudget(
      { ledger, calculator, estimator, model: 'gpt-4o-mini', scopes: ['user:u1'], messages, maxOutputTokens: 300, usage: openAiUsage },
      async (reservation) => {
        const inputTokens = estimator.countMessages(messages, 'gpt-4o-mini');
        expect(reservation.amount).toBe(calculator.worstCase('gpt-4o-mini', inputTokens, 300));
        expect((await ledger.snapshot('user:u1')).reserved).toBe(reservation.amount);
        return completion(1000, 200, 400, 0);
      },
    );
    // 600 × 0.15 + 400 × 0.075 + 200 × 0.6, per 1e6
    expect(outcome.cost).toBe(usd('0.00024'));
    expect(outcome.usage).toEqual({ inputTokens: 1000, outputTokens: 200, cacheReadTokens: 400, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(outcome.result.choices[0]?.message.content).toBe('ok');
    expect(await ledger.snapshot('user:u1')).toMatchObject({ spent: usd('0.00024'), reserved: 0n });
  });

  it('refuses before calling when the worst case does not fit', async () => {
    const ledger = await setup('0.0001');
    let called = false;
    await expect(
      withBudget({ ledger, calculator, model: 'gpt-4o', scopes: ['user:u1'], inputTokens: 10_000, maxOutputTokens: 1000, usage: openAiUsage }, () => {
        called = true;
        return Promise.resolve(completion(1, 1));
      }),
    ).rejects.toSatisfy((error: unknown) => BudgetError.isInstance(error) && error.code === 'BUDGET_EXCEEDED');
    expect(called).toBe(false);
  });

  it('releases the reservation when the call fails, and rethrows', async () => {
    const ledger = await setup('1');
    const failure = new Error('provider down');
    await expect(
      withBudget({ ledger, calculator, model: 'gpt-4o', scopes: ['user:u1'], inputTokens: 100, maxOutputTokens: 100, usage: openAiUsage }, () =>
        Promise.reject(failure),
      ),
    ).rejects.toBe(failure);
    expect(await ledger.snapshot('user:u1')).toMatchObject({ spent: 0n, reserved: 0n });
  });

  it('settles the full reservation when the usage cannot be read at all, and rethrows', async () => {
    const ledger = await setup('1');
    const worst = calculator.worstCase('gpt-4o', 100, 100);
    const unreadable = new Error('no usage field');
    await expect(
      withBudget(
        { ledger, calculator, model: 'gpt-4o', scopes: ['user:u1'], inputTokens: 100, maxOutputTokens: 100, usage: () => { throw unreadable; } },
        () => Promise.resolve(completion(1, 1)),
      ),
    ).rejects.toBe(unreadable);
    expect(await ledger.snapshot('user:u1')).toMatchObject({ spent: worst, reserved: 0n });
  });

  it('bills impossible usage normalised (never VALIDATION_FAILED for a paid call) and says what it changed', async () => {
    const ledger = await setup('1');
    const outcome = await withBudget(
      { ledger, calculator, model: 'o3', scopes: ['user:u1'], inputTokens: 100, maxOutputTokens: 100, usage: () => ({ inputTokens: 50, outputTokens: 10, cacheReadTokens: 80, cacheWriteTokens: 0, reasoningTokens: 30 }) },
      () => Promise.resolve(completion(1, 1)),
    );
    expect(outcome.usage).toEqual({ inputTokens: 50, outputTokens: 10, cacheReadTokens: 50, cacheWriteTokens: 0, reasoningTokens: 10 });
    expect(outcome.usageAdjustments?.map((adjustment) => adjustment.field)).toEqual(['cacheReadTokens', 'reasoningTokens']);
    expect(outcome.cost).toBeGreaterThan(0n);
    expect(await ledger.snapshot('user:u1')).toMatchObject({ spent: outcome.cost, reserved: 0n });
  });

  it('never bills $0 for an answered call that reported no usage: estimates it (input estimate + output cap), marked estimated', async () => {
    const ledger = await setup('1');
    const outcome = await withBudget(
      { ledger, calculator, model: 'gpt-4o', scopes: ['user:u1'], inputTokens: 120, maxOutputTokens: 80, usage: openAiUsage },
      () => Promise.resolve({ usage: null }),
    );
    expect(outcome.usage).toEqual({ inputTokens: 120, outputTokens: 80, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: true });
    expect(outcome.cost).toBe(calculator.cost('gpt-4o', outcome.usage));
    expect(await ledger.snapshot('user:u1')).toMatchObject({ spent: outcome.cost, reserved: 0n });
  });

  it('estimates only the input when the output was reported (a stream cut before its usage chunk)', async () => {
    const ledger = await setup('1');
    const outcome = await withBudget(
      { ledger, calculator, model: 'gpt-4o', scopes: ['user:u1'], inputTokens: 120, maxOutputTokens: 80, usage: () => ({ inputTokens: 0, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }) },
      () => Promise.resolve({}),
    );
    expect(outcome.usage).toEqual({ inputTokens: 120, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: true });
  });

  it('retries a transient store error on settle and bills once', async () => {
    const inner = await setup('1');
    let failures = 1;
    const flaky = {
      ...inner,
      settle: (...args: Parameters<typeof inner.settle>) => {
        if (failures-- > 0) return Promise.reject(new InternalError({ code: 'STORE_ERROR', message: 'connection reset', isRetryable: true }));
        return inner.settle(...args);
      },
    };
    const outcome = await withBudget(
      { ledger: flaky, calculator, model: 'gpt-4o', scopes: ['user:u1'], inputTokens: 100, maxOutputTokens: 100, usage: openAiUsage },
      () => Promise.resolve(completion(100, 10)),
    );
    expect(await inner.snapshot('user:u1')).toMatchObject({ spent: outcome.cost, reserved: 0n });
  });

  it('returns the result when the lease expired during the call: the late settle charged the cost once', async () => {
    let now = 0;
    const ledger = createBudgetLedger({ clock: { now: () => now } });
    await ledger.setLimit('user:u1', usd(1));
    const outcome = await withBudget(
      { ledger, calculator, model: 'gpt-4o', scopes: ['user:u1'], inputTokens: 100, maxOutputTokens: 100, leaseMs: 10, usage: openAiUsage },
      () => {
        now += 100;
        return Promise.resolve(completion(100, 10));
      },
    );
    expect(outcome.cost).toBe(calculator.cost('gpt-4o', openAiUsage(completion(100, 10))));
    expect(await ledger.snapshot('user:u1')).toMatchObject({ spent: outcome.cost, reserved: 0n });
  });

  it('needs inputTokens, or messages with an estimator', async () => {
    const ledger = await setup('1');
    await expect(
      withBudget({ ledger, calculator, model: 'gpt-4o', scopes: ['user:u1'], maxOutputTokens: 10, usage: openAiUsage }, () => Promise.resolve(completion(1, 1))),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('maps OpenAI and Anthropic usage shapes to the subset rule', () => {
    expect(openAiUsage(completion(100, 50, 30, 20))).toEqual({ inputTokens: 100, outputTokens: 50, cacheReadTokens: 30, cacheWriteTokens: 0, reasoningTokens: 20 });
    expect(openAiUsage({ usage: null })).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(anthropicUsage({ usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 } })).toEqual({
      inputTokens: 160,
      outputTokens: 5,
      cacheReadTokens: 100,
      cacheWriteTokens: 50,
      reasoningTokens: 0,
    });
    expect(
      anthropicUsage({ usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 50, cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 30 } } }),
    ).toEqual({ inputTokens: 60, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 50, cacheWrite1hTokens: 30, reasoningTokens: 0 });
  });
});
