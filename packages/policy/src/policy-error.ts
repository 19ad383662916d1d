/**
 * Converting a policy refusal (data) into a {@link @runtime/contracts#PolicyError} (a throw).
 */
import { PolicyError, type PolicyDecision } from '@runtime/contracts';

/**
 * A refusing {@link @runtime/contracts#PolicyDecision}.
 * @public
 */
export type PolicyRefusal = Exclude<PolicyDecision, { readonly decision: 'CONTINUE' }>;

/**
 * True when the decision refuses the call.
 * @public
 */
export function isPolicyRefusal(decision: PolicyDecision): decision is PolicyRefusal {
  return decision.decision !== 'CONTINUE';
}

/**
 * The {@link @runtime/contracts#PolicyError} for a refusal, for callers that throw rather than branch.
 *
 * @remarks
 * The code is the decision (`POLICY_VIOLATION`, not retryable, or `RATE_LIMITED`, retryable);
 * `details` carries `rule`, `limit`, `observed` and, for rate limits, `retryAfterMs`.
 * @example
 * ```ts
 * const decision = await enforcer.check(input);
 * if (isPolicyRefusal(decision)) throw toPolicyError(decision);
 * ```
 * @public
 */
export function toPolicyError(refusal: PolicyRefusal): PolicyError {
  const details: Record<string, unknown> = { rule: refusal.rule, limit: refusal.limit, observed: refusal.observed };
  if (refusal.retryAfterMs !== undefined) details['retryAfterMs'] = refusal.retryAfterMs;
  return new PolicyError({ code: refusal.decision, message: refusal.message, details });
}
