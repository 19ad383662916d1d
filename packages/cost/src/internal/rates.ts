/**
 * Catalog prices (USD per million tokens) as exact integer femto-dollars per token.
 */
import { usd } from '@runtime/contracts';
import type { ModelPricing } from '@runtime/contracts';
import { invalid } from './errors.js';

/** Exact per-token rates in femto-dollars. */
export interface TokenRates {
  readonly input: bigint;
  readonly output: bigint;
  readonly cacheRead: bigint;
  readonly cacheWrite: bigint;
  /** Cache writes with the 1-hour TTL (default: the write rate). */
  readonly cacheWrite1h: bigint;
  readonly reasoning: bigint;
  /** The highest rate one input token can cost: max(input, cache write, 1-hour cache write). */
  readonly inputWorst: bigint;
  /** The highest rate one output token can cost: max(output, reasoning). */
  readonly outputWorst: bigint;
}

const TOKENS_PER_MILLION = 1_000_000n;

/**
 * Femto-dollars per token of a USD-per-MTok price.
 * @remarks A price with up to 9 decimals is an integer number of femto-dollars per token; a more
 * precise price would need rounding, so it is refused rather than silently changed.
 */
export function ratePerToken(pricePerMTok: number, field: string): bigint {
  if (typeof pricePerMTok !== 'number' || !Number.isFinite(pricePerMTok) || pricePerMTok < 0) {
    throw invalid(field, 'must be a finite number ≥ 0', { value: String(pricePerMTok) });
  }
  const perMillion: bigint = usd(String(pricePerMTok));
  if (perMillion % TOKENS_PER_MILLION !== 0n) {
    throw invalid(field, 'a price per million tokens may have at most 9 decimals', { value: pricePerMTok });
  }
  return perMillion / TOKENS_PER_MILLION;
}

/** The exact rates of a pricing, with the defaults of the pricing rule applied. */
export function toTokenRates(pricing: ModelPricing, where = 'pricing'): TokenRates {
  const input = ratePerToken(pricing.inputPerMTok, `${where}.inputPerMTok`);
  const output = ratePerToken(pricing.outputPerMTok, `${where}.outputPerMTok`);
  const cacheWrite = pricing.cacheWritePerMTok === undefined ? input : ratePerToken(pricing.cacheWritePerMTok, `${where}.cacheWritePerMTok`);
  const cacheWrite1h =
    pricing.cacheWrite1hPerMTok === undefined ? cacheWrite : ratePerToken(pricing.cacheWrite1hPerMTok, `${where}.cacheWrite1hPerMTok`);
  const reasoning = pricing.reasoningPerMTok === undefined ? output : ratePerToken(pricing.reasoningPerMTok, `${where}.reasoningPerMTok`);
  const cacheRead = pricing.cacheReadPerMTok === undefined ? input : ratePerToken(pricing.cacheReadPerMTok, `${where}.cacheReadPerMTok`);
  return {
    input,
    output,
    cacheRead,
    cacheWrite,
    cacheWrite1h,
    reasoning,
    inputWorst: max(input, cacheRead, cacheWrite, cacheWrite1h),
    outputWorst: max(output, reasoning),
  };
}

function max(...values: readonly bigint[]): bigint {
  let found = 0n;
  for (const value of values) if (value > found) found = value;
  return found;
}
