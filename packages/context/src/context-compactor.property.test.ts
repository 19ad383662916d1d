import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ContextError,
  type CompactionRequest,
  type CompactionStrategy,
  type LlmClient,
  type LlmRequest,
  type Message,
} from '@runtime/contracts';
import { conversationArbitrary, deepFreeze, toolsArbitrary } from '../test/support/arbitraries.js';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { createContextCompactor } from './context-compactor.js';

const model = 'test-model';
const STRATEGIES: readonly CompactionStrategy[] = ['none', 'truncate', 'keepLastN', 'summarize', 'priority'];

/** A summarizer that answers with `length` characters, whatever it was asked. */
function fakeSummarizer(length: number): LlmClient & { readonly requests: LlmRequest[] } {
  const requests: LlmRequest[] = [];
  return {
    provider: 'fake',
    requests,
    complete(request) {
      requests.push(request);
      return Promise.resolve({
        output: 's'.repeat(length),
        usage: { inputTokens: 100, outputTokens: Math.ceil(length / 4), cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
        finishReason: 'stop',
      });
    },
  };
}

function isProtected(message: Message): boolean {
  return message.pinned === true || message.role === 'system';
}

describe('ContextCompactor properties (every strategy, random conversations)', () => {
  it('fits or fails with the minimum size, keeps protected messages and tool pairs, reports every index, never mutates, is idempotent', { timeout: 30_000 }, async () => {
    const outcomes = { unchanged: 0, dropped: 0, summarized: 0, tooLarge: 0 };
    await fc.assert(
      fc.asyncProperty(
        conversationArbitrary(),
        toolsArbitrary,
        fc.constantFrom(...STRATEGIES),
        fc.integer({ min: -30, max: 120 }).map((percent) => percent / 100),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 3_000 }),
        async (conversation, tools, strategy, fraction, keepLastN, summaryLength) => {
          const estimator = createFakeTokenEstimator();
          const summarizer = fakeSummarizer(summaryLength);
          const compactor = createContextCompactor({ estimator, summarizer, summaryMaxTokens: 128 });
          const messages = deepFreeze(conversation);
          const snapshot = structuredClone(messages);
          const total = estimator.countMessages(messages, model, tools);

          let protectedTokens = estimator.countMessages([], model, tools);
          const protectedIndices = new Set<number>();
          const callOwner = new Map<string, number>();
          messages.forEach((message, index) => {
            for (const call of message.toolCalls ?? []) callOwner.set(call.id, index);
          });
          // A tool pair is protected when any member is.
          const unitOf = messages.map((message, index) => (message.role === 'tool' && message.toolCallId !== undefined ? (callOwner.get(message.toolCallId) ?? index) : index));
          const protectedUnits = new Set<number>();
          messages.forEach((message, index) => {
            if (isProtected(message)) protectedUnits.add(unitOf[index] ?? index);
          });
          messages.forEach((message, index) => {
            if (protectedUnits.has(unitOf[index] ?? index)) {
              protectedIndices.add(index);
              protectedTokens += estimator.countMessage(message, model);
            }
          });
          // Budgets spread from below the protected minimum to above the total.
          const maxTokens = Math.max(1, Math.round(protectedTokens + (total - protectedTokens) * fraction));
          const request: CompactionRequest = { messages, model, maxTokens, strategy, keepLastN, ...(tools === undefined ? {} : { tools }) };
          const minimum = total <= maxTokens ? total : strategy === 'none' ? total : protectedTokens;

          let result;
          try {
            result = await compactor.compact(request);
          } catch (error) {
            expect(ContextError.isInstance(error)).toBe(true);
            if (!ContextError.isInstance(error)) return;
            expect(error.code).toBe('CONTEXT_TOO_LARGE');
            expect(error.details['minimumTokens']).toBe(minimum);
            expect(minimum).toBeGreaterThan(maxTokens);
            expect(messages).toEqual(snapshot);
            outcomes.tooLarge += 1;
            return;
          }
          expect(minimum).toBeLessThanOrEqual(maxTokens);
          const { report } = result;
          if (report.summarized.length > 0) outcomes.summarized += 1;
          else if (report.dropped.length > 0) outcomes.dropped += 1;
          else outcomes.unchanged += 1;
          // Fits, measured with the estimator, and the report's sizes are exact.
          expect(report.tokensBefore).toBe(total);
          expect(report.tokensAfter).toBe(estimator.countMessages(result.messages, model, tools));
          expect(report.tokensAfter).toBeLessThanOrEqual(maxTokens);
          // Every input index is kept, dropped or summarized — exactly one of them.
          const inputIndex = new Map(messages.map((message, index) => [message, index]));
          const kept = result.messages.flatMap((message) => {
            const index = inputIndex.get(message);
            return index === undefined ? [] : [index];
          });
          const all = [...kept, ...report.dropped, ...report.summarized].sort((left, right) => left - right);
          expect(all).toEqual(messages.map((_, index) => index));
          expect([...kept]).toEqual([...kept].sort((left, right) => left - right));
          expect([...report.dropped]).toEqual([...report.dropped].sort((left, right) => left - right));
          // Protected messages are never dropped or summarized.
          for (const index of protectedIndices) expect(kept).toContain(index);
          // A tool call and its results stay or go together.
          const keptSet = new Set(kept);
          messages.forEach((message, index) => {
            if (message.role === 'tool') expect(keptSet.has(index)).toBe(keptSet.has(unitOf[index] ?? index));
          });
          // Only summarize adds a message, and then it reports the summary's usage.
          const added = result.messages.filter((message) => !inputIndex.has(message));
          if (strategy !== 'summarize') expect(added).toEqual([]);
          expect(added.length).toBe(report.summarized.length > 0 ? 1 : 0);
          if (report.summarized.length > 0) expect(report.summaryUsage?.inputTokens).toBe(100);
          if (total <= maxTokens) expect(result.messages).toEqual(messages);
          // The input is untouched.
          expect(messages).toEqual(snapshot);
          // Compacting a fitting result changes nothing.
          const again = await compactor.compact({ ...request, messages: result.messages });
          expect(again.messages).toEqual(result.messages);
          expect(again.report.dropped).toEqual([]);
          expect(again.report.summarized).toEqual([]);
          expect(again.report.tokensAfter).toBe(report.tokensAfter);
        },
      ),
      { numRuns: 300 },
    );
    // The generators reach every outcome, so the properties above are not vacuous.
    expect(outcomes.unchanged).toBeGreaterThan(0);
    expect(outcomes.dropped).toBeGreaterThan(0);
    expect(outcomes.summarized).toBeGreaterThan(0);
    expect(outcomes.tooLarge).toBeGreaterThan(0);
  });

  it('counts each message once per compaction (no recount on each drop)', { timeout: 30_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(conversationArbitrary(40), fc.constantFrom<CompactionStrategy>('truncate', 'priority', 'keepLastN'), async (messages, strategy) => {
        const estimator = createFakeTokenEstimator();
        const compactor = createContextCompactor({ estimator });
        const maxTokens = Math.max(1, Math.floor(estimator.countMessages(messages, model) / 3));
        estimator.reset();
        await compactor.compact({ messages, model, maxTokens, strategy, keepLastN: 3 }).catch((error: unknown) => {
          if (!ContextError.isInstance(error)) throw error;
        });
        expect(estimator.calls.countMessage).toBe(messages.length);
        expect(estimator.calls.countMessages).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
