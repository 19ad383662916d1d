/**
 * Schema of the SSE event payloads.
 */
import { z } from 'zod';
import type { RuntimeEvent } from '../index.js';
import { isoTimestampSchema, nonNegativeIntSchema, positiveIntSchema, runIdSchema, taskIdSchema, usdAmountSchema } from './primitives.js';
import { errorInfoSchema, usageViewSchema } from './wire.js';

const base = { runId: runIdSchema, seq: positiveIntSchema, at: isoTimestampSchema };
const usageAdjustmentSchema = z.strictObject({
  field: z.enum(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'cacheWrite1hTokens']),
  reported: z.string(),
  used: nonNegativeIntSchema,
  reason: z.enum(['invalid', 'fractional', 'subset']),
});
const circuitStateSchema = z.enum(['closed', 'open', 'halfOpen']);

/**
 * Any {@link RuntimeEvent}, discriminated by `type`.
 * @public
 */
export const runtimeEventSchema: z.ZodType<RuntimeEvent> = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('run.started'), tasks: nonNegativeIntSchema }),
  z.strictObject({ ...base, type: z.literal('task.added'), taskId: taskIdSchema }),
  z.strictObject({ ...base, type: z.literal('task.ready'), taskId: taskIdSchema }),
  z.strictObject({ ...base, type: z.literal('task.started'), taskId: taskIdSchema, attempt: positiveIntSchema, model: z.string() }),
  z.strictObject({
    ...base,
    type: z.literal('task.retrying'),
    taskId: taskIdSchema,
    attempt: positiveIntSchema,
    delayMs: nonNegativeIntSchema,
    error: errorInfoSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('task.completed'),
    taskId: taskIdSchema,
    attempt: positiveIntSchema,
    usage: usageViewSchema,
    costUsd: usdAmountSchema,
    source: z.enum(['provider', 'dedup', 'cache']).exactOptional(),
    usageAdjusted: z.array(usageAdjustmentSchema).readonly().exactOptional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('task.failed'),
    taskId: taskIdSchema,
    attempt: nonNegativeIntSchema,
    error: errorInfoSchema,
    usage: usageViewSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('task.skipped'),
    taskId: taskIdSchema,
    reason: z.enum(['dependencyFailed', 'runFailed', 'runAborted']),
    dependency: taskIdSchema.exactOptional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('budget.reserved'),
    taskId: taskIdSchema,
    reservationId: z.string(),
    amountUsd: usdAmountSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('budget.settled'),
    taskId: taskIdSchema,
    reservationId: z.string(),
    costUsd: usdAmountSchema,
    reservedUsd: usdAmountSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('budget.released'),
    taskId: taskIdSchema,
    reservationId: z.string(),
    amountUsd: usdAmountSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('budget.exceeded'),
    taskId: taskIdSchema,
    scope: z.string(),
    limitUsd: usdAmountSchema,
    spentUsd: usdAmountSchema,
    reservedUsd: usdAmountSchema,
    requestedUsd: usdAmountSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('context.compacted'),
    taskId: taskIdSchema,
    strategy: z.enum(['none', 'truncate', 'keepLastN', 'summarize', 'priority']),
    tokensBefore: nonNegativeIntSchema,
    tokensAfter: nonNegativeIntSchema,
    droppedMessages: nonNegativeIntSchema,
    summarizedMessages: nonNegativeIntSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('provider.circuit'),
    provider: z.string(),
    model: z.string(),
    from: circuitStateSchema,
    to: circuitStateSchema,
  }),
  z.strictObject({ ...base, type: z.literal('provider.deduplicated'), taskId: taskIdSchema, model: z.string() }),
  z.strictObject({
    ...base,
    type: z.literal('budget.overrun'),
    taskId: taskIdSchema,
    reservationId: z.string(),
    reservedUsd: usdAmountSchema,
    actualUsd: usdAmountSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('task.waiting'),
    taskId: taskIdSchema,
    reason: z.enum(['budget', 'rateLimit', 'input']),
    details: z.record(z.string(), z.unknown()).exactOptional(),
  }),
  z.strictObject({ ...base, type: z.literal('task.throttled'), taskId: taskIdSchema, rule: z.string(), retryAfterMs: nonNegativeIntSchema }),
  z.strictObject({ ...base, type: z.literal('task.memory_missing'), taskId: taskIdSchema, keys: z.array(z.string()).min(1) }),
  z.strictObject({
    ...base,
    type: z.literal('task.delta'),
    taskId: taskIdSchema,
    attempt: positiveIntSchema,
    index: nonNegativeIntSchema,
    text: z.string().exactOptional(),
    toolCall: z
      .strictObject({
        index: nonNegativeIntSchema,
        id: z.string().exactOptional(),
        name: z.string().exactOptional(),
        arguments: z.string().exactOptional(),
      })
      .exactOptional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('agent.step'),
    taskId: taskIdSchema,
    attempt: positiveIntSchema,
    step: positiveIntSchema,
    kind: z.enum(['tool_calls', 'final_answer']),
    output: z.string().exactOptional(),
    toolCalls: nonNegativeIntSchema,
    usage: usageViewSchema,
    costUsd: usdAmountSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('tool.called'),
    taskId: taskIdSchema,
    step: positiveIntSchema,
    callId: z.string(),
    tool: z.string(),
    arguments: z.string(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('tool.completed'),
    taskId: taskIdSchema,
    step: positiveIntSchema,
    callId: z.string(),
    tool: z.string(),
    result: z.string(),
    durationMs: nonNegativeIntSchema,
    costUsd: usdAmountSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('tool.failed'),
    taskId: taskIdSchema,
    step: positiveIntSchema,
    callId: z.string(),
    tool: z.string(),
    error: errorInfoSchema,
    durationMs: nonNegativeIntSchema,
  }),
  z.strictObject({
    ...base,
    type: z.literal('task.input_required'),
    taskId: taskIdSchema,
    kind: z.enum(['approval', 'answer']),
    callId: z.string().exactOptional(),
    tool: z.string().exactOptional(),
    arguments: z.string().exactOptional(),
    prompt: z.string().exactOptional(),
  }),
  z.strictObject({ ...base, type: z.literal('run.completed'), usage: usageViewSchema }),
  z.strictObject({ ...base, type: z.literal('run.failed'), error: errorInfoSchema, usage: usageViewSchema }),
  z.strictObject({ ...base, type: z.literal('run.aborted'), reason: z.string().exactOptional(), usage: usageViewSchema }),
]);
