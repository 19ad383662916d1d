/**
 * Schemas of the request and response bodies of HTTP-API.md.
 *
 * @remarks
 * Validation is strict at every level: unknown fields are rejected, `null` is never a value,
 * integers are ≥ 1 unless a range is given, and a task has exactly one of `prompt` or `messages`.
 */
import { z } from 'zod';
import type {
  AddTasksRequest,
  TaskInputRequest,
  AgentTaskSpec,
  BudgetView,
  ContextPolicy,
  ErrorBody,
  ErrorInfo,
  EstimateRequest,
  EstimateResponse,
  ModelCapabilities,
  ModelInfo,
  ModelListResponse,
  ModelPricing,
  ModelRole,
  Run,
  RunListResponse,
  RunPolicy,
  RunSpec,
  Task,
  TaskDependency,
  TaskSpec,
  TaskSpecBase,
  TaskTier,
  TokenEncoding,
  UsageView,
  WireMessage,
} from '../index.js';
import { ERROR_CODES } from '../errors.js';
import {
  isoTimestampSchema,
  metadataSchema,
  modelIdSchema,
  nonNegativeIntSchema,
  positiveIntSchema,
  runIdSchema,
  taskIdSchema,
  usdAmountSchema,
} from './primitives.js';

/**
 * Most tasks accepted in one request.
 * @public
 */
export const MAX_TASKS_PER_REQUEST: number = 10_000;

/**
 * A chat message on the wire.
 * @public
 */
export const messageSchema: z.ZodType<WireMessage> = z.strictObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().max(4_000_000),
  name: z.string().min(1).max(64).exactOptional(),
  toolCallId: z.string().min(1).max(256).exactOptional(),
});

/**
 * A dependency: an id or `{ id, select?, maxTokens? }`.
 * @public
 */
export const taskDependencySchema: z.ZodType<TaskDependency> = z.union([
  taskIdSchema,
  z.strictObject({
    id: taskIdSchema,
    select: z
      .string()
      .regex(/^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$/, 'must be a path such as $.summary or $.items[0].name')
      .exactOptional(),
    maxTokens: positiveIntSchema.exactOptional(),
  }),
]);

const taskTierSchema: z.ZodType<TaskTier> = z.union([z.literal(1), z.literal(2), z.literal(3)]);

const toolNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

const agentTaskSpecSchema: z.ZodType<AgentTaskSpec> = z.strictObject({
  tools: z.array(toolNameSchema).max(128),
  maxSteps: z.int().min(1).max(256).exactOptional(),
  toolChoice: z.enum(['auto', 'required', 'none']).exactOptional(),
});

const taskSpecObject = z.strictObject({
  id: taskIdSchema,
  prompt: z.string().min(1).max(4_000_000).exactOptional(),
  messages: z.array(messageSchema).min(1).max(10_000).exactOptional(),
  deps: z.array(taskDependencySchema).max(1_000).exactOptional(),
  model: modelIdSchema.exactOptional(),
  tier: taskTierSchema.exactOptional(),
  maxOutputTokens: z.int().min(1).max(1_000_000).exactOptional(),
  system: z.string().max(1_000_000).exactOptional(),
  metadata: metadataSchema.exactOptional(),
  memory: z.array(z.string().min(1).max(256)).max(256).exactOptional(),
  tools: z.array(toolNameSchema).max(128).exactOptional(),
  stream: z.boolean().exactOptional(),
  agent: agentTaskSpecSchema.exactOptional(),
}) satisfies z.ZodType<TaskSpecBase & { prompt?: string; messages?: readonly WireMessage[] }>;

/**
 * A task spec: exactly one of `prompt` (non-empty) or `messages` (non-empty).
 * @public
 */
export const taskSpecSchema: z.ZodType<TaskSpec> = taskSpecObject.superRefine((task, context) => {
  const hasPrompt = task.prompt !== undefined;
  const hasMessages = task.messages !== undefined;
  if (hasPrompt === hasMessages) {
    context.addIssue({
      code: 'custom',
      path: hasPrompt ? ['messages'] : ['prompt'],
      message: hasPrompt ? 'a task has exactly one of prompt or messages, not both' : 'a task needs prompt or messages',
    });
  }
}) as unknown as z.ZodType<TaskSpec>;

/**
 * Context limits.
 * @public
 */
export const contextPolicySchema: z.ZodType<ContextPolicy> = z.strictObject({
  maxTokens: positiveIntSchema.exactOptional(),
  strategy: z.enum(['none', 'truncate', 'keepLastN', 'summarize', 'priority']).exactOptional(),
  keepLastN: nonNegativeIntSchema.exactOptional(),
});

/** A deadline in ms a timer can hold: `setTimeout` fires at once for anything above 2^31 − 1 ms. */
const timerMsSchema = z.int().min(1).max(2_147_483_647, 'must be at most 2147483647 ms (about 24.8 days)');

