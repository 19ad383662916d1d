import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import {
  addTasksRequestSchema,
  budgetViewSchema,
  contextPolicySchema,
  errorBodySchema,
  errorInfoSchema,
  estimateRequestSchema,
  estimateResponseSchema,
  messageSchema,
  modelCatalogFileSchema,
  modelConfigSchema,
  modelInfoSchema,
  modelListResponseSchema,
  modelPricingSchema,
  parseOrThrow,
  runListResponseSchema,
  runPolicySchema,
  runSchema,
  runSpecSchema,
  runtimeEventSchema,
  taskInputRequestSchema,
  sidecarConfigSchema,
  taskDependencySchema,
  taskSpecSchema,
  taskViewSchema,
  tierOverrideSchema,
  tierPolicySchema,
  usageViewSchema,
} from './index.js';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 1, costUsd: 0.000123 };
const at = '2026-11-22T03:00:00.000Z';
const task = { id: 'a', state: 'completed', deps: [], model: 'gpt-4o-mini', attempts: 1, output: 'done', usage, startedAt: at, endedAt: at };
const run = {
  id: 'run_1',
  state: 'running',
  createdAt: at,
  updatedAt: at,
  tasks: [task],
  usage,
  budget: { limitUsd: 1, spentUsd: 0.5, reservedUsd: 0.1 },
};
const pricing = { inputPerMTok: 2.5, outputPerMTok: 10, cacheReadPerMTok: 1.25 };
const model = {
  id: 'gpt-4o',
  provider: 'openai',
  providerModel: 'gpt-4o-2024-08-06',
  role: 'balanced',
  maxInputTokens: 128000,
  maxOutputTokens: 16384,
  pricing,
};
const tier = {
  name: 'free',
  maxDepth: 5,
  maxContextTokens: 8000,
  maxToolCallsPerRun: 10,
  rpm: 10,
  rph: 100,
  tpm: 20000,
  maxBudgetUsdPerRun: 0.5,
  maxParallelism: 2,
};
const error = { code: 'BUDGET_EXCEEDED', message: 'Budget exceeded.', details: { scope: 'run:r1' } };

interface Case {
  readonly schema: z.ZodType;
  readonly valid: readonly unknown[];
  /** [input, a substring of the first issue's path] */
  readonly invalid: readonly (readonly [unknown, string])[];
}

