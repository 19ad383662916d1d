/**
 * The built-in model catalog: current OpenAI and Anthropic models with their list prices.
 *
 * @remarks
 * Prices are USD per million tokens as published by the providers on {@link BUILTIN_CATALOG_AS_OF}.
 * Providers change prices; override or extend them with a catalog file
 * ({@link createModelCatalog} `files` / `catalogs`) rather than trusting this list forever.
 * OpenAI does not charge for cache writes (the write rate defaults to the input rate); Anthropic
 * charges 1.25× input for 5-minute cache writes, 2× input for 1-hour cache writes and 0.1× input for
 * cache reads (platform.claude.com pricing, checked 2026-12-04). Reasoning tokens are billed at the
 * output rate by both providers. `contextWindow` is the provider's total window (prompt + output);
 * OpenAI models take their output cap as `max_completion_tokens`. What was verified on
 * {@link BUILTIN_CATALOG_AS_OF} and what was not is listed in the package README.
 */
import { asModelId } from '@runtime/contracts';
import type { ModelCapabilities, ModelInfo, ModelPricing, ModelRole, TokenEncoding } from '@runtime/contracts';

/**
 * The date on which the prices of {@link BUILTIN_MODELS} were checked against the providers' pages.
 * @public
 */
export const BUILTIN_CATALOG_AS_OF = '2026-12-04';

interface Entry {
  readonly id: string;
  readonly provider: 'openai' | 'anthropic';
  readonly providerModel?: string;
  readonly role: ModelRole;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly contextWindow: number;
  readonly pricing: ModelPricing;
  readonly encoding?: TokenEncoding;
  readonly capabilities: ModelCapabilities;
}

const openAiChat: ModelCapabilities = { tools: true, streaming: true, vision: true, promptCaching: true, outputTokensParam: 'max_completion_tokens' };
const openAiReasoning: ModelCapabilities = { ...openAiChat, reasoning: true };
const claude: ModelCapabilities = { tools: true, streaming: true, vision: true, promptCaching: true };
const claudeThinking: ModelCapabilities = { ...claude, reasoning: true };

