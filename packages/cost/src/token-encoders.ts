/**
 * Pluggable BPE backends for {@link createTokenEstimator}.
 *
 * @remarks
 * Both built-in backends give identical counts for `o200k_base` and `cl100k_base` (a test checks
 * this on a mixed corpus). `gpt-tokenizer` is the default: ≈6× faster and ≈3× quicker to load
 * than `js-tiktoken` on our machines. Encoders are loaded synchronously on first use (through
 * `require`, so importing this package costs nothing) and cached for the process. Special-token
 * text such as `<|endoftext|>` in user content is counted as ordinary text, never rejected.
 */
import { createRequire } from 'node:module';
import type { TokenEncoding } from '@runtime/contracts';

/**
 * Counts tokens of a text in one encoding.
 * @public
 */
export interface TokenEncoder {
  /** Tokens of `text`. */
  count(text: string): number;
}

/**
 * Creates the encoder of an encoding; called at most once per encoding by an estimator.
 * @public
 */
export type TokenEncoderBackend = (encoding: TokenEncoding) => TokenEncoder;

const require = createRequire(import.meta.url);
const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

interface GptTokenizerModule {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
}

interface TiktokenInstance {
  encode(text: string, allowedSpecial: string[], disallowedSpecial: string[]): number[];
}

interface JsTiktokenLite {
  Tiktoken: new (ranks: unknown) => TiktokenInstance;
}

/**
 * The `gpt-tokenizer` backend (the default).
 * @public
 */
export const gptTokenizerBackend: TokenEncoderBackend = (encoding) => {
  const module = require(`gpt-tokenizer/encoding/${encoding}`) as GptTokenizerModule;
  return { count: (text) => module.countTokens(text, NO_SPECIAL) };
};

/**
 * The `js-tiktoken` backend (needs the optional peer dependency `js-tiktoken`).
 * @public
 */
export const jsTiktokenBackend: TokenEncoderBackend = (encoding) => {
  const lite = require('js-tiktoken/lite') as JsTiktokenLite;
  const ranksModule = require(`js-tiktoken/ranks/${encoding}`) as { default?: unknown };
  const encoder = new lite.Tiktoken(ranksModule.default ?? ranksModule);
  return { count: (text) => encoder.encode(text, [], []).length };
};
