/**
 * ContextCompactor: fits a conversation into a token budget without silent information loss.
 *
 * @remarks
 * Use it after {@link @runtime/contracts#ContextBuilder} and before the budget reservation, with the same
 * `TokenEstimator` the reservation uses. It counts every message exactly once and decides by
 * subtraction, so compacting costs about as much as counting. It is not responsible for choosing
 * `maxTokens` (the orchestrator derives it from the model's window).
 */
import type {
  CompactionReport,
  CompactionRequest,
  CompactionResult,
  CompactionStrategy,
  ContextCompactor,
  LlmCallOptions,
  LlmClient,
  TokenEstimator,
} from '@runtime/contracts';
import { analyzeConversation, type AnalyzedConversation } from './internal/conversation.js';
import { indicesOf, planKeepLastN, planPriority, planTruncate, without, type DropPlan } from './internal/drop-plan.js';
import { contextTooLarge } from './internal/errors.js';
import { validateCompactionRequest } from './internal/validate-compaction-request.js';
import { summarizeSpan } from './internal/summarize-span.js';

/**
 * Options of {@link createContextCompactor}.
 * @public
 */
export interface ContextCompactorOptions {
  /** Counts tokens; the only source of token counts. */
  readonly estimator: TokenEstimator;
  /** Writes summaries for the `summarize` strategy; that strategy is refused without one. */
  readonly summarizer?: LlmClient;
  /**
   * Most tokens of a summary's text (the summary call's `maxOutputTokens`); less when the budget
   * has less room.
   * @defaultValue 256
   */
  readonly summaryMaxTokens?: number;
}

const DEFAULT_SUMMARY_MAX_TOKENS = 256;

function unchanged(request: CompactionRequest, conversation: AnalyzedConversation): CompactionResult {
  const tokens = conversation.totalTokens;
  const report: CompactionReport = { strategy: request.strategy, tokensBefore: tokens, tokensAfter: tokens, dropped: [], summarized: [] };
  return { messages: [...request.messages], report };
}

function tooLarge(request: CompactionRequest, conversation: AnalyzedConversation, minimumTokens: number): Error {
  const reason =
    request.strategy === 'none'
      ? 'strategy none drops nothing'
      : 'pinned messages, system messages, tools and reply priming alone need more';
  return contextTooLarge(
    `Context of ${conversation.totalTokens} tokens cannot fit maxTokens ${request.maxTokens} with strategy ${request.strategy}: ${reason} (at least ${minimumTokens} tokens).`,
    {
      maxTokens: request.maxTokens,
      tokens: conversation.totalTokens,
      minimumTokens,
      strategy: request.strategy,
    },
  );
}

function planFor(strategy: Exclude<CompactionStrategy, 'none' | 'summarize'>, conversation: AnalyzedConversation, request: CompactionRequest): DropPlan {
  if (strategy === 'truncate') return planTruncate(conversation, request.maxTokens);
  if (strategy === 'priority') return planPriority(conversation, request.maxTokens);
  return planKeepLastN(conversation, request.maxTokens, request.keepLastN ?? 0);
}

/**
 * Creates a {@link @runtime/contracts#ContextCompactor}.
 *
 * @remarks
 * Guarantees for every strategy: pinned and system messages are never dropped or summarized; an
 * assistant message with tool calls and the tool results answering them stay or go together; the
 * result fits `maxTokens` or the call fails with `CONTEXT_TOO_LARGE` and `details.minimumTokens`;
 * the report names every dropped or summarized input index; the input is never mutated; a result
 * that already fits is returned unchanged (so compaction is idempotent).
 *
 * Strategies: `none` (fit or fail), `truncate` (oldest first), `keepLastN` (keep the newest
 * `keepLastN` unprotected messages, counted in whole units, then truncate if still too large),
 * `priority` (lowest `priority` first, oldest first among equals) and `summarize` (the oldest span
 * is replaced by one `user` message written by the summarizer; its usage is in
 * `report.summaryUsage` so it is billed).
 *
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for a malformed request (from `compact`).
 * @example
 * ```ts
 * const compactor = createContextCompactor({ estimator });
 * const { messages, report } = await compactor.compact({ messages: history, model: 'gpt-4o', maxTokens: 8000, strategy: 'truncate' });
 * ```
 * @public
 */
export function createContextCompactor(options: ContextCompactorOptions): ContextCompactor {
  const { estimator, summarizer } = options;
  const summaryMaxTokens = options.summaryMaxTokens ?? DEFAULT_SUMMARY_MAX_TOKENS;
  return {
    async compact(request: CompactionRequest, callOptions?: LlmCallOptions): Promise<CompactionResult> {
      validateCompactionRequest(request, summarizer !== undefined);
      const conversation = analyzeConversation(request.messages, request.model, request.tools, estimator);
      if (conversation.totalTokens <= request.maxTokens) return unchanged(request, conversation);
      const strategy = request.strategy;
      if (strategy === 'none') throw tooLarge(request, conversation, conversation.totalTokens);
      if (conversation.minimumTokens > request.maxTokens) throw tooLarge(request, conversation, conversation.minimumTokens);
      if (strategy === 'summarize' && summarizer !== undefined) {
        return summarizeSpan({ request, conversation, estimator, summarizer, summaryMaxTokens, callOptions });
      }
      const plan = planFor(strategy === 'summarize' ? 'truncate' : strategy, conversation, request);
      if (plan.tokensAfter > request.maxTokens) throw tooLarge(request, conversation, conversation.minimumTokens);
      const dropped = indicesOf(plan.removed);
      return {
        messages: without(request.messages, dropped),
        report: { strategy, tokensBefore: conversation.totalTokens, tokensAfter: plan.tokensAfter, dropped, summarized: [] },
      };
    },
  };
}
