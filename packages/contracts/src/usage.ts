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

/**
 * One change {@link normalizeUsage} made: the field, what was reported, what is used, and why.
 * @public
 */
export interface UsageAdjustment {
  /** The field changed. */
  readonly field: 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'reasoningTokens' | 'cacheWrite1hTokens';
  /** The reported value, as text (it may be NaN or not a number at all). */
  readonly reported: string;
  /** The value used. */
  readonly used: number;
  /** Why: `'invalid'` (not a finite number ≥ 0), `'fractional'` (rounded up) or `'subset'` (clamped to its superset). */
  readonly reason: 'invalid' | 'fractional' | 'subset';
}

/**
 * What {@link normalizeUsage} returns.
 * @public
 */
export interface NormalizedUsage {
  /** Usage that satisfies every rule of {@link Usage}. */
  readonly usage: Usage;
  /** Whether anything was changed. */
  readonly adjusted: boolean;
  /** The changes, in field order (empty when none): put them in `details.usageAdjusted`. */
  readonly details: readonly UsageAdjustment[];
}

const NO_ADJUSTMENTS: readonly UsageAdjustment[] = Object.freeze([]);

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function followsRules(usage: Usage): boolean {
  if (typeof usage !== 'object' || usage === null) return false;
  const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, reasoningTokens, cacheWrite1hTokens } = usage;
  return (
    isCount(inputTokens) &&
    isCount(outputTokens) &&
    isCount(cacheReadTokens) &&
    isCount(cacheWriteTokens) &&
    isCount(reasoningTokens) &&
    cacheWriteTokens <= inputTokens &&
    cacheReadTokens <= inputTokens - cacheWriteTokens &&
    reasoningTokens <= outputTokens &&
    (cacheWrite1hTokens === undefined || (isCount(cacheWrite1hTokens) && cacheWrite1hTokens <= cacheWriteTokens))
  );
}

const COUNTED_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens'] as const;

/**
 * Makes reported usage satisfy the rules of {@link Usage}, so a call the provider answered can always
 * be priced and charged.
 *
 * @remarks
 * Pure. Each count that is not a finite number ≥ 0 (negative, NaN, ±Infinity, not a number) becomes
 * 0; a fractional count is rounded up. Then the subsets are clamped, never the totals:
 * `cacheWriteTokens ≤ inputTokens`, `cacheReadTokens ≤ inputTokens − cacheWriteTokens` (the write,
 * the dearer rate, is kept), `cacheWrite1hTokens ≤ cacheWriteTokens`, `reasoningTokens ≤ outputTokens`.
 * `estimated` is kept. Usage that already follows the rules comes back as the same object.
 * @example
 * ```ts
 * normalizeUsage({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 12, cacheWriteTokens: 0, reasoningTokens: 7 });
 * // usage: cacheReadTokens 10, reasoningTokens 5; adjusted: true; details: two 'subset' changes
 * ```
 * @public
 */
export function normalizeUsage(usage: Usage): NormalizedUsage {
  // Fast path (every charged call passes here): usage that already follows the rules allocates nothing.
  if (followsRules(usage)) return { usage, adjusted: false, details: NO_ADJUSTMENTS };
  const details: UsageAdjustment[] = [];
  const source: Partial<Record<UsageAdjustment['field'], unknown>> = typeof usage === 'object' && usage !== null ? usage : {};
  const count = (field: UsageAdjustment['field'], value: unknown): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      details.push({ field, reported: String(value), used: 0, reason: 'invalid' });
      return 0;
    }
    if (!Number.isInteger(value)) {
      const used = Math.ceil(value);
      details.push({ field, reported: String(value), used, reason: 'fractional' });
      return used;
    }
    return value;
  };
  const values: Record<(typeof COUNTED_FIELDS)[number], number> = {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
  for (const field of COUNTED_FIELDS) values[field] = count(field, source[field]);
  const hourReported = source.cacheWrite1hTokens;
  let hour = hourReported === undefined ? undefined : count('cacheWrite1hTokens', hourReported);
  const clamp = (field: UsageAdjustment['field'], value: number, limit: number): number => {
    if (value <= limit) return value;
    details.push({ field, reported: String(value), used: limit, reason: 'subset' });
    return limit;
  };
  values.cacheWriteTokens = clamp('cacheWriteTokens', values.cacheWriteTokens, values.inputTokens);
  values.cacheReadTokens = clamp('cacheReadTokens', values.cacheReadTokens, values.inputTokens - values.cacheWriteTokens);
  values.reasoningTokens = clamp('reasoningTokens', values.reasoningTokens, values.outputTokens);
  if (hour !== undefined) hour = clamp('cacheWrite1hTokens', hour, values.cacheWriteTokens);
  if (details.length === 0) return { usage, adjusted: false, details };
  const normalized: Usage = {
    ...values,
    ...(hour === undefined || hour === 0 ? {} : { cacheWrite1hTokens: hour }),
    ...(usage?.estimated === true ? { estimated: true } : {}),
  };
  return { usage: normalized, adjusted: true, details };
}
