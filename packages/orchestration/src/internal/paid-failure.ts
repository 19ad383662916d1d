/**
 * A failed call the provider had already answered: a stream cut or failing after output, an empty
 * answer. Its error carries `details.usage` (what the provider may bill, estimated where it did not
 * say — see `ProviderError`), and that usage is charged like an answer's: a call that produced
 * output never costs $0.
 */
import { RuntimeError, type LlmResult, type Usage } from '@runtime/contracts';

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** The billable usage of a failed call, or undefined when the provider never answered. */
function billedUsage(error: unknown): Usage | undefined {
  if (!RuntimeError.isInstance(error)) return undefined;
  const usage = error.details['usage'];
  if (typeof usage !== 'object' || usage === null) return undefined;
  const fields = usage as Record<string, unknown>;
  const count = (name: string): number => {
    const value = fields[name];
    return isCount(value) ? Math.floor(value) : 0;
  };
  if (!isCount(fields['inputTokens']) || !isCount(fields['outputTokens'])) return undefined;
  const cacheWrite1h = fields['cacheWrite1hTokens'];
  return {
    inputTokens: count('inputTokens'),
    outputTokens: count('outputTokens'),
    cacheReadTokens: count('cacheReadTokens'),
    cacheWriteTokens: count('cacheWriteTokens'),
    reasoningTokens: count('reasoningTokens'),
    ...(isCount(cacheWrite1h) ? { cacheWrite1hTokens: Math.floor(cacheWrite1h) } : {}),
    ...(fields['estimated'] === true ? { estimated: true } : {}),
  };
}

/** The failed call as an answer to bill (no output), or undefined when there is nothing to charge. */
export function paidFailure(error: unknown): LlmResult | undefined {
  const usage = billedUsage(error);
  if (usage === undefined) return undefined;
  return { output: '', usage, finishReason: 'other', source: 'provider', attempts: 1 };
}
