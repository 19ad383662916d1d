/**
 * A recorded approval answers only the question it was given for. A nested loop whose calling call
 * never completed runs again from scratch after a crash; its model may ask the same call id with
 * other arguments: the human is asked again instead of the old approval running the new call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentRunner, createToolRegistry, defineTool, subAgentTool } from '@runtime/agent';
import { asTaskId, type LlmClient, type LlmRequest, type LlmResult, type Usage } from '@runtime/contracts';
import { createModelCatalog } from '@runtime/cost';
import { createSqliteRunStore } from '@runtime/orchestration/sqlite';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createRuntime, OFFLINE_CATALOG } from '../src/index.js';

const folder = mkdtempSync(join(tmpdir(), 'stack-agent-approval-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const STEP_USAGE: Usage = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

/** depth 0 delegates; depth 1 asks `transfer` with `amount`, then answers with its result. */
function bankLlm(amount: number): LlmClient {
  return {
    provider: 'scripted',
    complete(request: LlmRequest): Promise<LlmResult> {
      const names = (request.tools ?? []).map((tool) => tool.name);
      const results = request.messages.filter((message) => message.role === 'tool');
      if (results.length === 0) {
        const call = names.includes('delegate')
          ? { id: 'call_1', name: 'delegate', arguments: '{"task":"Pay the invoice."}' }
          : { id: 'call_1', name: 'transfer', arguments: JSON.stringify({ amount }) };
        return Promise.resolve({ output: '', toolCalls: [call], usage: STEP_USAGE, finishReason: 'tool_calls' });
      }
      return Promise.resolve({ output: `answer(${results.at(-1)?.content ?? ''})`, usage: STEP_USAGE, finishReason: 'stop' });
    },
  };
}

describe('approvals across a resume', () => {
  it('an approval recorded for other arguments of the same call id is not reused: the human is asked again', { timeout: 20_000 }, async () => {
    const path = join(folder, 'approval.db');
    const transferred: number[] = [];
    let hang = true;
    const transfer = defineTool({
      name: 'transfer',
      description: 'Transfers money.',
      input: z.object({ amount: z.number() }),
      requiresApproval: true,
      execute: ({ amount }) => {
        transferred.push(amount);
        // The first process dies while the approved transfer runs.
        return hang ? new Promise<string>(() => undefined) : Promise.resolve(`sent ${amount}`);
      },
    });
    const registry = createToolRegistry([transfer]);
    registry.register(subAgentTool({ name: 'delegate', description: 'Delegates a sub-task.', runner: createAgentRunner({ registry }), tools: ['transfer'] }));
    const catalog = createModelCatalog({ builtin: false, catalogs: [OFFLINE_CATALOG] });

    const first = createRuntime({ catalog, llm: bankLlm(9), store: createSqliteRunStore({ path }), owner: 'first', leaseTtlMs: 2_000, tools: registry });
    const started = await first.start({ tasks: [{ id: 'boss', prompt: 'Pay.', agent: { tools: ['delegate'] } }], policy: { budgetUsd: 1 } });
    await vi.waitFor(async () => expect((await first.orchestrator.get(started.id))?.tasks[0]?.waiting?.reason).toBe('input'));
    await first.orchestrator.provideInput(started.id, asTaskId('boss'), { decision: 'approve' });
    await vi.waitFor(() => expect(transferred).toEqual([9]));
    await first.store.close(); // the crash, while the approved transfer of 9 runs

    hang = false;
    const second = createRuntime({ catalog, llm: bankLlm(900), store: createSqliteRunStore({ path }), owner: 'second', tools: registry });
    try {
      await vi.waitFor(async () => expect((await second.store.findResumableRuns(Date.now())).map((record) => record.id)).toEqual([started.id]), { timeout: 10_000, interval: 50 });
      await second.orchestrator.resume(started.id);
      // The nested loop runs again and asks to transfer 900 under the same call id: a new question.
      await vi.waitFor(async () => {
        const task = (await second.orchestrator.get(started.id))?.tasks[0];
        expect(task?.waiting?.reason).toBe('input');
        expect(JSON.stringify(task?.waiting?.details)).toContain('900');
      });
      expect(transferred).toEqual([9]);
      await second.orchestrator.provideInput(started.id, asTaskId('boss'), { decision: 'reject', reason: 'not 900' });
      const run = await second.orchestrator.wait(started.id);
      expect(run.state).toBe('completed');
      expect(transferred).toEqual([9]);
    } finally {
      await second.orchestrator.close();
      await first.orchestrator.close();
    }
  });
});