const cases: Record<string, Case> = {
  message: {
    schema: messageSchema,
    valid: [{ role: 'user', content: 'hi' }, { role: 'tool', content: '{}', toolCallId: 'c1', name: 'search' }],
    invalid: [
      [{ role: 'robot', content: 'hi' }, 'role'],
      [{ role: 'user', content: 'hi', pinned: true }, 'pinned'],
      [{ role: 'user', content: null }, 'content'],
    ],
  },
  taskDependency: {
    schema: taskDependencySchema,
    valid: ['a', { id: 'a', select: '$.summary', maxTokens: 200 }, { id: 'b', select: '$.items[0].name' }],
    invalid: [
      [{ id: 'a', select: 'summary' }, 'select'],
      [{ id: 'a', maxTokens: 0 }, 'maxTokens'],
      [{ id: 'a', extra: 1 }, ''],
    ],
  },
  taskSpec: {
    schema: taskSpecSchema,
    valid: [
      { id: 'plan', prompt: 'Plan it', tier: 3, deps: ['x'], maxOutputTokens: 500, metadata: { team: 'core' } },
      { id: 'chat', messages: [{ role: 'user', content: 'hi' }], system: 'be brief', model: 'gpt-4o' },
      { id: 'live', prompt: 'x', stream: true },
      { id: 'agent', prompt: 'x', agent: { tools: ['get_weather'], maxSteps: 8, toolChoice: 'required' } },
    ],
    invalid: [
      [{ id: 'a' }, 'prompt'],
      [{ id: 'a', prompt: 'x', messages: [{ role: 'user', content: 'x' }] }, 'messages'],
      [{ id: 'a', prompt: '' }, 'prompt'],
      [{ id: 'bad id', prompt: 'x' }, 'id'],
      [{ id: 'a'.repeat(129), prompt: 'x' }, 'id'],
      [{ id: 'a', prompt: 'x', tier: 4 }, 'tier'],
      [{ id: 'a', prompt: 'x', maxOutputTokens: 0 }, 'maxOutputTokens'],
      [{ id: 'a', prompt: 'x', maxOutputTokens: 1.5 }, 'maxOutputTokens'],
      [{ id: 'a', prompt: 'x', colour: 'red' }, 'colour'],
      [{ id: 'a', prompt: 'x', model: null }, 'model'],
      [{ id: 'a', messages: [] }, 'messages'],
      [{ id: 'a', prompt: 'x', stream: 'yes' }, 'stream'],
      [{ id: 'a', prompt: 'x', agent: { maxSteps: 2 } }, 'agent.tools'],
      [{ id: 'a', prompt: 'x', agent: { tools: ['bad name'] } }, 'agent.tools[0]'],
      [{ id: 'a', prompt: 'x', agent: { tools: [], maxSteps: 0 } }, 'agent.maxSteps'],
      [{ id: 'a', prompt: 'x', agent: { tools: [], toolChoice: 'any' } }, 'agent.toolChoice'],
    ],
  },
  contextPolicy: {
    schema: contextPolicySchema,
    valid: [{}, { maxTokens: 4000, strategy: 'keepLastN', keepLastN: 0 }, { strategy: 'priority' }],
    invalid: [
      [{ strategy: 'magic' }, 'strategy'],
      [{ maxTokens: 0 }, 'maxTokens'],
      [{ keepLastN: -1 }, 'keepLastN'],
    ],
  },
  runPolicy: {
    schema: runPolicySchema,
    valid: [
      {},
      { maxParallelism: 256, timeoutMs: 60000, taskTimeoutMs: 1000, budgetUsd: 0.01, failurePolicy: 'continue' },
      { timeoutMs: 2_147_483_647, taskTimeoutMs: 2_147_483_647 },
      { defaultMaxOutputTokens: 4096, stream: true },
    ],
    invalid: [
      [{ timeoutMs: 2_592_000_000 }, 'timeoutMs'],
      [{ taskTimeoutMs: 2_147_483_648 }, 'taskTimeoutMs'],
      [{ maxParallelism: 0 }, 'maxParallelism'],
      [{ maxParallelism: 257 }, 'maxParallelism'],
      [{ budgetUsd: 0 }, 'budgetUsd'],
      [{ budgetUsd: -1 }, 'budgetUsd'],
      [{ failurePolicy: 'retry' }, 'failurePolicy'],
      [{ context: { strategy: 'none', extra: true } }, 'context.extra'],
      [{ defaultMaxOutputTokens: 0 }, 'defaultMaxOutputTokens'],
      [{ stream: 1 }, 'stream'],
    ],
  },
  runSpec: {
    schema: runSpecSchema,
    valid: [
      { tasks: [{ id: 'a', prompt: 'x' }] },
      { tasks: [{ id: 'a', prompt: 'x' }, { id: 'b', prompt: 'y', deps: ['a'] }], policy: { maxParallelism: 2 }, idempotencyKey: 'k1', metadata: { a: 'b' } },
    ],
    invalid: [
      [{ tasks: [] }, 'tasks'],
      [{}, 'tasks'],
      [{ tasks: [{ id: 'a', prompt: 'x' }], policy: null }, 'policy'],
      [{ tasks: [{ id: 'a', prompt: 'x' }], metadata: { a: 1 } }, 'metadata.a'],
      [{ tasks: [{ id: 'a', prompt: 'x' }], idempotencyKey: '' }, 'idempotencyKey'],
      [{ tasks: [{ id: 'a', prompt: 'x', deps: [{}] }] }, 'tasks[0].deps[0]'],
    ],
  },
  addTasksRequest: {
    schema: addTasksRequestSchema,
    valid: [{ tasks: [{ id: 'c', prompt: 'z', deps: ['a'] }] }],
    invalid: [
      [{ tasks: [] }, 'tasks'],
      [{ tasks: [{ id: 'c', prompt: 'z' }], policy: {} }, 'policy'],
    ],
  },
  usageView: {
    schema: usageViewSchema,
    valid: [usage],
    invalid: [
      [{ ...usage, inputTokens: -1 }, 'inputTokens'],
      [{ ...usage, costUsd: Number.POSITIVE_INFINITY }, 'costUsd'],
    ],
  },
  errorInfo: {
    schema: errorInfoSchema,
    valid: [error],
    invalid: [
      [{ ...error, code: 'NOPE' }, 'code'],
      [{ code: 'DAG_CYCLE', message: 'x' }, 'details'],
    ],
  },
  errorBody: {
    schema: errorBodySchema,
    valid: [{ error }],
    invalid: [[{ error: { ...error, message: '' } }, 'error.message']],
  },
  taskView: {
    schema: taskViewSchema,
    valid: [task, { ...task, state: 'failed', output: undefined, error }].map((value) =>
      Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)),
    ),
    invalid: [
      [{ ...task, state: 'done' }, 'state'],
      [{ ...task, startedAt: 'yesterday' }, 'startedAt'],
    ],
  },
  budgetView: {
    schema: budgetViewSchema,
    valid: [{ limitUsd: 1, spentUsd: 0, reservedUsd: 0 }],
    invalid: [[{ limitUsd: 1, spentUsd: -0.1, reservedUsd: 0 }, 'spentUsd']],
  },
  run: {
    schema: runSchema,
    valid: [run, { ...run, state: 'failed', budget: null, error }],
    invalid: [
      [{ ...run, state: 'paused' }, 'state'],
      [{ ...run, budget: undefined }, 'budget'],
      [{ ...run, tasks: [{ ...task, usage: {} }] }, 'tasks[0].usage'],
    ],
  },
  runListResponse: {
    schema: runListResponseSchema,
    valid: [{ items: [run], nextCursor: null }, { items: [], nextCursor: 'abc' }],
    invalid: [[{ items: [run] }, 'nextCursor']],
  },
  modelPricing: {
    schema: modelPricingSchema,
    valid: [pricing, { inputPerMTok: 0, outputPerMTok: 0 }],
    invalid: [
      [{ inputPerMTok: -1, outputPerMTok: 1 }, 'inputPerMTok'],
      [{ inputPerMTok: 1 }, 'outputPerMTok'],
    ],
  },
  modelInfo: {
    schema: modelInfoSchema,
    valid: [model, { ...model, encoding: 'o200k_base', capabilities: { tools: true, reasoning: false } }],
    invalid: [
      [{ ...model, role: 'huge' }, 'role'],
      [{ ...model, maxInputTokens: 0 }, 'maxInputTokens'],
      [{ ...model, encoding: 'p50k' }, 'encoding'],
    ],
  },
  modelListResponse: {
    schema: modelListResponseSchema,
    valid: [{ items: [model] }],
    invalid: [[{ items: [{ ...model, pricing: {} }] }, 'items[0].pricing']],
  },
  estimateRequest: {
    schema: estimateRequestSchema,
    valid: [{ prompt: 'hello', tier: 1 }, { messages: [{ role: 'user', content: 'x' }], model: 'gpt-4o', maxOutputTokens: 100 }],
    invalid: [
      [{ tier: 1 }, 'prompt'],
      [{ prompt: 'x', messages: [{ role: 'user', content: 'x' }] }, 'prompt'],
      [{ prompt: 'x', maxOutputTokens: -5 }, 'maxOutputTokens'],
    ],
  },
  estimateResponse: {
    schema: estimateResponseSchema,
    valid: [{ model: 'gpt-4o', inputTokens: 12, maxOutputTokens: 100, maxCostUsd: 0.00103 }],
    invalid: [[{ model: 'gpt-4o', inputTokens: 12, maxOutputTokens: 100 }, 'maxCostUsd']],
  },
  taskInputRequest: {
    schema: taskInputRequestSchema,
    valid: [{ decision: 'approve' }, { decision: 'reject', message: 'not on prod' }, { answer: 'use eu-west-1' }],
    invalid: [
      [{}, ''],
      [{ decision: 'maybe' }, 'decision'],
      [{ decision: 'approve', answer: 'x' }, 'answer'],
      [{ answer: 3 }, 'answer'],
    ],
  },
  runtimeEvent: {
    schema: runtimeEventSchema,
    valid: [
      { runId: 'r', seq: 1, at, type: 'run.started', tasks: 3 },
      { runId: 'r', seq: 2, at, type: 'task.started', taskId: 'a', attempt: 1, model: 'm' },
      { runId: 'r', seq: 3, at, type: 'budget.exceeded', taskId: 'a', scope: 'run:r', limitUsd: 1, spentUsd: 0.9, reservedUsd: 0, requestedUsd: 0.2 },
      { runId: 'r', seq: 4, at, type: 'run.completed', usage },
      { runId: 'r', seq: 2, at, type: 'task.delta', taskId: 'a', attempt: 1, index: 0, text: 'Hel' },
      { runId: 'r', seq: 2, at, type: 'task.delta', taskId: 'a', attempt: 1, index: 1, toolCall: { index: 0, id: 'c1', name: 'f', arguments: '{"' } },
      { runId: 'r', seq: 5, at, type: 'agent.step', taskId: 'a', attempt: 1, step: 1, kind: 'tool_calls', toolCalls: 2, usage, costUsd: 0.001 },
      { runId: 'r', seq: 6, at, type: 'tool.called', taskId: 'a', step: 1, callId: 'c1', tool: 'f', arguments: '{}' },
      { runId: 'r', seq: 7, at, type: 'tool.completed', taskId: 'a', step: 1, callId: 'c1', tool: 'f', result: 'ok', durationMs: 3, costUsd: 0 },
      { runId: 'r', seq: 8, at, type: 'tool.failed', taskId: 'a', step: 1, callId: 'c2', tool: 'f', durationMs: 3, error: { code: 'TOOL_TIMEOUT', message: 'slow', details: { tool: 'f', timeoutMs: 5 } } },
      { runId: 'r', seq: 9, at, type: 'task.input_required', taskId: 'a', kind: 'approval', callId: 'c3', tool: 'deploy', arguments: '{}' },
      { runId: 'r', seq: 10, at, type: 'tool.called', taskId: 'a', step: 1, callId: 'n1', tool: 'f', arguments: '{}', depth: 1, parentCallId: 'c1' },
      { runId: 'r', seq: 11, at, type: 'agent.step', taskId: 'a', attempt: 1, step: 1, kind: 'final_answer', toolCalls: 0, usage, costUsd: 0, depth: 2, parentCallId: 'n1' },
    ],
    invalid: [
      [{ runId: 'r', seq: 0, at, type: 'run.started', tasks: 3 }, 'seq'],
      [{ runId: 'r', seq: 1, at, type: 'task.exploded', taskId: 'a' }, 'type'],
      [{ runId: 'r', seq: 1, at, type: 'task.ready' }, 'taskId'],
      [{ runId: 'r', seq: 2, at, type: 'task.delta', taskId: 'a', attempt: 1, index: -1, text: 'x' }, 'index'],
      [{ runId: 'r', seq: 5, at, type: 'agent.step', taskId: 'a', attempt: 1, step: 1, kind: 'thinking', toolCalls: 0, usage, costUsd: 0 }, 'kind'],
      [{ runId: 'r', seq: 9, at, type: 'task.input_required', taskId: 'a', kind: 'maybe' }, 'kind'],
      [{ runId: 'r', seq: 10, at, type: 'tool.called', taskId: 'a', step: 1, callId: 'n1', tool: 'f', arguments: '{}', depth: 0 }, 'depth'],
    ],
  },
  modelConfig: {
    schema: modelConfigSchema,
    valid: [{ id: 'local', provider: 'vllm', maxInputTokens: 8192, maxOutputTokens: 1024, pricing: { inputPerMTok: 0, outputPerMTok: 0 } }],
    invalid: [[{ id: 'local', provider: 'vllm', maxInputTokens: 8192, pricing: { inputPerMTok: 0, outputPerMTok: 0 } }, 'maxOutputTokens']],
  },
  modelCatalogFile: {
    schema: modelCatalogFileSchema,
    valid: [{}, { models: [], roles: { fast: 'gpt-4o-mini' }, defaultModel: 'gpt-4o' }],
    invalid: [
      [{ roles: { cheap: 'x' } }, 'roles.cheap'],
      [{ models: [{ id: 'm' }] }, 'models[0]'],
    ],
  },
  tierPolicy: {
    schema: tierPolicySchema,
    valid: [tier, { ...tier, allowedModels: ['gpt-4o-mini'] }],
    invalid: [
      [{ ...tier, rpm: -1 }, 'rpm'],
      [{ ...tier, maxBudgetUsdPerRun: 0 }, 'maxBudgetUsdPerRun'],
    ],
  },
  tierOverride: {
    schema: tierOverrideSchema,
    valid: [{}, { rpm: 60, tpm: 100000 }],
    invalid: [
      [{ rpm: 0 }, 'rpm'],
      [{ name: 'x' }, 'name'],
    ],
  },
  sidecarConfig: {
    schema: sidecarConfigSchema,
    valid: [
      {},
      {
        server: { host: '127.0.0.1', port: 8787, bodyLimitBytes: 1048576 },
        store: { kind: 'sqlite', path: './data/runtime.db' },
        ledger: { kind: 'redis', url: 'redis://127.0.0.1:6379' },
        providers: { openai: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9000/v1', apiKeyEnv: 'OPENAI_API_KEY' } },
        models: [{ id: 'm', provider: 'openai', maxInputTokens: 1000, maxOutputTokens: 100, pricing: { inputPerMTok: 1, outputPerMTok: 2 } }],
        defaultModel: 'm',
        auth: { apiKeys: [{ keyEnv: 'KEY_A', tenant: 'acme', tier: 'pro' }, { keyHash: `sha256:${'a'.repeat(64)}`, tenant: 'b', tier: 'free' }] },
        tiers: { pro: { rpm: 60 } },
      },
      {
        store: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1/test', schema: 'runs_a', maxConnections: 4 },
        ledger: { kind: 'redis', url: 'redis://127.0.0.1:6379' },
        rateLimits: { kind: 'redis' },
        shutdown: { mode: 'handOver', timeoutMs: 5000 },
        budgets: { tenants: { acme: { limitUsd: 25 } } },
      },
    ],
    invalid: [
      [{ server: { port: 70000 } }, 'server.port'],
      [{ store: { kind: 'postgres', url: 'postgres://x', schema: 'Bad-Name' } }, 'store.schema'],
      [{ store: { kind: 'postgres', url: 'postgres://x', maxConnections: 0 } }, 'store.maxConnections'],
      [{ shutdown: { mode: 'wait' } }, 'shutdown.mode'],
      [{ budgets: { tenants: { acme: { limitUsd: 0 } } } }, 'budgets.tenants.acme.limitUsd'],
      [{ rateLimits: { kind: 'memory', url: 'redis://x' } }, 'rateLimits'],
      [{ store: { kind: 'mongo' } }, 'store'],
      [{ providers: { x: { type: 'openai-compatible', apiKeyEnv: 'not a var' } } }, 'providers.x.apiKeyEnv'],
      [{ auth: { apiKeys: [{ keyHash: 'md5:abc', tenant: 't', tier: 'free' }] } }, 'auth.apiKeys[0]'],
      [{ tiers: { pro: { rpm: -5 } } }, 'tiers.pro.rpm'],
      [{ unknownSection: {} }, 'unknownSection'],
    ],
  },
};

