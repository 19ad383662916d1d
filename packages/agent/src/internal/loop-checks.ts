/** Checks of one agent loop: its input and limits, a compaction's result, the ids of a step's calls. */
import { DEFAULT_AGENT_MAX_STEPS, InternalError } from '@runtime/contracts';
import type { AgentLimits, AgentRunInput, Message, ToolCall, ToolRegistry } from '@runtime/contracts';
import { invalid, policyViolation } from './errors.js';

/** Largest `maxSteps` (HTTP-API v1.1 `AgentTaskSpec.maxSteps`). */
export const MAX_STEPS = 256;

export function checkLimits(input: AgentRunInput, registry: ToolRegistry): { maxSteps: number; depth: number } {
  const limits: AgentLimits = input.limits ?? {};
  const depth = input.depth ?? 0;
  if (limits.maxDepth !== undefined && depth > limits.maxDepth) {
    throw policyViolation('depth', limits.maxDepth, depth, `Agent depth ${depth} exceeds the tier's maxDepth ${limits.maxDepth}.`, { task: input.taskId });
  }
  const maxSteps = limits.maxSteps ?? DEFAULT_AGENT_MAX_STEPS;
  if (!Number.isInteger(maxSteps) || maxSteps < 1 || maxSteps > MAX_STEPS) {
    throw invalid(`Task ${input.taskId}: maxSteps must be an integer from 1 to ${MAX_STEPS}.`, {
      task: input.taskId,
      issues: [{ path: ['agent', 'maxSteps'], message: `got ${maxSteps}` }],
    });
  }
  if (!Number.isInteger(input.maxOutputTokens) || input.maxOutputTokens < 1) {
    throw invalid(`Task ${input.taskId}: maxOutputTokens must be a positive integer.`, {
      task: input.taskId,
      issues: [{ path: ['maxOutputTokens'], message: `got ${input.maxOutputTokens}` }],
    });
  }
  if (input.messages.length === 0) {
    throw invalid(`Task ${input.taskId}: an agent loop needs at least one opening message.`, {
      task: input.taskId,
      issues: [{ path: ['messages'], message: 'empty' }],
    });
  }
  registry.check(input.taskId, input.tools);
  const allowed = limits.allowedTools;
  if (allowed !== undefined && !allowed.includes('*')) {
    const refused = input.tools.find((name) => !allowed.includes(name));
    if (refused !== undefined) {
      throw policyViolation('toolAllowlist', allowed.join(','), refused, `Tool ${refused} is not allowed for this tier.`, { task: input.taskId, tool: refused });
    }
  }
  return { maxSteps, depth };
}

/** A compaction must keep each tool call and its result together, and results after their call. */
export function checkPairs(messages: readonly Message[]): void {
  const open = new Set<string>();
  const answered = new Set<string>();
  for (const message of messages) {
    for (const call of message.toolCalls ?? []) open.add(call.id);
    if (message.role === 'tool' && message.toolCallId !== undefined) {
      if (!open.has(message.toolCallId)) {
        throw new InternalError({
          code: 'INTERNAL',
          message: `Compaction kept the result of tool call ${message.toolCallId} without its call.`,
          details: { callId: message.toolCallId },
        });
      }
      answered.add(message.toolCallId);
    }
  }
  for (const id of open) {
    if (!answered.has(id)) {
      throw new InternalError({ code: 'INTERNAL', message: `Compaction kept tool call ${id} without its result.`, details: { callId: id } });
    }
  }
}

/**
 * Ids the loop can pair results with: a call whose id is empty or repeats an earlier one of the same
 * answer (some OpenAI-compatible servers do this) gets `call_<step>_<index>`, deterministic so a
 * resumed loop that asks the model again names it the same way.
 */
export function uniqueCallIds(step: number, calls: readonly ToolCall[]): readonly ToolCall[] {
  const seen = new Set<string>();
  let changed = false;
  const named = calls.map((call, index) => {
    if (call.id !== '' && !seen.has(call.id)) {
      seen.add(call.id);
      return call;
    }
    changed = true;
    let id = `call_${step}_${index}`;
    while (seen.has(id)) id = `${id}_`;
    seen.add(id);
    return { ...call, id };
  });
  return changed ? named : calls;
}

