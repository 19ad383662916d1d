/**
 * Exact money.
 *
 * @remarks
 * Money is an integer count of femto-dollars (10^-15 USD) held in a `bigint`. Catalog prices are
 * USD per million tokens; a price with up to 9 decimals is an integer number of femto-dollars per
 * token, so `tokens × price` is exact and a million tiny charges sum to the exact product. USD
 * numbers appear only at the edges (HTTP, config, display), rounded to 1e-9 as HTTP-API.md says.
 */
import type { Brand } from './ids.js';
import { ValidationError } from './errors.js';

/**
 * An exact amount of money: an integer number of femto-dollars (10^-15 USD).
 * @public
 */
export type Money = Brand<bigint, 'Money'>;

/**
 * Femto-dollars in one US dollar.
 * @public
 */
export const MONEY_UNITS_PER_USD = 1_000_000_000_000_000n;

/**
 * Zero dollars.
 * @public
 */
export const ZERO_MONEY: Money = 0n as Money;

/**
 * Wraps an integer count of femto-dollars as {@link Money}.
 * @public
 */
export function money(femtoDollars: bigint): Money {
  return femtoDollars as Money;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * Converts a USD amount (a number or a decimal string such as `"0.0375"`) to exact {@link Money}.
 *
 * @remarks
 * Numbers are read through their shortest decimal representation (`String(n)`), so `0.1` is
 * exactly one tenth of a dollar, not the binary float nearest to it.
 *
 * @throws {@link ValidationError} `VALIDATION_FAILED` when the amount is not finite, not a decimal
 * number, or has more precision than a femto-dollar.
 * @public
 */
export function usd(amount: number | string): Money {
  const text = typeof amount === 'number' ? String(amount) : amount.trim();
  const match = typeof amount === 'number' && !Number.isFinite(amount) ? null : DECIMAL.exec(text);
  if (match === null) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: `Not a finite USD amount: ${JSON.stringify(String(amount))}.`,
      details: { value: String(amount) },
    });
  }
  const [, sign, whole = '0', fraction = '', exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  // digits × 10^(exponent − fraction.length) USD = digits × 10^(15 + exponent − fraction.length) femto
  const digits = BigInt(whole + fraction);
  const shift = 15 + exponent - fraction.length;
  let units: bigint;
  if (shift >= 0) {
    units = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n) {
      throw new ValidationError({
        code: 'VALIDATION_FAILED',
        message: `USD amount ${text} is more precise than 1e-15.`,
        details: { value: text },
      });
    }
    units = digits / divisor;
  }
  return (sign === '-' ? -units : units) as Money;
}

/**
 * Converts {@link Money} to a USD number rounded half away from zero to 1e-9 (the HTTP precision).
 *
 * @remarks
 * Lossy: a double holds about 15.9 significant digits, so at 1e-9 precision amounts from about
 * $9,007,199 (2^53 nano-dollars) up lose their last digits (`100000000.000000001` → `100000000`).
 * Use {@link moneyToDecimalString} where the exact value matters (totals, reports, logs).
 * @public
 */
export function moneyToUsd(amount: Money): number {
  const nanoUnits = 1_000_000n;
  const units: bigint = amount;
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const nanoDollars = (magnitude + nanoUnits / 2n) / nanoUnits;
  const dollars = Number(nanoDollars) / 1e9;
  return negative ? -dollars : dollars;
}

/**
 * The exact USD value of {@link Money} as a decimal string, without trailing zeros: never lossy.
 * @example `moneyToDecimalString(usd('100000000.000000001')) === '100000000.000000001'`
 * @public
 */
export function moneyToDecimalString(amount: Money): string {
  const value: bigint = amount;
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const whole = magnitude / MONEY_UNITS_PER_USD;
  const fraction = (magnitude % MONEY_UNITS_PER_USD).toString().padStart(15, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * Formats {@link Money} as a dollar string with a fixed number of decimals (rounded half up).
 * @example `formatUsd(usd('0.0012345'), 6) === '$0.001235'`
 * @public
 */
export function formatUsd(amount: Money, decimals = 6): string {
  const places = Math.max(0, Math.min(15, Math.trunc(decimals)));
  const step = 10n ** BigInt(15 - places);
  const value: bigint = amount;
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const rounded = (magnitude + step / 2n) / step;
  const text = rounded.toString().padStart(places + 1, '0');
  const whole = text.slice(0, text.length - places);
  const fraction = places === 0 ? '' : `.${text.slice(text.length - places)}`;
  return `${negative ? '-' : ''}$${whole}${fraction}`;
}

/**
 * Adds amounts of {@link Money} exactly.
 * @public
 */
export function addMoney(...amounts: readonly Money[]): Money {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total as Money;
}

/**
 * Subtracts `b` from `a` exactly.
 * @public
 */
export function subtractMoney(a: Money, b: Money): Money {
  return (a - b) as Money;
}

/**
 * Multiplies {@link Money} by an integer count exactly.
 * @public
 */
export function multiplyMoney(amount: Money, count: number | bigint): Money {
  return (amount * BigInt(count)) as Money;
}