/**
 * Run limits and behaviour.
 * @public
 */
export const runPolicySchema: z.ZodType<RunPolicy> = z.strictObject({
  maxParallelism: z.int().min(1).max(256).exactOptional(),
  timeoutMs: timerMsSchema.exactOptional(),
  taskTimeoutMs: timerMsSchema.exactOptional(),
  budgetUsd: z.number().gt(0).refine(Number.isFinite, 'must be finite').exactOptional(),
  failurePolicy: z.enum(['failFast', 'continue']).exactOptional(),
  context: contextPolicySchema.exactOptional(),
  defaultMaxOutputTokens: z.int().min(1).max(1_000_000).exactOptional(),
  stream: z.boolean().exactOptional(),
});

/**
 * `POST /v1/runs` body (`RunRequest`).
 * @public
 */
export const runSpecSchema: z.ZodType<RunSpec> = z.strictObject({
  tasks: z.array(taskSpecSchema).min(1).max(MAX_TASKS_PER_REQUEST),
  policy: runPolicySchema.exactOptional(),
  metadata: metadataSchema.exactOptional(),
  idempotencyKey: z.string().min(1).max(256).exactOptional(),
});

/**
 * `POST /v1/runs/{id}/tasks` body.
 * @public
 */
export const addTasksRequestSchema: z.ZodType<AddTasksRequest> = z.strictObject({
  tasks: z.array(taskSpecSchema).min(1).max(MAX_TASKS_PER_REQUEST),
});

/**
 * `POST /v1/runs/{id}/tasks/{taskId}/input` body: `{decision, message?}` or `{answer}`.
 * @public
 */
export const taskInputRequestSchema: z.ZodType<TaskInputRequest> = z
  .strictObject({
    decision: z.enum(['approve', 'reject']).exactOptional(),
    message: z.string().max(100_000).exactOptional(),
    answer: z.string().max(1_000_000).exactOptional(),
  })
  .superRefine((body, context) => {
    if (body.decision === undefined && body.answer === undefined) {
      context.addIssue({ code: 'custom', path: [], message: 'give either decision or answer' });
    }
    if (body.decision !== undefined && body.answer !== undefined) {
      context.addIssue({ code: 'custom', path: ['answer'], message: 'give either decision or answer, not both' });
    }
    if (body.message !== undefined && body.decision === undefined) {
      context.addIssue({ code: 'custom', path: ['message'], message: 'message goes with a decision' });
    }
  }) as unknown as z.ZodType<TaskInputRequest>;

/**
 * Usage with cost.
 * @public
 */
export const usageViewSchema: z.ZodType<UsageView> = z.strictObject({
  inputTokens: nonNegativeIntSchema,
  outputTokens: nonNegativeIntSchema,
  cacheReadTokens: nonNegativeIntSchema,
  cacheWriteTokens: nonNegativeIntSchema,
  reasoningTokens: nonNegativeIntSchema,
  costUsd: usdAmountSchema,
});

/**
 * An error as carried by bodies, runs, tasks and events.
 * @public
 */
export const errorInfoSchema: z.ZodType<ErrorInfo> = z.strictObject({
  code: z.enum(ERROR_CODES as [string, ...string[]]) as unknown as z.ZodType<ErrorInfo['code']>,
  message: z.string().min(1),
  details: z.record(z.string(), z.unknown()),
});

/**
 * Every error response: `{ error: { code, message, details } }`.
 * @public
 */
export const errorBodySchema: z.ZodType<ErrorBody> = z.strictObject({ error: errorInfoSchema });

/**
 * A task as reported.
 * @public
 */
export const taskViewSchema: z.ZodType<Task> = z.strictObject({
  id: taskIdSchema,
  state: z.enum(['pending', 'ready', 'running', 'waiting', 'completed', 'failed', 'skipped']),
  deps: z.array(taskIdSchema),
  model: z.string(),
  attempts: nonNegativeIntSchema,
  output: z.string().exactOptional(),
  error: errorInfoSchema.exactOptional(),
  usage: usageViewSchema,
  startedAt: isoTimestampSchema.exactOptional(),
  endedAt: isoTimestampSchema.exactOptional(),
  waiting: z
    .strictObject({ reason: z.enum(['budget', 'rateLimit', 'input']), until: isoTimestampSchema.exactOptional(), details: z.record(z.string(), z.unknown()) })
    .exactOptional(),
  source: z.enum(['provider', 'dedup', 'cache']).exactOptional(),
  usageAdjusted: z
    .array(
      z.strictObject({
        field: z.enum(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'cacheWrite1hTokens']),
        reported: z.string(),
        used: nonNegativeIntSchema,
        reason: z.enum(['invalid', 'fractional', 'subset']),
      }),
    )
    .readonly()
    .exactOptional(),
});

/**
 * A run's budget.
 * @public
 */
