/**
 * Validation of a compaction request, before anything is counted.
 */
import type { CompactionRequest, CompactionStrategy } from '@runtime/contracts';
import { validateMessages } from './conversation.js';
import { describeValue, isIntegerAtLeast, validationFailed, type Issue } from './errors.js';

const STRATEGIES: ReadonlySet<string> = new Set<CompactionStrategy>(['none', 'truncate', 'keepLastN', 'summarize', 'priority']);

/** Checks the tools offered with a prompt: an array of objects with a non-empty name. */
export function validateTools(tools: unknown, path: string): Issue[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) return [{ path, message: `must be an array of tool definitions, got ${describeValue(tools)}` }];
  const issues: Issue[] = [];
  tools.forEach((tool: unknown, index) => {
    const name = typeof tool === 'object' && tool !== null ? (tool as Record<string, unknown>)['name'] : undefined;
    if (typeof name !== 'string' || name === '') issues.push({ path: `${path}[${index}].name`, message: 'a tool needs a non-empty name' });
  });
  return issues;
}

/**
 * Throws `VALIDATION_FAILED` naming every problem of the request.
 * @param hasSummarizer - whether the `summarize` strategy can run.
 */
export function validateCompactionRequest(request: CompactionRequest, hasSummarizer: boolean): void {
  const input = request as unknown as Record<string, unknown>;
  if (typeof request !== 'object' || request === null) throw validationFailed('compaction request', [{ path: '', message: 'must be an object' }]);
  const issues: Issue[] = [];
  const { maxTokens, strategy, keepLastN, model } = input;
  if (!isIntegerAtLeast(maxTokens, 1)) issues.push({ path: 'maxTokens', message: `must be an integer ≥ 1, got ${describeValue(maxTokens)}` });
  if (typeof strategy !== 'string' || !STRATEGIES.has(strategy)) {
    issues.push({ path: 'strategy', message: `unknown strategy ${describeValue(strategy)} (expected none, truncate, keepLastN, summarize or priority)` });
  } else if (strategy === 'summarize' && !hasSummarizer) {
    issues.push({ path: 'strategy', message: 'strategy summarize needs a summarizer LlmClient in createContextCompactor options' });
  }
  if (keepLastN !== undefined && !isIntegerAtLeast(keepLastN, 0)) {
    issues.push({ path: 'keepLastN', message: `must be an integer ≥ 0, got ${describeValue(keepLastN)}` });
  } else if (keepLastN === undefined && strategy === 'keepLastN') {
    issues.push({ path: 'keepLastN', message: 'strategy keepLastN needs keepLastN (an integer ≥ 0)' });
  }
  if (typeof model !== 'string' || model === '') issues.push({ path: 'model', message: `must be a non-empty string, got ${describeValue(model)}` });
  issues.push(...validateMessages(input['messages'], 'messages'), ...validateTools(input['tools'], 'tools'));
  if (issues.length > 0) throw validationFailed('compaction request', issues);
}
