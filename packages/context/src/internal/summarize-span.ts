/**
 * The `summarize` strategy: the oldest unprotected span becomes one summary message.
 */
import {
  asModelId,
  type CompactionRequest,
  type CompactionResult,
  type LlmCallOptions,
  type LlmClient,
  type Message,
  type TokenEstimator,
} from '@runtime/contracts';
import type { AnalyzedConversation } from './conversation.js';
import { indicesOf, planTruncate, without } from './drop-plan.js';
import { longestFittingPrefix } from './fit-text.js';

/** Below this many tokens of room a summary is not worth a call: the span is dropped instead. */
const MIN_SUMMARY_TOKENS = 16;
const CUT_MARKER = '\n[summary cut to fit the context budget]';

const INSTRUCTIONS =
  'Summarize the conversation excerpt you are given so that the conversation can continue without it. ' +
  'Keep decisions, facts, numbers, identifiers, open questions and the results of tool calls. Answer with the summary only.';

/** Inputs of {@link summarizeSpan}. */
export interface SummarizeSpanInput {
  readonly request: CompactionRequest;
  readonly conversation: AnalyzedConversation;
  readonly estimator: TokenEstimator;
  readonly summarizer: LlmClient;
  readonly summaryMaxTokens: number;
  readonly callOptions: LlmCallOptions | undefined;
}

function header(count: number): string {
  return `[Summary of ${count} earlier message${count === 1 ? '' : 's'}]\n`;
}

function transcript(messages: readonly Message[], indices: readonly number[]): string {
  const lines: string[] = [];
  for (const index of indices) {
    const message = messages[index] as Message;
    let line = `${message.role}${message.name === undefined ? '' : ` (${message.name})`}: ${message.content}`;
    for (const call of message.toolCalls ?? []) line += `\n  calls ${call.name}(${call.arguments}) [${call.id}]`;
    if (message.toolCallId !== undefined) line = `${line}\n  (result of ${message.toolCallId})`;
    lines.push(line);
  }
  return lines.join('\n\n');
}

/**
 * Removes the oldest unprotected units, leaving room for a summary of them, asks the summarizer
 * and inserts its answer where the span began. The summary is cut (with a marker) if the
 * summarizer wrote more than the room; the span is dropped without a summary when there is no room
 * for one or the summarizer answered nothing but whitespace (the report then lists it under `dropped`).
 */
export async function summarizeSpan(input: SummarizeSpanInput): Promise<CompactionResult> {
  const { request, conversation, estimator, summarizer } = input;
  const emptySummaryTokens = estimator.countMessage({ role: 'user', content: header(1) }, request.model);
  const reserve = emptySummaryTokens + input.summaryMaxTokens;
  // Make room for the summary too; when that is impossible, every unprotected unit goes into it.
  const removed = planTruncate(conversation, Math.max(request.maxTokens - reserve, conversation.minimumTokens));
  const span = indicesOf(removed.removed);
  const room = request.maxTokens - removed.tokensAfter;
  const summaryBudget = Math.min(input.summaryMaxTokens, room - emptySummaryTokens);
  const base = { strategy: request.strategy, tokensBefore: conversation.totalTokens } as const;
  if (summaryBudget < MIN_SUMMARY_TOKENS) {
    return {
      messages: without(request.messages, span),
      report: { ...base, tokensAfter: removed.tokensAfter, dropped: span, summarized: [] },
    };
  }
  const result = await summarizer.complete(
    {
      model: asModelId(request.model),
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: transcript(request.messages, span) },
      ],
      maxOutputTokens: summaryBudget,
    },
    input.callOptions,
  );
  const head = header(span.length);
  const fits = (text: string): boolean => estimator.countMessage({ role: 'user', content: head + text }, request.model) <= room;
  const output = result.output.trim();
  let content: string | undefined;
  // An empty answer summarizes nothing: the span is reported dropped (its usage is still returned).
  if (output !== '') {
    if (longestFittingPrefix(output, fits) === output) content = head + output;
    else {
      const cut = longestFittingPrefix(output, (prefix) => fits(prefix + CUT_MARKER));
      content = cut === undefined ? undefined : head + cut + CUT_MARKER;
    }
  }
  if (content === undefined) {
    return {
      messages: without(request.messages, span),
      report: { ...base, tokensAfter: removed.tokensAfter, dropped: span, summarized: [], summaryUsage: result.usage },
    };
  }
  const summary: Message = { role: 'user', content };
  const first = span[0] ?? 0;
  const messages: Message[] = [];
  const skip = new Set(span);
  for (let index = 0; index < request.messages.length; index += 1) {
    if (index === first) messages.push(summary);
    if (!skip.has(index)) messages.push(request.messages[index] as Message);
  }
  const tokensAfter = removed.tokensAfter + estimator.countMessage(summary, request.model);
  return { messages, report: { ...base, tokensAfter, dropped: [], summarized: span, summaryUsage: result.usage } };
}
