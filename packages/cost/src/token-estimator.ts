/**
 * Token counting for admission and budgeting.
 *
 * @remarks
 * Exact for models whose catalog entry names a public encoding (`o200k_base`, `cl100k_base`),
 * through a pluggable BPE backend loaded lazily once per encoding; a calibrated over-estimate
 * otherwise (Anthropic and unknown models). Chat overhead follows OpenAI's published rule: 3
 * tokens per message, 1 more for a `name`, 3 to prime the reply. Counts are additive, as the
 * {@link @runtime/contracts#TokenEstimator} contract requires. Repeated texts hit an LRU cache. Not the truth about
 * billing: provider-reported usage is.
 */
import { REPLY_PRIMING_TOKENS } from '@runtime/contracts';
import type { Message, ModelCatalog, TokenEncoding, TokenEstimator, ToolDefinition } from '@runtime/contracts';
import { invalid } from './internal/errors.js';
import { boundedTokenCount } from './internal/heuristic.js';
import { TokenCountCache } from './internal/lru-cache.js';
import { createModelCatalog } from './model-catalog.js';
import { gptTokenizerBackend, jsTiktokenBackend } from './token-encoders.js';
import type { TokenEncoder, TokenEncoderBackend } from './token-encoders.js';

/**
 * Options of {@link createTokenEstimator}.
 * @public
 */
export interface TokenEstimatorOptions {
  /** Maps a model id to its encoding. @defaultValue the built-in catalog */
  readonly catalog?: ModelCatalog;
  /** BPE backend: a built-in name or your own. @defaultValue `'gpt-tokenizer'` */
  readonly backend?: 'gpt-tokenizer' | 'js-tiktoken' | TokenEncoderBackend;
  /** Texts kept in the LRU cache (0 turns it off). @defaultValue 4096 */
  readonly cacheEntries?: number;
  /** Total characters of the texts the cache may hold. @defaultValue 32 MiB of UTF-16 units (≈ 64 MB) */
  readonly cacheChars?: number;
  /** Texts shorter than this are not cached (tokenizing them is cheaper than the bookkeeping). @defaultValue 64 */
  readonly cacheMinChars?: number;
  /**
   * Estimates tokens for models without a public encoding. It must never return 0 for non-empty text
   * and, for budgets to hold, never count less than the provider will.
   * @defaultValue `min(ceil(heuristicFactor × o200k count), UTF-8 bytes)` (see the README)
   */
  readonly heuristic?: (text: string) => number;
  /**
   * How many times the exact o200k count the default heuristic allows for a tokenizer without a
   * public encoding (1 to 16): one factor for every such model, or factors by catalog provider
   * (`{ anthropic: 1.8 }`; providers not named use {@link DEFAULT_HEURISTIC_FACTOR}). Raise it for a
   * tokenizer known to count more (Anthropic says Claude 4.7 and later count ≈ 30–35% more than
   * earlier models: use ≥ 1.8 there).
   * @defaultValue {@link DEFAULT_HEURISTIC_FACTOR}
   */
  readonly heuristicFactor?: number | Readonly<Record<string, number>>;
}

/**
 * The default {@link TokenEstimatorOptions.heuristicFactor}: 1.5 × o200k.
 *
 * @remarks
 * Published comparisons put Claude's tokenizer (Claude 3 through Opus 4.6) at 1.16× (English),
 * 1.21× (maths) and 1.30× (code) the o200k count; 1.5 leaves a margin above the worst of them. The
 * estimate never exceeds the text's UTF-8 byte count, a hard bound for byte-level BPE.
 * @public
 */
export const DEFAULT_HEURISTIC_FACTOR = 1.5;

/** Tokens around each tool definition beyond its name, description and schema. */
const TOKENS_PER_TOOL = 8;
/** Tokens of the tool-definition preamble added once when any tool is offered. */
const TOOLS_PREAMBLE_TOKENS = 12;
/** Tokens around one tool call in an assistant message. */
const TOKENS_PER_TOOL_CALL = 3;
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;

interface Counter {
  readonly exact: boolean;
  readonly count: (text: string) => number;
}

function resolveBackend(backend: TokenEstimatorOptions['backend']): TokenEncoderBackend {
  if (backend === undefined || backend === 'gpt-tokenizer') return gptTokenizerBackend;
  if (backend === 'js-tiktoken') return jsTiktokenBackend;
  return backend;
}

/**
 * Creates a {@link @runtime/contracts#TokenEstimator}.
 *
 * @example
 * ```ts
 * const estimator = createTokenEstimator();
 * estimator.countMessages([{ role: 'user', content: 'Hello!' }], 'gpt-4o-mini'); // exact, o200k_base
 * ```
 * @public
 */
