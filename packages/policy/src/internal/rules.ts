/**
 * The pure rules of the enforcer, each returning a refusal or `undefined`.
 */
import type { ModelInfo, PolicyCheckInput, TierPolicy } from '@runtime/contracts';
import type { PolicyRefusal } from '../policy-error.js';

function violation(rule: PolicyRefusal['rule'], limit: number | string, observed: number | string, message: string): PolicyRefusal {
  return { decision: 'POLICY_VIOLATION', rule, limit, observed, message };
}

/** Deepest recursion: depth 0 is a top-level task; `maxDepth` itself is allowed. */
export function checkDepth(tier: TierPolicy, depth: number): PolicyRefusal | undefined {
  if (depth <= tier.maxDepth) return undefined;
  return violation('depth', tier.maxDepth, depth, `Recursion depth ${depth} exceeds the ${tier.name} tier's maximum of ${tier.maxDepth}.`);
}

/** The prompt must fit the model's real window, then the tier's context limit. */
export function checkContext(tier: TierPolicy, model: ModelInfo, inputTokens: number): PolicyRefusal | undefined {
  if (inputTokens > model.maxInputTokens) {
    return violation(
      'contextWindow',
      model.maxInputTokens,
      inputTokens,
      `The prompt of ${inputTokens} tokens exceeds the context window of ${model.id} (${model.maxInputTokens} tokens).`,
    );
  }
  if (inputTokens > tier.maxContextTokens) {
    return violation(
      'contextTokens',
      tier.maxContextTokens,
      inputTokens,
      `The prompt of ${inputTokens} tokens exceeds the ${tier.name} tier's context limit of ${tier.maxContextTokens} tokens.`,
    );
  }
  return undefined;
}

/** A reservation larger than the whole `tpm` limit can never be admitted: a violation, not a wait. */
export function checkTokensFit(tier: TierPolicy, tokens: number): PolicyRefusal | undefined {
  if (tokens <= tier.tpm) return undefined;
  return violation('tpm', tier.tpm, tokens, `The call reserves ${tokens} tokens, more than the ${tier.name} tier's ${tier.tpm} tokens per minute.`);
}

/** The rules after the rate limit, in order: tool calls, tool allowlist, model allowlist, run budget. */
export function checkAfterRate(tier: TierPolicy, input: PolicyCheckInput): PolicyRefusal | undefined {
  if (input.kind === 'tool') {
    const made = input.toolCalls ?? 0;
    if (made >= tier.maxToolCallsPerRun) {
      return violation('toolCalls', tier.maxToolCallsPerRun, made, `The run already made ${made} tool calls; the ${tier.name} tier allows ${tier.maxToolCallsPerRun}.`);
    }
    const tool = input.tool ?? '';
    const allowed = tier.allowedTools ?? [];
    if (!allowed.includes('*') && !allowed.includes(tool)) {
      return violation(
        'toolAllowlist',
        allowed.length === 0 ? '(none)' : allowed.join(', '),
        tool,
        `The tool "${tool}" is not allowed for the ${tier.name} tier.`,
      );
    }
  }
  if (input.kind === 'llm' && tier.allowedModels !== undefined) {
    const model = input.model ?? '';
    if (!tier.allowedModels.includes(model)) {
      return violation('modelAllowlist', tier.allowedModels.join(', '), model, `The model "${model}" is not allowed for the ${tier.name} tier.`);
    }
  }
  if (input.runBudgetUsd !== undefined && input.runBudgetUsd > tier.maxBudgetUsdPerRun) {
    return violation(
      'runBudget',
      tier.maxBudgetUsdPerRun,
      input.runBudgetUsd,
      `The run's budget of $${input.runBudgetUsd} exceeds the ${tier.name} tier's cap of $${tier.maxBudgetUsdPerRun} per run.`,
    );
  }
  return undefined;
}
