/**
 * Crash an agent loop right after each journaled event, resume it from the journal, over the real
 * OpenAI-compatible adapter and the real ledger: the answer is the uncrashed one, no tool call whose
 * result was journaled runs again, and every model call the provider answered is billed (nothing
 * held, nothing dropped).
 */
import { createAgentRunner, createToolRegistry, defineTool } from '@runtime/agent';
import { asModelId, asRunId, asTaskId, moneyToUsd, usd } from '@runtime/contracts';
import type { AgentEventInput, AgentRunInput } from '@runtime/contracts';
import { createBudgetLedger, createCostCalculator, createModelCatalog, createTokenEstimator } from '@runtime/cost';
import { createOpenAiCompatibleClient } from '@runtime/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeServer, HostCrash, json, ledgerHost } from './support/agent-ledger-host.js';
import type { FakeServer } from './support/agent-ledger-host.js';

const catalog = createModelCatalog();
const estimator = createTokenEstimator({ catalog });
const calculator = createCostCalculator({ catalog });
const taskId = asTaskId('resumable');
const MODEL = 'gpt-4o-mini';
const PROMPT_TOKENS = 100;
const COMPLETION_TOKENS = 20;

interface WireMessage {
  readonly role: string;
  readonly content: string | null;
  readonly tool_call_id?: string;
}

let server: FakeServer;

beforeAll(async () => {
  // Answers by the conversation (as a model would): step 1 two parallel calls, step 2 one call, then the answer.
  server = await fakeServer((call, _index, response) => {
    const messages = call.body.messages as WireMessage[];
    const step = messages.filter((message) => message.role === 'assistant').length + 1;
    const toolCalls =
      step === 1
        ? [
            { id: 'call_a', type: 'function', function: { name: 'charge_card', arguments: '{"order":"A"}' } },
            { id: 'call_b', type: 'function', function: { name: 'charge_card', arguments: '{"order":"B"}' } },
          ]
        : step === 2
          ? [{ id: 'call_c', type: 'function', function: { name: 'charge_card', arguments: '{"order":"C"}' } }]
          : [];
    const results = messages.filter((message) => message.role === 'tool').map((message) => `${message.tool_call_id ?? ''}=${message.content ?? ''}`);
    json(response, {
      id: `c${step}`,
      model: MODEL,
      choices: [
        toolCalls.length > 0
          ? { index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: toolCalls } }
          : { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `receipts: ${results.join(', ')}` } },
      ],
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS, total_tokens: PROMPT_TOKENS + COMPLETION_TOKENS },
    });
  });
});

afterAll(() => server.close());

describe('agent crash and resume over the real adapter and ledger', () => {
  it('after a crash at every journaled event, the resumed loop repeats no journaled tool call and loses no spend', async () => {
    const stepCost = moneyToUsd(calculator.cost(MODEL, { inputTokens: PROMPT_TOKENS, outputTokens: COMPLETION_TOKENS, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }));
    // 3 steps: agent.step ×3, tool.called ×3, tool.completed ×3.
    const EVENTS = 9;
    let reference: string | undefined;
    for (let crashAfter = 0; crashAfter <= EVENTS; crashAfter += 1) {
      const runId = asRunId(`run_resume_${crashAfter}`);
      const charges = new Map<string, number>();
      const chargedWhenJournaled = new Map<string, number>();
      const chargeCard = defineTool({
        name: 'charge_card',
        description: 'Charges the card for an order.',
        input: z.object({ order: z.string() }),
        execute: ({ order }) => {
          charges.set(order, (charges.get(order) ?? 0) + 1);
          return Promise.resolve(`receipt-${order}`);
        },
      });
      const runner = createAgentRunner({ registry: createToolRegistry([chargeCard]) });
      const ledger = createBudgetLedger();
      await ledger.setLimit(`run:${runId}`, usd(1));
      const callsBefore = server.calls.length;
      const client = createOpenAiCompatibleClient({ baseUrl: server.url, apiKey: 'k', catalog });
      const input = (host: AgentRunInput['host'], attempt: number): AgentRunInput => ({
        runId,
        taskId,
        attempt,
        model: asModelId(MODEL),
        maxOutputTokens: 256,
        messages: [{ role: 'user', content: 'Charge orders A, B and C.' }],
        tools: ['charge_card'],
        host,
      });
      const journal: AgentEventInput[] = [];
      if (crashAfter > 0) {
        const crashing = ledgerHost({ client, ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId, crashAfter });
        await expect(runner.run(input(crashing, 1))).rejects.toBeInstanceOf(HostCrash);
        journal.push(...crashing.journal);
        for (const event of journal) {
          if (event.type === 'tool.completed') {
            const order = event.result.slice('receipt-'.length);
            chargedWhenJournaled.set(order, charges.get(order) ?? 0);
          }
        }
      }
      const resumed = ledgerHost({ client, ledger, calculator, estimator, scopes: [`run:${runId}`], runId, taskId, history: journal });
      const result = await runner.run(input(resumed, 2));
      reference ??= result.output;
      expect(result.output).toBe(reference);
      expect(result.output).toBe('receipts: call_a=receipt-A, call_b=receipt-B, call_c=receipt-C');
      for (const order of ['A', 'B', 'C']) {
        const count = charges.get(order) ?? 0;
        expect(count).toBeGreaterThanOrEqual(1);
        // A charge whose receipt was journaled is never made again; only one in flight at the crash can repeat.
        const atJournal = chargedWhenJournaled.get(order);
        if (atJournal !== undefined) expect(count).toBe(atJournal);
        expect(count).toBeLessThanOrEqual(2);
      }
      // Every model call the provider answered is billed once: the re-asked step too.
      const modelCalls = server.calls.length - callsBefore;
      const snapshot = await ledger.snapshot(`run:${runId}`);
      expect(moneyToUsd(snapshot.reserved)).toBe(0);
      expect(moneyToUsd(snapshot.spent)).toBeCloseTo(modelCalls * stepCost, 12);
      const completedCalls = [...journal, ...resumed.journal].flatMap((event) => (event.type === 'tool.completed' ? [event.callId] : []));
      expect(completedCalls.sort()).toEqual(['call_a', 'call_b', 'call_c']);
    }
  });
});