export const budgetViewSchema: z.ZodType<BudgetView> = z.strictObject({
  limitUsd: usdAmountSchema,
  spentUsd: usdAmountSchema,
  reservedUsd: usdAmountSchema,
});

/**
 * A run as reported.
 * @public
 */
export const runSchema: z.ZodType<Run> = z.strictObject({
  id: runIdSchema,
  state: z.enum(['pending', 'running', 'completed', 'failed', 'aborted']),
  createdAt: isoTimestampSchema,
  updatedAt: isoTimestampSchema,
  tasks: z.array(taskViewSchema),
  usage: usageViewSchema,
  budget: budgetViewSchema.nullable(),
  error: errorInfoSchema.exactOptional(),
  metadata: metadataSchema.exactOptional(),
});

/**
 * `GET /v1/runs` response.
 * @public
 */
export const runListResponseSchema: z.ZodType<RunListResponse> = z.strictObject({
  items: z.array(runSchema),
  nextCursor: z.string().nullable(),
});

/**
 * Prices in USD per million tokens.
 * @public
 */
export const modelPricingSchema: z.ZodType<ModelPricing> = z.strictObject({
  inputPerMTok: usdAmountSchema,
  outputPerMTok: usdAmountSchema,
  cacheReadPerMTok: usdAmountSchema.exactOptional(),
  cacheWritePerMTok: usdAmountSchema.exactOptional(),
  cacheWrite1hPerMTok: usdAmountSchema.exactOptional(),
  reasoningPerMTok: usdAmountSchema.exactOptional(),
});

/**
 * A model role.
 * @public
 */
export const modelRoleSchema: z.ZodType<ModelRole> = z.enum(['fast', 'balanced', 'flagship']);

/**
 * A public tokenizer encoding.
 * @public
 */
export const tokenEncodingSchema: z.ZodType<TokenEncoding> = z.enum(['o200k_base', 'cl100k_base']);

/**
 * What a model supports.
 * @public
 */
export const modelCapabilitiesSchema: z.ZodType<ModelCapabilities> = z.strictObject({
  tools: z.boolean().exactOptional(),
  streaming: z.boolean().exactOptional(),
  reasoning: z.boolean().exactOptional(),
  vision: z.boolean().exactOptional(),
  promptCaching: z.boolean().exactOptional(),
  outputTokensParam: z.enum(['max_tokens', 'max_completion_tokens']).exactOptional(),
});

/** Checks the window rules of a model: a context window holds at least one full output. */
export function refineModelWindow(model: { readonly maxOutputTokens: number; readonly contextWindow?: number | undefined }, context: z.RefinementCtx): void {
  if (model.contextWindow !== undefined && model.contextWindow < model.maxOutputTokens) {
    context.addIssue({ code: 'custom', path: ['contextWindow'], message: `must be at least maxOutputTokens (${model.maxOutputTokens})` });
  }
}

/**
 * A catalog entry.
 * @public
 */
export const modelInfoSchema: z.ZodType<ModelInfo> = z.strictObject({
  id: modelIdSchema,
  provider: z.string().min(1).max(128),
  providerModel: z.string().min(1).max(256),
  role: modelRoleSchema,
  maxInputTokens: positiveIntSchema,
  contextWindow: positiveIntSchema.exactOptional(),
  maxOutputTokens: positiveIntSchema,
  pricing: modelPricingSchema,
  encoding: tokenEncodingSchema.exactOptional(),
  capabilities: modelCapabilitiesSchema.exactOptional(),
}).superRefine(refineModelWindow);

/**
 * `GET /v1/models` response.
 * @public
 */
export const modelListResponseSchema: z.ZodType<ModelListResponse> = z.strictObject({ items: z.array(modelInfoSchema) });

/**
 * `POST /v1/estimate` body: exactly one of `prompt` or `messages`.
 * @public
 */
export const estimateRequestSchema: z.ZodType<EstimateRequest> = z
  .strictObject({
    model: modelIdSchema.exactOptional(),
    tier: taskTierSchema.exactOptional(),
    prompt: z.string().min(1).max(4_000_000).exactOptional(),
    messages: z.array(messageSchema).min(1).max(10_000).exactOptional(),
    system: z.string().max(1_000_000).exactOptional(),
    maxOutputTokens: z.int().min(1).max(1_000_000).exactOptional(),
  })
  .superRefine((body, context) => {
    if ((body.prompt !== undefined) === (body.messages !== undefined)) {
      context.addIssue({ code: 'custom', path: ['prompt'], message: 'exactly one of prompt or messages is required' });
    }
  });

/**
 * `POST /v1/estimate` response.
 * @public
 */
export const estimateResponseSchema: z.ZodType<EstimateResponse> = z.strictObject({
  model: z.string(),
  inputTokens: nonNegativeIntSchema,
  maxOutputTokens: positiveIntSchema,
  maxCostUsd: usdAmountSchema,
});
