/**
 * Interfaces of the policy domain: tiers, rate limits and guard rails.
 *
 * @remarks
 * Implemented by `@runtime/policy`.
 */
import type { RunId, TaskId } from './ids.js';

/**
 * Names of the built-in tiers.
 * @public
 */
export type TierName = 'free' | 'pro' | 'enterprise';

/**
 * Limits of one tier.
 * @public
 */
export interface TierPolicy {
  /** Tier name. */
  readonly name: string;
  /** Deepest recursion of agent calls. */
  readonly maxDepth: number;
  /** Largest prompt in tokens. */
  readonly maxContextTokens: number;
  /** Most tool calls in one run. */
  readonly maxToolCallsPerRun: number;
  /** Requests per minute. */
  readonly rpm: number;
  /** Requests per hour. */
  readonly rph: number;
  /** Tokens per minute (prompt estimate + output cap reserved before the call). */
  readonly tpm: number;
  /** Hard budget of one run in USD. */
  readonly maxBudgetUsdPerRun: number;
  /** Allowed catalog model ids; absent means every model. */
  readonly allowedModels?: readonly string[];
  /**
   * Tool names this tier may call; `'*'` allows every tool. Absent or empty allows none
   * (default deny).
   */
  readonly allowedTools?: readonly string[];
  /** Most tasks of one run at once. */
  readonly maxParallelism: number;
}

/**
 * A rate limit rule name.
 * @public
 */
export type RateLimitRule = 'rpm' | 'rph' | 'tpm';

/**
 * Limits applied to one key.
 * @public
 */
export interface RateLimits {
  /** Requests per minute. */
  readonly rpm?: number;
  /** Requests per hour. */
  readonly rph?: number;
  /** Tokens per minute. */
  readonly tpm?: number;
}

/**
 * Inputs of {@link RateLimiter.acquire}.
 * @public
 */
export interface RateLimitRequest {
  /** Who is limited, e.g. `tenant:acme`. */
  readonly key: string;
  /** The limits. */
  readonly limits: RateLimits;
  /** Tokens to reserve against `tpm` (pre-call estimate: input + output cap). @defaultValue 0 */
  readonly tokens?: number;
}

/**
 * Outcome of {@link RateLimiter.acquire}.
 * @public
 */
export type RateLimitDecision =
  | {
      /** Admitted. */
      readonly allowed: true;
      /** Id for {@link RateLimiter.settle}. */
      readonly permitId: string;
    }
  | {
      /** Refused. */
      readonly allowed: false;
      /** The rule that refused. */
      readonly rule: RateLimitRule;
      /** Its limit. */
      readonly limit: number;
      /** Usage already counted in the window (requests or tokens). */
      readonly observed: number;
      /** When a retry can succeed. */
      readonly retryAfterMs: number;
    };

/**
 * Requests and tokens per window, shared by every process using the same store.
 * @public
 */
export interface RateLimiter {
  /** Admits one request (reserving its tokens) or says when to retry; admits nothing on refusal. */
  acquire(request: RateLimitRequest): Promise<RateLimitDecision>;
  /** Replaces a permit's reserved tokens with the actual count. Idempotent. */
  settle(permitId: string, actualTokens: number): Promise<void>;
  /**
   * Cancels an unsettled permit whose call never happened: its request and tokens stop counting.
   * Idempotent; a no-op after {@link RateLimiter.settle}.
   */
  release?(permitId: string): Promise<void>;
}

/**
 * What is about to happen, for {@link PolicyEnforcer.check}.
 * @public
 */
export interface PolicyCheckInput {
  /** An LLM call or a tool call. */
  readonly kind: 'llm' | 'tool';
  /** Owner tenant. */
  readonly tenant: string;
  /** End user, when known. */
  readonly user?: string;
  /** The run. */
  readonly runId: RunId;
  /** The task. */
  readonly taskId?: TaskId;
  /** Current recursion depth (0 for a top-level task). */
  readonly depth: number;
  /** Catalog model id (LLM calls). */
  readonly model?: string;
  /** Estimated prompt tokens (LLM calls). */
  readonly inputTokens?: number;
  /** Output cap (LLM calls). */
  readonly maxOutputTokens?: number;
  /** Tool name (tool calls). */
  readonly tool?: string;
  /** Tool calls already made in the run. */
  readonly toolCalls?: number;
  /** The run's requested budget in USD. */
  readonly runBudgetUsd?: number;
}

/**
 * A rule of {@link PolicyEnforcer}.
 * @public
 */
export type PolicyRule =
  | 'depth'
  | 'contextWindow'
  | 'contextTokens'
  | 'rpm'
  | 'rph'
  | 'tpm'
  | 'toolCalls'
  | 'toolAllowlist'
  | 'modelAllowlist'
  | 'runBudget';

/**
 * Outcome of {@link PolicyEnforcer.check}.
 * @public
 */
export type PolicyDecision =
  | {
      /** Go ahead. */
      readonly decision: 'CONTINUE';
      /** Rate-limit permit to settle after the call, when one was taken. */
      readonly permitId?: string;
    }
  | {
      /** Refused. */
      readonly decision: 'POLICY_VIOLATION' | 'RATE_LIMITED';
      /** The rule that refused. */
      readonly rule: PolicyRule;
      /** Its limit. */
      readonly limit: number | string;
      /** The observed value. */
      readonly observed: number | string;
      /** For `RATE_LIMITED`: when a retry can succeed. */
      readonly retryAfterMs?: number;
      /** One human sentence. */
      readonly message: string;
    };

/**
 * One check before each LLM or tool call: depth → context window → rate → tool calls → tool
 * allowlist → model allowlist → run budget.
 * @public
 */
export interface PolicyEnforcer {
  /** Checks a call; admits it (taking rate-limit capacity) or says why not. */
  check(input: PolicyCheckInput): Promise<PolicyDecision>;
  /** Settles a permit with the call's actual tokens. */
  settle(permitId: string, actualTokens: number): Promise<void>;
  /**
   * Returns a permit's capacity when the admitted call did not happen (e.g. the budget refused it).
   * Idempotent; a no-op after {@link PolicyEnforcer.settle}.
   */
  release?(permitId: string): Promise<void>;
}
