import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addMoney, formatUsd, money, MONEY_UNITS_PER_USD, moneyToDecimalString, moneyToUsd, multiplyMoney, subtractMoney, usd, ZERO_MONEY } from './money.js';
import { ValidationError } from './errors.js';

describe('usd', () => {
  it('parses decimals exactly', () => {
    expect(usd('0.0375')).toBe(37_500_000_000_000n);
    expect(usd(0.1)).toBe(100_000_000_000_000n);
    expect(usd(3)).toBe(3n * MONEY_UNITS_PER_USD);
    expect(usd('-1.5')).toBe(-1_500_000_000_000_000n);
    expect(usd(1e-7)).toBe(100_000_000n);
    expect(usd('2.5e3')).toBe(2_500n * MONEY_UNITS_PER_USD);
  });

  it('rejects non-finite, non-decimal and over-precise amounts with VALIDATION_FAILED', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => usd(bad)).toThrowError(ValidationError);
    }
    for (const bad of ['', 'abc', '1.2.3', '0x10', '1e-16']) {
      let caught: unknown;
      try {
        usd(bad);
      } catch (error) {
        caught = error;
      }
      expect(ValidationError.isInstance(caught)).toBe(true);
      expect((caught as ValidationError).code).toBe('VALIDATION_FAILED');
    }
  });

  it('round-trips through moneyToUsd for amounts with at most 9 decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 }), (nanoDollars) => {
        const value = nanoDollars / 1e9;
        expect(moneyToUsd(usd(value))).toBeCloseTo(value, 9);
      }),
      { numRuns: 300 },
    );
  });
});

describe('arithmetic', () => {
  it('sums a million tiny charges to the exact product', () => {
    const charge = usd('0.0000000375'); // 37.5 nano-dollars: not representable as integer nano
    let total = ZERO_MONEY;
    for (let index = 0; index < 1_000_000; index += 1) total = addMoney(total, charge);
    expect(total).toBe(multiplyMoney(charge, 1_000_000));
    expect(formatUsd(total, 4)).toBe('$0.0375');
  });

  it('adds, subtracts and multiplies exactly', () => {
    expect(addMoney(usd('0.1'), usd('0.2'))).toBe(usd('0.3'));
    expect(subtractMoney(usd('1'), usd('0.25'))).toBe(usd('0.75'));
    expect(multiplyMoney(usd('0.001'), 3n)).toBe(usd('0.003'));
    expect(addMoney()).toBe(ZERO_MONEY);
    expect(money(5n)).toBe(5n);
  });
});

describe('formatting', () => {
  it('rounds half up at the requested precision', () => {
    expect(formatUsd(usd('0.0012345'), 6)).toBe('$0.001235');
    expect(formatUsd(usd('12'), 2)).toBe('$12.00');
    expect(formatUsd(usd('-0.5'), 0)).toBe('-$1');
    expect(formatUsd(usd('0.000000001'), 9)).toBe('$0.000000001');
  });

  it('converts to USD numbers rounded to 1e-9', () => {
    expect(moneyToUsd(usd('0.0000000375'))).toBe(0.000000038);
    expect(moneyToUsd(usd('-2.5'))).toBe(-2.5);
    expect(moneyToUsd(ZERO_MONEY)).toBe(0);
  });
});

describe('moneyToDecimalString', () => {
  it('is exact where the number form is not (above ≈ $9M at 1e-9)', () => {
    const large = usd('100000000.000000001');
    expect(moneyToUsd(large)).toBe(100000000);
    expect(moneyToDecimalString(large)).toBe('100000000.000000001');
    expect(moneyToDecimalString(money(1n))).toBe('0.000000000000001');
    expect(moneyToDecimalString(usd('-2.5'))).toBe('-2.5');
    expect(moneyToDecimalString(usd(12))).toBe('12');
    expect(moneyToDecimalString(ZERO_MONEY)).toBe('0');
  });

  it('property: round-trips through usd() for any amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), (units) => {
        expect(usd(moneyToDecimalString(money(units)))).toBe(units);
      }),
    );
  });
});
