import { describe, expect, it } from 'vitest';
import {
  ContextError,
  ValidationError,
  type CompactionRequest,
  type LlmCallOptions,
  type LlmClient,
  type LlmRequest,
  type Message,
} from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { createContextCompactor } from './context-compactor.js';

const model = 'test-model';
const estimator = createFakeTokenEstimator();
const words = (count: number): string => 'word '.repeat(count).trim();

/** 40 characters → 10 content tokens + 3 overhead = 13 tokens per message. */
const turn = (role: 'user' | 'assistant', label: string, extra: Partial<Message> = {}): Message => ({ role, content: label.padEnd(40, '.'), ...extra });

function summarizer(output: string): LlmClient & { readonly calls: { request: LlmRequest; options: LlmCallOptions | undefined }[] } {
  const calls: { request: LlmRequest; options: LlmCallOptions | undefined }[] = [];
  return {
    provider: 'fake',
    calls,
    complete(request, options) {
      calls.push({ request, options });
      return Promise.resolve({
        output,
        usage: { inputTokens: 321, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
        finishReason: 'stop',
      });
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('createContextCompactor — strategies', () => {
  const conversation: Message[] = [
    { role: 'system', content: 'You are terse.' },
    turn('user', 'u0'),
    turn('assistant', 'a0', { priority: 5 }),
    turn('user', 'u1', { pinned: true }),
    turn('assistant', 'a1'),
    turn('user', 'u2', { priority: -1 }),
    turn('assistant', 'a2'),
  ];
  const total = estimator.countMessages(conversation, model);

  it('returns a fitting conversation unchanged', async () => {
    const result = await createContextCompactor({ estimator }).compact({ messages: conversation, model, maxTokens: total, strategy: 'truncate' });
    expect(result.messages).toEqual(conversation);
    expect(result.report).toEqual({ strategy: 'truncate', tokensBefore: total, tokensAfter: total, dropped: [], summarized: [] });
  });

  it('truncate drops the oldest unprotected messages first and reports them', async () => {
    const result = await createContextCompactor({ estimator }).compact({ messages: conversation, model, maxTokens: total - 20, strategy: 'truncate' });
    expect(result.report.dropped).toEqual([1, 2]);
    expect(result.messages).toEqual([conversation[0], conversation[3], conversation[4], conversation[5], conversation[6]]);
    expect(result.report.tokensAfter).toBe(total - 26);
  });

  it('priority drops the lowest priority first, oldest first among equals', async () => {
    const result = await createContextCompactor({ estimator }).compact({ messages: conversation, model, maxTokens: total - 20, strategy: 'priority' });
    expect(result.report.dropped).toEqual([1, 5]);
  });

  it('keepLastN keeps the newest N unprotected messages when over budget', async () => {
    const result = await createContextCompactor({ estimator }).compact({ messages: conversation, model, maxTokens: total - 1, strategy: 'keepLastN', keepLastN: 2 });
    expect(result.report.dropped).toEqual([1, 2, 4]);
    expect(result.messages.map((message) => message.content.slice(0, 2))).toEqual(['Yo', 'u1', 'u2', 'a2']);
  });

  it('keepLastN with 0 keeps only protected messages', async () => {
    const result = await createContextCompactor({ estimator }).compact({ messages: conversation, model, maxTokens: total - 1, strategy: 'keepLastN', keepLastN: 0 });
    expect(result.messages).toEqual([conversation[0], conversation[3]]);
  });

  it('none fails with CONTEXT_TOO_LARGE when over budget', async () => {
    const error = await rejection(createContextCompactor({ estimator }).compact({ messages: conversation, model, maxTokens: total - 1, strategy: 'none' }));
    expect(ContextError.isInstance(error) && error.details).toEqual({ maxTokens: total - 1, tokens: total, minimumTokens: total, strategy: 'none' });
  });

  it('fails with the minimum achievable size when protected messages alone do not fit', async () => {
    const minimum = estimator.countMessages([conversation[0] as Message, conversation[3] as Message], model);
    const error = await rejection(createContextCompactor({ estimator }).compact({ messages: conversation, model, maxTokens: minimum - 1, strategy: 'truncate' }));
    expect(ContextError.isInstance(error)).toBe(true);
    expect(ContextError.isInstance(error) && error.details['minimumTokens']).toBe(minimum);
  });

  it('keeps a tool call and its results together, and the tools count against the budget', async () => {
    const tools = [{ name: 'search', description: 'Searches.', parameters: { type: 'object' } }];
    const messages: Message[] = [
      turn('user', 'question'),
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'search', arguments: '{"q":"x"}' }] },
      { role: 'tool', content: words(30), toolCallId: 'c1' },
      turn('user', 'follow-up', { pinned: true }),
    ];
    const all = estimator.countMessages(messages, model, tools);
    const result = await createContextCompactor({ estimator }).compact({ messages, model, tools, maxTokens: all - 14, strategy: 'truncate' });
    expect(result.report.dropped).toEqual([0, 1, 2]);
    expect(result.report.tokensAfter).toBe(estimator.countMessages(result.messages, model, tools));
  });
});

describe('createContextCompactor — summarize', () => {
  const messages: Message[] = [{ role: 'system', content: 'Rules.' }, ...Array.from({ length: 10 }, (_, index) => turn(index % 2 === 0 ? 'user' : 'assistant', `m${index}`))];
  const total = estimator.countMessages(messages, model);

  it('replaces the oldest span with one summary message, passes call options and returns the usage', async () => {
    const client = summarizer('The user asked about m0..m5; the assistant answered.');
    const signal = new AbortController().signal;
    const request: CompactionRequest = { messages, model, maxTokens: total - 40, strategy: 'summarize' };
    const result = await createContextCompactor({ estimator, summarizer: client, summaryMaxTokens: 32 }).compact(request, { signal });
    // Room for the 40 tokens over budget plus the summary (32 + 11 tokens of header and overhead).
    expect(result.report.summarized).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(result.report.dropped).toEqual([]);
    expect(result.report.summaryUsage?.inputTokens).toBe(321);
    expect(result.messages[0]).toBe(messages[0]);
    expect(result.messages[1]?.content).toBe('[Summary of 7 earlier messages]\nThe user asked about m0..m5; the assistant answered.');
    expect(result.messages.slice(2)).toEqual(messages.slice(8));
    expect(result.report.tokensAfter).toBe(estimator.countMessages(result.messages, model));
    expect(result.report.tokensAfter).toBeLessThanOrEqual(total - 40);
    const call = client.calls[0];
    expect(call?.options?.signal).toBe(signal);
    expect(call?.request.model).toBe(model);
    expect(call?.request.maxOutputTokens).toBe(32);
    expect(call?.request.messages[1]?.content).toContain('m0');
  });

  it('cuts a summary longer than the room with a visible marker', async () => {
    const client = summarizer(words(500));
    const result = await createContextCompactor({ estimator, summarizer: client, summaryMaxTokens: 32 }).compact({ messages, model, maxTokens: total - 40, strategy: 'summarize' });
    const summary = result.messages[1];
    expect(summary?.content).toMatch(/\[summary cut to fit the context budget\]$/);
    expect(result.report.tokensAfter).toBeLessThanOrEqual(total - 40);
  });

  it.each(['', '   \n\t '])('reports an empty summary (%j) as dropped, not summarized, and keeps its usage', async (output) => {
    const client = summarizer(output);
    const result = await createContextCompactor({ estimator, summarizer: client, summaryMaxTokens: 32 }).compact({ messages, model, maxTokens: total - 40, strategy: 'summarize' });
    expect(client.calls).toHaveLength(1);
    expect(result.report.summarized).toEqual([]);
    expect(result.report.dropped).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(result.report.summaryUsage?.inputTokens).toBe(321);
    expect(result.messages).toEqual([messages[0], ...messages.slice(8)]);
    expect(result.report.tokensAfter).toBe(estimator.countMessages(result.messages, model));
  });

  it('drops the span without a call, and says so, when there is no room for a useful summary', async () => {
    const client = summarizer('unused');
    const protectedOnly = estimator.countMessages([messages[0] as Message], model);
    const result = await createContextCompactor({ estimator, summarizer: client }).compact({ messages, model, maxTokens: protectedOnly + 5, strategy: 'summarize' });
    expect(client.calls).toHaveLength(0);
    expect(result.report.summarized).toEqual([]);
    expect(result.report.dropped).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.messages).toEqual([messages[0]]);
  });

  it('is refused without a summarizer', async () => {
    const error = await rejection(createContextCompactor({ estimator }).compact({ messages, model, maxTokens: 100, strategy: 'summarize' }));
    expect(ValidationError.isInstance(error) && error.message).toMatch(/strategy summarize needs a summarizer/);
  });
});

