/**
 * Validation of a conversation and its partition into units that compaction keeps or drops whole.
 *
 * @remarks
 * A unit is one message, or an assistant message with tool calls together with every tool result
 * that answers one of its calls: a call and its results stay or go together. A unit that holds a
 * pinned or system message is protected (never dropped or summarized). Every message is counted
 * exactly once here; compaction then only adds and subtracts these counts.
 */
import { REPLY_PRIMING_TOKENS, type Message, type TokenEstimator, type ToolDefinition } from '@runtime/contracts';
import { describeValue, type Issue } from './errors.js';

const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);

/** Messages that compaction keeps or drops together. */
export interface ConversationUnit {
  /** Input indices, ascending. */
  readonly indices: readonly number[];
  /** Sum of the members' message tokens. */
  readonly tokens: number;
  /** Holds a pinned or system message. */
  readonly isProtected: boolean;
  /** Highest member priority (default 0). */
  readonly priority: number;
  /** Index of the first member (its position in the conversation). */
  readonly first: number;
}

/** A counted, partitioned conversation. */
export interface AnalyzedConversation {
  /** Tokens of each message, by input index. */
  readonly messageTokens: readonly number[];
  /** Units, ordered by their first index. */
  readonly units: readonly ConversationUnit[];
  /** Reply priming + tools: present whatever is kept. */
  readonly baseTokens: number;
  /** Tokens of the whole prompt. */
  readonly totalTokens: number;
  /** Tokens of the prompt when only protected units are kept. */
  readonly minimumTokens: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateToolCalls(value: unknown, path: string, issues: Issue[]): void {
  if (!Array.isArray(value)) {
    issues.push({ path, message: `toolCalls must be an array, got ${describeValue(value)}` });
    return;
  }
  value.forEach((call: unknown, index) => {
    const callPath = `${path}[${index}]`;
    if (!isRecord(call)) {
      issues.push({ path: callPath, message: `a tool call must be an object, got ${describeValue(call)}` });
      return;
    }
    for (const field of ['id', 'name', 'arguments'] as const) {
      if (typeof call[field] !== 'string' || (field !== 'arguments' && call[field] === '')) {
        issues.push({ path: `${callPath}.${field}`, message: `must be a non-empty string, got ${describeValue(call[field])}` });
      }
    }
  });
}

/** A message's path; built only when a problem is reported, since validation runs on every compaction. */
function where(path: string, index: number): string {
  return `${path}[${index}]`;
}

/**
 * Checks the shape of every message and that each tool result answers a call of an earlier
 * assistant message. Returns every problem found (empty when valid).
 */
export function validateMessages(messages: unknown, path = 'messages'): Issue[] {
  const issues: Issue[] = [];
  if (!Array.isArray(messages)) return [{ path, message: `must be an array of messages, got ${describeValue(messages)}` }];
  const openCalls = new Set<string>();
  for (let index = 0; index < messages.length; index += 1) {
    const message: unknown = messages[index];
    if (!isRecord(message)) {
      issues.push({ path: where(path, index), message: `a message must be an object, got ${describeValue(message)}` });
      continue;
    }
    const role = message['role'];
    if (typeof role !== 'string' || !ROLES.has(role)) {
      issues.push({ path: `${where(path, index)}.role`, message: `unknown role ${describeValue(role)} (expected system, user, assistant or tool)` });
      continue;
    }
    if (typeof message['content'] !== 'string') {
      issues.push({ path: `${where(path, index)}.content`, message: `must be a string, got ${describeValue(message['content'])}` });
    }
    if (message['name'] !== undefined && (typeof message['name'] !== 'string' || message['name'] === '')) {
      issues.push({ path: `${where(path, index)}.name`, message: `must be a non-empty string, got ${describeValue(message['name'])}` });
    }
    if (message['pinned'] !== undefined && typeof message['pinned'] !== 'boolean') {
      issues.push({ path: `${where(path, index)}.pinned`, message: `must be a boolean, got ${describeValue(message['pinned'])}` });
    }
    const priority = message['priority'];
    if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) {
      issues.push({ path: `${where(path, index)}.priority`, message: `must be a finite number, got ${describeValue(priority)}` });
    }
    const toolCalls = message['toolCalls'];
    if (toolCalls !== undefined) {
      if (role !== 'assistant') issues.push({ path: `${where(path, index)}.toolCalls`, message: `only assistant messages carry tool calls, not ${role}` });
      else {
        validateToolCalls(toolCalls, `${where(path, index)}.toolCalls`, issues);
        if (Array.isArray(toolCalls)) {
          for (const call of toolCalls as unknown[]) if (isRecord(call) && typeof call['id'] === 'string') openCalls.add(call['id']);
        }
      }
    }
    const toolCallId = message['toolCallId'];
    if (role === 'tool') {
      if (typeof toolCallId !== 'string' || toolCallId === '') {
        issues.push({ path: `${where(path, index)}.toolCallId`, message: 'a tool result needs the toolCallId of the call it answers' });
      } else if (!openCalls.has(toolCallId)) {
        issues.push({
          path: `${where(path, index)}.toolCallId`,
          message: `tool result ${describeValue(toolCallId)} has no matching tool call in an earlier assistant message`,
        });
      }
    } else if (toolCallId !== undefined) {
      issues.push({ path: `${where(path, index)}.toolCallId`, message: `only tool messages carry a toolCallId, not ${role}` });
    }
  }
  return issues;
}

/** Tokens of reply priming plus tools (tools are counted only when there are some). */
export function baseTokens(estimator: TokenEstimator, model: string, tools: readonly ToolDefinition[] | undefined): number {
  return REPLY_PRIMING_TOKENS + (tools !== undefined && tools.length > 0 ? estimator.countTools(tools, model) : 0);
}

interface MutableUnit {
  indices: number[];
  tokens: number;
  isProtected: boolean;
  priority: number;
  first: number;
}

/**
 * Counts each message once and partitions a validated conversation into units.
 */
export function analyzeConversation(
  messages: readonly Message[],
  model: string,
  tools: readonly ToolDefinition[] | undefined,
  estimator: TokenEstimator,
): AnalyzedConversation {
  const messageTokens: number[] = new Array<number>(messages.length);
  const units: MutableUnit[] = [];
  const unitOfCall = new Map<string, MutableUnit>();
  let total = 0;
  for (let index = 0; index < messages.length; index += 1) {
    const message = messages[index] as Message;
    const tokens = estimator.countMessage(message, model);
    messageTokens[index] = tokens;
    total += tokens;
    const isProtected = message.pinned === true || message.role === 'system';
    const priority = message.priority ?? 0;
    const owner = message.role === 'tool' && message.toolCallId !== undefined ? unitOfCall.get(message.toolCallId) : undefined;
    if (owner !== undefined) {
      owner.indices.push(index);
      owner.tokens += tokens;
      owner.isProtected ||= isProtected;
      owner.priority = Math.max(owner.priority, priority);
      continue;
    }
    const unit: MutableUnit = { indices: [index], tokens, isProtected, priority, first: index };
    units.push(unit);
    if (message.toolCalls !== undefined) for (const call of message.toolCalls) unitOfCall.set(call.id, unit);
  }
  const base = baseTokens(estimator, model, tools);
  let protectedTokens = 0;
  for (const unit of units) if (unit.isProtected) protectedTokens += unit.tokens;
  return {
    messageTokens,
    units,
    baseTokens: base,
    totalTokens: base + total,
    minimumTokens: base + protectedTokens,
  };
}
