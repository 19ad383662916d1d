/**
 * Models and their prices.
 */
import type { ModelId } from './ids.js';

/**
 * What a model is for: tier 1 tasks go to `fast`, tier 2 to `balanced`, tier 3 to `flagship`.
 * @public
 */
export type ModelRole = 'fast' | 'balanced' | 'flagship';

/**
 * A task's complexity tier (1 simple … 3 hard).
 * @public
 */
export type TaskTier = 1 | 2 | 3;

/**
 * The role a tier maps to.
 * @public
 */
export const ROLE_BY_TIER: Readonly<Record<TaskTier, ModelRole>> = { 1: 'fast', 2: 'balanced', 3: 'flagship' };

/**
 * A BPE encoding with a public tokenizer.
 * @public
 */
export type TokenEncoding = 'o200k_base' | 'cl100k_base';

/**
 * Prices in USD per million tokens.
 *
 * @remarks
 * cost = (input − cacheRead − cacheWrite) × input + cacheRead × cacheRead rate + cacheWrite ×
 * cacheWrite rate + (output − reasoning) × output + reasoning × reasoning rate. A missing cache or
 * reasoning rate defaults to the input or output rate.
 * @public
 */
export interface ModelPricing {
  /** Uncached prompt tokens. */
  readonly inputPerMTok: number;
  /** Completion tokens. */
  readonly outputPerMTok: number;
  /** Prompt tokens read from cache. @defaultValue `inputPerMTok` */
  readonly cacheReadPerMTok?: number;
  /** Prompt tokens written to cache (Anthropic: the 5-minute TTL). @defaultValue `inputPerMTok` */
  readonly cacheWritePerMTok?: number;
  /**
   * Prompt tokens written to cache with the 1-hour TTL (Anthropic `ephemeral_1h_input_tokens`).
   * @defaultValue `cacheWritePerMTok`
   */
  readonly cacheWrite1hPerMTok?: number;
  /** Reasoning tokens. @defaultValue `outputPerMTok` */
  readonly reasoningPerMTok?: number;
}

/**
 * What a model supports.
 * @public
 */
export interface ModelCapabilities {
  /** Tool / function calling. */
  readonly tools?: boolean;
  /** Streaming responses. */
  readonly streaming?: boolean;
  /** Hidden reasoning tokens. */
  readonly reasoning?: boolean;
  /** Image inputs. */
  readonly vision?: boolean;
  /** Provider-side prompt caching. */
  readonly promptCaching?: boolean;
  /**
   * The request field that carries the output cap on the OpenAI wire format: o-series and gpt-5
   * models accept only `max_completion_tokens`; some compatible servers only `max_tokens`.
   * @defaultValue `'max_completion_tokens'` for the `openai` provider, `'max_tokens'` otherwise
   */
  readonly outputTokensParam?: 'max_tokens' | 'max_completion_tokens';
}

/**
 * One catalog entry (HTTP-API.md `ModelInfo`, extended with `encoding` and `capabilities`).
 * @public
 */
export interface ModelInfo {
  /** Catalog id. */
  readonly id: ModelId;
  /** Name of the provider entry that serves it (e.g. `openai`, `anthropic`, `mock`). */
  readonly provider: string;
  /** The model name the provider expects. */
  readonly providerModel: string;
  /** Role for tier routing. */
  readonly role: ModelRole;
  /** The most prompt tokens one call accepts. */
  readonly maxInputTokens: number;
  /**
   * The total context window (prompt + completion) where the provider defines one. A call's prompt
   * may use `min(maxInputTokens, contextWindow − output cap)`.
   */
  readonly contextWindow?: number;
  /** The most completion tokens one call may produce. */
  readonly maxOutputTokens: number;
  /** Prices. */
  readonly pricing: ModelPricing;
  /** The tokenizer encoding when public; absent means token counts are estimated. */
  readonly encoding?: TokenEncoding;
  /** Supported features. */
  readonly capabilities?: ModelCapabilities;
}