describe('createContextCompactor — bad input is VALIDATION_FAILED naming the problem', () => {
  const compactor = createContextCompactor({ estimator });
  const valid: CompactionRequest = { messages: [turn('user', 'hi')], model, maxTokens: 100, strategy: 'truncate' };
  const cases: [string, unknown, RegExp][] = [
    ['zero maxTokens', { ...valid, maxTokens: 0 }, /at maxTokens: must be an integer ≥ 1, got 0/],
    ['negative maxTokens', { ...valid, maxTokens: -5 }, /at maxTokens: must be an integer ≥ 1, got -5/],
    ['fractional maxTokens', { ...valid, maxTokens: 1.5 }, /at maxTokens/],
    ['unknown strategy', { ...valid, strategy: 'shrink' }, /at strategy: unknown strategy "shrink"/],
    ['negative keepLastN', { ...valid, strategy: 'keepLastN', keepLastN: -1 }, /at keepLastN: must be an integer ≥ 0, got -1/],
    ['missing keepLastN', { ...valid, strategy: 'keepLastN' }, /at keepLastN: strategy keepLastN needs keepLastN/],
    ['unknown role', { ...valid, messages: [{ role: 'robot', content: 'x' }] }, /at messages\[0\]\.role: unknown role "robot"/],
    ['tool result without a call', { ...valid, messages: [turn('user', 'hi'), { role: 'tool', content: 'r', toolCallId: 'c9' }] }, /at messages\[1\]\.toolCallId: tool result "c9" has no matching tool call/],
    ['tool result before its call', { ...valid, messages: [{ role: 'tool', content: 'r', toolCallId: 'c1' }, { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 't', arguments: '{}' }] }] }, /messages\[0\]\.toolCallId/],
    ['non-string content', { ...valid, messages: [{ role: 'user', content: 3 }] }, /at messages\[0\]\.content: must be a string/],
  ];
  for (const [name, request, message] of cases) {
    it(name, async () => {
      const error = await rejection(compactor.compact(request as CompactionRequest));
      expect(ValidationError.isInstance(error)).toBe(true);
      expect(ValidationError.isInstance(error) && error.code).toBe('VALIDATION_FAILED');
      expect(error instanceof Error && error.message).toMatch(message);
      expect(ValidationError.isInstance(error) && Array.isArray(error.details['issues'])).toBe(true);
    });
  }
});
