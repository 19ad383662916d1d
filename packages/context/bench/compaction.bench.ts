/**
 * Benchmark: compacting a 500-message conversation to half its size with `truncate`, against
 * counting its tokens once (`countMessages`) with the same estimator, in the same run.
 *
 * Target: compaction ≤ 1.5× one count (it counts each message once and subtracts on each drop).
 * Two estimators: a word/punctuation pre-tokenizer (cost per character close to a real BPE
 * pre-tokenizer) and the ⌈chars/4⌉ heuristic (almost free, so fixed overheads show).
 * Run: `pnpm --filter @runtime/context bench`.
 */
import type { Message, TokenEstimator } from '@runtime/contracts';
import { createFakeTokenEstimator } from '../test/support/fake-token-estimator.js';
import { createContextCompactor } from '../src/context-compactor.js';

const model = 'bench';
const WORD = /[A-Za-z]+|\d+|[^\sA-Za-z\d]+/g;

function preTokenizerCount(text: string): number {
  let count = 0;
  for (const match of text.matchAll(WORD)) count += Math.max(1, Math.ceil(match[0].length / 6));
  return count;
}

function conversation(size: number): Message[] {
  const messages: Message[] = [{ role: 'system', content: 'You are a careful engineer. '.repeat(20) }];
  for (let index = 1; index < size; index += 1) {
    const body = `Message ${index}: the scheduler releases task t${index} when its last dependency completes; cost ${index * 7} femto-USD. `.repeat(4 + (index % 9));
    if (index % 25 === 0) {
      messages.push({ role: 'assistant', content: body, toolCalls: [{ id: `c${index}`, name: 'lookup', arguments: `{"task":"t${index}"}` }] });
      messages.push({ role: 'tool', content: body, toolCallId: `c${index}` });
      index += 1;
    } else {
      messages.push({ role: index % 2 === 0 ? 'assistant' : 'user', content: body, ...(index % 50 === 1 ? { pinned: true } : {}) });
    }
  }
  return messages;
}

function timePerCall(iterations: number, action: () => unknown): number {
  for (let warm = 0; warm < Math.min(20, iterations); warm += 1) action();
  const start = performance.now();
  for (let index = 0; index < iterations; index += 1) action();
  return ((performance.now() - start) / iterations) * 1_000;
}

async function asyncTimePerCall(iterations: number, action: () => Promise<unknown>): Promise<number> {
  for (let warm = 0; warm < Math.min(20, iterations); warm += 1) await action();
  const start = performance.now();
  for (let index = 0; index < iterations; index += 1) await action();
  return ((performance.now() - start) / iterations) * 1_000;
}

async function measure(name: string, estimator: TokenEstimator, iterations: number): Promise<void> {
  const messages = conversation(500);
  const compactor = createContextCompactor({ estimator });
  const total = estimator.countMessages(messages, model);
  const maxTokens = Math.floor(total / 2);
  const result = await compactor.compact({ messages, model, maxTokens, strategy: 'truncate' });
  const countOnce = timePerCall(iterations, () => estimator.countMessages(messages, model));
  const compact = await asyncTimePerCall(iterations, () => compactor.compact({ messages, model, maxTokens, strategy: 'truncate' }));
  console.log(
    `${name.padEnd(22)} ${messages.length} messages, ${total} → ${result.report.tokensAfter} tokens (${result.report.dropped.length} dropped)\n` +
      `${''.padEnd(22)} count once ${countOnce.toFixed(0).padStart(6)} µs   compact ${compact.toFixed(0).padStart(6)} µs   ratio ${(compact / countOnce).toFixed(2)}× (target ≤ 1.5×)`,
  );
}

await measure('pre-tokenizer counts', createFakeTokenEstimator(preTokenizerCount), 100);
await measure('chars/4 counts', createFakeTokenEstimator(), 400);