describe.each(Object.entries(cases))('%s schema', (_name, { schema, valid, invalid }) => {
  it.each(valid.map((value, index) => [index, value] as const))('accepts valid example %i', (_index, value) => {
    const result = schema.safeParse(value);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.success).toBe(true);
  });

  it.each(invalid.map(([value, path], index) => [index, value, path] as const))(
    'rejects invalid example %i naming %s',
    (_index, value, path) => {
      let caught: unknown;
      try {
        parseOrThrow(schema, value, 'example');
      } catch (error) {
        caught = error;
      }
      expect(ValidationError.isInstance(caught)).toBe(true);
      const failure = caught as ValidationError;
      expect(failure.code).toBe('VALIDATION_FAILED');
      const issues = failure.details['issues'] as { path: string; message: string }[];
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.some((issue) => issue.path.includes(path))).toBe(true);
    },
  );
});

describe('parseOrThrow', () => {
  it('returns the parsed value', () => {
    expect(parseOrThrow(runSpecSchema, { tasks: [{ id: 'a', prompt: 'x' }] })).toEqual({ tasks: [{ id: 'a', prompt: 'x' }] });
  });

  it('names the unknown field in the message and reports one issue per unknown field', () => {
    try {
      parseOrThrow(runSpecSchema, { tasks: [{ id: 'a', prompt: 'x', foo: 1, bar: 2 }] }, 'run request');
      expect.unreachable();
    } catch (error) {
      const failure = error as ValidationError;
      expect(failure.message).toBe('Invalid run request at tasks[0].foo: unknown field.');
      expect(failure.details['issues']).toEqual([
        { path: 'tasks[0].foo', message: 'unknown field' },
        { path: 'tasks[0].bar', message: 'unknown field' },
      ]);
    }
  });
});