export function createTokenEstimator(options: TokenEstimatorOptions = {}): TokenEstimator {
  const catalog = options.catalog ?? createModelCatalog();
  const backend = resolveBackend(options.backend);
  const cacheEntries = options.cacheEntries ?? 4096;
  const cacheChars = options.cacheChars ?? 32 * 1024 * 1024;
  const cacheMinChars = options.cacheMinChars ?? 64;
  const checkFactor = (value: unknown, field: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 16) {
      throw invalid(field, 'must be a number from 1 to 16', { value: String(value) });
    }
    return value;
  };
  const factorOption = options.heuristicFactor ?? DEFAULT_HEURISTIC_FACTOR;
  const factorsByProvider = new Map<string, number>();
  let defaultFactor = DEFAULT_HEURISTIC_FACTOR;
  if (typeof factorOption === 'object' && factorOption !== null) {
    for (const [provider, value] of Object.entries(factorOption)) factorsByProvider.set(provider, checkFactor(value, `heuristicFactor.${provider}`));
  } else {
    defaultFactor = checkFactor(factorOption, 'heuristicFactor');
  }
  if (options.heuristic !== undefined && typeof options.heuristic !== 'function') throw invalid('heuristic', 'must be a function');

  const counters = new Map<string, Counter>();
  const encoders = new Map<TokenEncoding, TokenEncoder>();

  const cached = (count: (text: string) => number): ((text: string) => number) => {
    const cache = new TokenCountCache(cacheEntries, cacheChars);
    return (text) => {
      if (text.length < cacheMinChars) return count(text);
      const hit = cache.get(text);
      if (hit !== undefined) return hit;
      const counted = count(text);
      cache.set(text, counted);
      return counted;
    };
  };

  const encode = (encoding: TokenEncoding, text: string): number => {
    let encoder = encoders.get(encoding);
    if (encoder === undefined) {
      encoder = backend(encoding);
      encoders.set(encoding, encoder);
    }
    return text.length === 0 ? 0 : encoder.count(text);
  };

  const encodingCounter = (encoding: TokenEncoding): Counter => ({ exact: true, count: cached((text) => encode(encoding, text)) });

  const byEncoding = new Map<TokenEncoding, Counter>();
  const byEncodingCounter = (encoding: TokenEncoding): Counter => {
    let counter = byEncoding.get(encoding);
    if (counter === undefined) {
      counter = encodingCounter(encoding);
      byEncoding.set(encoding, counter);
    }
    return counter;
  };

  const heuristicCounters = new Map<number, Counter>();
  const heuristicCounter = (provider: string | undefined): Counter => {
    const factor = (provider === undefined ? undefined : factorsByProvider.get(provider)) ?? defaultFactor;
    let counter = heuristicCounters.get(factor);
    if (counter === undefined) {
      if (options.heuristic !== undefined) {
        counter = { exact: false, count: options.heuristic };
      } else {
        // The o200k count comes from the shared o200k counter: one cache and one encoding per text,
        // whichever models (exact o200k or bounded by any factor) ask for it.
        const o200k = byEncodingCounter('o200k_base');
        counter = { exact: false, count: (text) => boundedTokenCount(text, o200k.count(text), factor) };
      }
      heuristicCounters.set(factor, counter);
    }
    return counter;
  };

  const counterFor = (model: string): Counter => {
    let counter = counters.get(model);
    if (counter !== undefined) return counter;
    const info = catalog.find(model);
    const encoding = info?.encoding;
    if (encoding === undefined) {
      counter = heuristicCounter(info?.provider);
    } else {
      counter = byEncodingCounter(encoding);
    }
    counters.set(model, counter);
    return counter;
  };

  const countMessage = (message: Message, model: string): number => {
    const { count } = counterFor(model);
    let tokens = TOKENS_PER_MESSAGE + count(message.role) + count(message.content);
    if (message.name !== undefined) tokens += TOKENS_PER_NAME + count(message.name);
    if (message.toolCallId !== undefined) tokens += count(message.toolCallId);
    for (const call of message.toolCalls ?? []) {
      tokens += TOKENS_PER_TOOL_CALL + count(call.name) + count(call.arguments);
    }
    return tokens;
  };

  const countTools = (tools: readonly ToolDefinition[], model: string): number => {
    if (tools.length === 0) return 0;
    const { count } = counterFor(model);
    let tokens = TOOLS_PREAMBLE_TOKENS;
    for (const tool of tools) {
      tokens += TOKENS_PER_TOOL + count(tool.name) + count(tool.description) + count(JSON.stringify(tool.parameters));
    }
    return tokens;
  };

  return {
    countText: (text, model) => counterFor(model).count(text),
    countMessage,
    countTools,
    countMessages: (messages, model, tools = []) => {
      let tokens = REPLY_PRIMING_TOKENS + countTools(tools, model);
      for (const message of messages) tokens += countMessage(message, model);
      return tokens;
    },
    isExact: (model) => counterFor(model).exact,
  };
}
