/**
 * Token usage of LLM calls.
 *
 * @remarks
 * Cached and reasoning tokens are subsets: `cacheReadTokens + cacheWriteTokens ≤ inputTokens` and
 * `reasoningTokens ≤ outputTokens`. Adapters normalize providers to this rule (Anthropic reports
 * cache reads and writes beside `input_tokens`, so its adapter adds them in).
 */

/**
 * Tokens of one call or a sum of calls.
 * @public
 */
export interface Usage {
  /** All prompt tokens, including cached ones. */
  readonly inputTokens: number;
  /** All completion tokens, including reasoning ones. */
  readonly outputTokens: number;
  /** Prompt tokens read from the provider's prompt cache (subset of input). */
  readonly cacheReadTokens: number;
  /** Prompt tokens written to the provider's prompt cache (subset of input). */
  readonly cacheWriteTokens: number;
  /** Completion tokens spent on hidden reasoning (subset of output). */
  readonly reasoningTokens: number;
  /**
   * Of `cacheWriteTokens`, those written with a 1-hour TTL (priced at `cacheWrite1hPerMTok`).
   * Absent means 0.
   */
  readonly cacheWrite1hTokens?: number;
  /**
   * True when some of these numbers were estimated because the provider did not report them (a
   * cut stream, a server ignoring `include_usage`): a call that produced output never costs $0.
   */
  readonly estimated?: boolean;
}

/**
 * {@link Usage} plus its cost in USD, as shown by the HTTP API.
 * @public
 */
export interface UsageView extends Usage {
  /** Cost in USD, exact to 1e-9. */
  readonly costUsd: number;
}

/**
 * No tokens.
 * @public
 */
export const EMPTY_USAGE: Usage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
});

/**
 * Adds usages field by field.
 * @public
 */
export function addUsage(...usages: readonly Usage[]): Usage {
  let inputTokens = 0;
  let outputTokens = 0;
  let cacheReadTokens = 0;
  let cacheWriteTokens = 0;
  let reasoningTokens = 0;
  let cacheWrite1hTokens = 0;
  let estimated = false;
  for (const usage of usages) {
    inputTokens += usage.inputTokens;
    outputTokens += usage.outputTokens;
    cacheReadTokens += usage.cacheReadTokens;
    cacheWriteTokens += usage.cacheWriteTokens;
    reasoningTokens += usage.reasoningTokens;
    cacheWrite1hTokens += usage.cacheWrite1hTokens ?? 0;
    if (usage.estimated === true) estimated = true;
  }
  const sum: Usage = { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, reasoningTokens };
  if (cacheWrite1hTokens === 0 && !estimated) return sum;
  return {
    ...sum,
    ...(cacheWrite1hTokens === 0 ? {} : { cacheWrite1hTokens }),
    ...(estimated ? { estimated } : {}),
  };
}
