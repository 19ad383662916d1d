/**
 * Compaction between agent steps with the real compactor (`@runtime/context`): the conversation of a
 * long loop is cut to fit, and no request sent over the wire ever holds a tool call without its result
 * or a result without its call.
 */
import { compactWith, createAgentRunner, createToolRegistry, defineTool } from '@runtime/agent';
import { asModelId, asRunId, asTaskId, usd } from '@runtime/contracts';
import type { CompactionReport, CompactionStrategy } from '@runtime/contracts';
import { createContextCompactor } from '@runtime/context';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import { createOpenAiCompatibleClient } from '@runtime/providers';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeServer, json, ledgerHost } from './support/agent-ledger-host.js';

const catalog = createModelCatalog();
const estimator = createTokenEstimator({ catalog });
const calculator = createCostCalculator({ catalog });
const runId = asRunId('run_compact');
const taskId = asTaskId('long_loop');
const STEPS = 8;

interface WireMessage {
  readonly role: string;
  readonly content: string | null;
  readonly tool_call_id?: string;
  readonly tool_calls?: readonly { readonly id: string }[];
}

/** Every tool result follows its call, and every call has its result. */
function orphans(messages: readonly WireMessage[]): string[] {
  const calls = new Set<string>();
  const answered = new Set<string>();
  const problems: string[] = [];
  for (const message of messages) {
    for (const call of message.tool_calls ?? []) calls.add(call.id);
    if (message.role === 'tool') {
      if (message.tool_call_id === undefined || !calls.has(message.tool_call_id)) problems.push(`result ${message.tool_call_id ?? '?'} without its call`);
      else answered.add(message.tool_call_id);
    }
  }
  for (const id of calls) if (!answered.has(id)) problems.push(`call ${id} without its result`);
  return problems;
}

describe('agent compaction with the real compactor', () => {
  it.each<[CompactionStrategy, number | undefined]>([
    ['truncate', undefined],
    ['keepLastN', 4],
  ])('%s keeps every tool call with its result on the wire and lets a long loop finish', async (strategy, keepLastN) => {
    // Each step asks for two calls (parallel) with long results, so the prompt outgrows the limit.
    const server = await fakeServer((call, index, response) => {
      const messages = call.body.messages as WireMessage[];
      const step = index + 1;
      const message =
        step < STEPS
          ? { role: 'assistant', content: null, tool_calls: [0, 1].map((n) => ({ id: `call_${step}_${n}`, type: 'function', function: { name: 'read_page', arguments: JSON.stringify({ page: step * 10 + n }) } })) }
          : { role: 'assistant', content: `done after ${messages.length} messages` };
      json(response, {
        id: `c${step}`,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, finish_reason: step < STEPS ? 'tool_calls' : 'stop', message }],
        usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
      });
    });
    try {
      const readPage = defineTool({
        name: 'read_page',
        description: 'Reads one page of a long document.',
        input: z.object({ page: z.number().int() }),
        execute: ({ page }) => Promise.resolve(`page ${page}: ${'lorem ipsum dolor sit amet '.repeat(40)}`),
      });
      const reports: CompactionReport[] = [];
      const compact = compactWith(createContextCompactor({ estimator }), {
        model: 'gpt-4o-mini',
        maxTokens: 1_500,
        strategy,
        ...(keepLastN === undefined ? {} : { keepLastN }),
        onCompacted: (report) => reports.push(report),
      });
      const ledger = createBudgetLedger();
      await ledger.setLimit(`run:${runId}`, usd(1));
      const client = createOpenAiCompatibleClient({ baseUrl: server.url, apiKey: 'k', catalog });
      const host = ledgerHost({ client, ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId, compact });
      const result = await createAgentRunner({ registry: createToolRegistry([readPage]) }).run({
        runId,
        taskId,
        model: asModelId('gpt-4o-mini'),
        maxOutputTokens: 256,
        messages: [
          { role: 'system', content: 'Summarise the document.', pinned: true },
          { role: 'user', content: 'Read every page, then summarise.' },
        ],
        tools: ['read_page'],
        limits: { maxSteps: STEPS },
        host,
      });
      expect(result.output).toMatch(/^done after \d+ messages$/);
      expect(server.calls).toHaveLength(STEPS);
      for (const call of server.calls) {
        const messages = call.body.messages as WireMessage[];
        expect(orphans(messages)).toEqual([]);
        expect(messages[0]).toMatchObject({ role: 'system', content: 'Summarise the document.' });
      }
      // Compaction really dropped old pairs (so the check above was exercised), and every prompt fit.
      expect(reports.some((report) => report.dropped.length > 0)).toBe(true);
      for (const report of reports) expect(report.tokensAfter).toBeLessThanOrEqual(1_500);
      // Dropped messages stay dropped: the last prompt is shorter than the whole loop (2 + 3 per tool step),
      // and the result's conversation is the compacted one plus the answer (memory stays bounded).
      const lastPrompt = server.calls.at(-1)?.body.messages as WireMessage[];
      expect(lastPrompt.length).toBeLessThan(2 + (STEPS - 1) * 3);
      expect(result.messages).toHaveLength(lastPrompt.length + 1);
    } finally {
      await server.close();
    }
  });
});