const ENTRIES: readonly Entry[] = [
  // OpenAI — GPT-5 family (400k context: 272k input + 128k output).
  { id: 'gpt-5', provider: 'openai', role: 'flagship', maxInputTokens: 272_000, maxOutputTokens: 128_000, contextWindow: 400_000, encoding: 'o200k_base', capabilities: openAiReasoning, pricing: { inputPerMTok: 1.25, cacheReadPerMTok: 0.125, outputPerMTok: 10 } },
  { id: 'gpt-5-mini', provider: 'openai', role: 'balanced', maxInputTokens: 272_000, maxOutputTokens: 128_000, contextWindow: 400_000, encoding: 'o200k_base', capabilities: openAiReasoning, pricing: { inputPerMTok: 0.25, cacheReadPerMTok: 0.025, outputPerMTok: 2 } },
  { id: 'gpt-5-nano', provider: 'openai', role: 'fast', maxInputTokens: 272_000, maxOutputTokens: 128_000, contextWindow: 400_000, encoding: 'o200k_base', capabilities: openAiReasoning, pricing: { inputPerMTok: 0.05, cacheReadPerMTok: 0.005, outputPerMTok: 0.4 } },
  // OpenAI — GPT-4.1 family (1M context).
  { id: 'gpt-4.1', provider: 'openai', role: 'balanced', maxInputTokens: 1_047_576, maxOutputTokens: 32_768, contextWindow: 1_047_576, encoding: 'o200k_base', capabilities: openAiChat, pricing: { inputPerMTok: 2, cacheReadPerMTok: 0.5, outputPerMTok: 8 } },
  { id: 'gpt-4.1-mini', provider: 'openai', role: 'fast', maxInputTokens: 1_047_576, maxOutputTokens: 32_768, contextWindow: 1_047_576, encoding: 'o200k_base', capabilities: openAiChat, pricing: { inputPerMTok: 0.4, cacheReadPerMTok: 0.1, outputPerMTok: 1.6 } },
  { id: 'gpt-4.1-nano', provider: 'openai', role: 'fast', maxInputTokens: 1_047_576, maxOutputTokens: 32_768, contextWindow: 1_047_576, encoding: 'o200k_base', capabilities: openAiChat, pricing: { inputPerMTok: 0.1, cacheReadPerMTok: 0.025, outputPerMTok: 0.4 } },
  // OpenAI — GPT-4o family.
  { id: 'gpt-4o', provider: 'openai', role: 'balanced', maxInputTokens: 128_000, maxOutputTokens: 16_384, contextWindow: 128_000, encoding: 'o200k_base', capabilities: openAiChat, pricing: { inputPerMTok: 2.5, cacheReadPerMTok: 1.25, outputPerMTok: 10 } },
  { id: 'gpt-4o-mini', provider: 'openai', role: 'fast', maxInputTokens: 128_000, maxOutputTokens: 16_384, contextWindow: 128_000, encoding: 'o200k_base', capabilities: openAiChat, pricing: { inputPerMTok: 0.15, cacheReadPerMTok: 0.075, outputPerMTok: 0.6 } },
  // OpenAI — o-series reasoning models.
  { id: 'o3', provider: 'openai', role: 'flagship', maxInputTokens: 200_000, maxOutputTokens: 100_000, contextWindow: 200_000, encoding: 'o200k_base', capabilities: openAiReasoning, pricing: { inputPerMTok: 2, cacheReadPerMTok: 0.5, outputPerMTok: 8 } },
  { id: 'o4-mini', provider: 'openai', role: 'balanced', maxInputTokens: 200_000, maxOutputTokens: 100_000, contextWindow: 200_000, encoding: 'o200k_base', capabilities: openAiReasoning, pricing: { inputPerMTok: 1.1, cacheReadPerMTok: 0.275, outputPerMTok: 4.4 } },
  // Anthropic — no public tokenizer: counts are an upper bound (1.5 × o200k, capped at UTF-8 bytes).
  // Context 200k tokens shared by prompt and output.
  { id: 'claude-opus-4-5', provider: 'anthropic', role: 'flagship', maxInputTokens: 200_000, maxOutputTokens: 64_000, contextWindow: 200_000, capabilities: claudeThinking, pricing: { inputPerMTok: 5, cacheWritePerMTok: 6.25, cacheWrite1hPerMTok: 10, cacheReadPerMTok: 0.5, outputPerMTok: 25 } },
  { id: 'claude-opus-4-1', provider: 'anthropic', role: 'flagship', maxInputTokens: 200_000, maxOutputTokens: 32_000, contextWindow: 200_000, capabilities: claudeThinking, pricing: { inputPerMTok: 15, cacheWritePerMTok: 18.75, cacheWrite1hPerMTok: 30, cacheReadPerMTok: 1.5, outputPerMTok: 75 } },
  { id: 'claude-sonnet-4-5', provider: 'anthropic', role: 'balanced', maxInputTokens: 200_000, maxOutputTokens: 64_000, contextWindow: 200_000, capabilities: claudeThinking, pricing: { inputPerMTok: 3, cacheWritePerMTok: 3.75, cacheWrite1hPerMTok: 6, cacheReadPerMTok: 0.3, outputPerMTok: 15 } },
  { id: 'claude-sonnet-4', provider: 'anthropic', role: 'balanced', maxInputTokens: 200_000, maxOutputTokens: 64_000, contextWindow: 200_000, capabilities: claudeThinking, pricing: { inputPerMTok: 3, cacheWritePerMTok: 3.75, cacheWrite1hPerMTok: 6, cacheReadPerMTok: 0.3, outputPerMTok: 15 } },
  { id: 'claude-haiku-4-5', provider: 'anthropic', role: 'fast', maxInputTokens: 200_000, maxOutputTokens: 64_000, contextWindow: 200_000, capabilities: claudeThinking, pricing: { inputPerMTok: 1, cacheWritePerMTok: 1.25, cacheWrite1hPerMTok: 2, cacheReadPerMTok: 0.1, outputPerMTok: 5 } },
  { id: 'claude-3-5-haiku', provider: 'anthropic', providerModel: 'claude-3-5-haiku-latest', role: 'fast', maxInputTokens: 200_000, maxOutputTokens: 8_192, contextWindow: 200_000, capabilities: claude, pricing: { inputPerMTok: 0.8, cacheWritePerMTok: 1, cacheWrite1hPerMTok: 1.6, cacheReadPerMTok: 0.08, outputPerMTok: 4 } },
];

function toModelInfo(entry: Entry): ModelInfo {
  return Object.freeze({
    id: asModelId(entry.id),
    provider: entry.provider,
    providerModel: entry.providerModel ?? entry.id,
    role: entry.role,
    maxInputTokens: entry.maxInputTokens,
    contextWindow: entry.contextWindow,
    maxOutputTokens: entry.maxOutputTokens,
    pricing: Object.freeze({ ...entry.pricing }),
    ...(entry.encoding === undefined ? {} : { encoding: entry.encoding }),
    capabilities: Object.freeze({ ...entry.capabilities }),
  });
}

/**
 * The built-in models, in catalog order (the first model of a role is that role's default).
 * @public
 */
export const BUILTIN_MODELS: readonly ModelInfo[] = Object.freeze(ENTRIES.map(toModelInfo));

/**
 * The default model of the built-in catalog.
 * @public
 */
export const BUILTIN_DEFAULT_MODEL = 'gpt-5-mini';
