import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';

const clock = { now: () => Date.UTC(2026, 0, 1, 12, 0, 0) };

describe('parseRetryAfter', () => {
  it('reads retry-after-ms first', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), clock)).toBe(250);
  });

  it('reads retry-after as (fractional) seconds', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '3' }), clock)).toBe(3000);
    expect(parseRetryAfter({ 'Retry-After': '1.5' }, clock)).toBe(1500);
  });

  it('reads retry-after as an HTTP date against the clock, never negative', () => {
    expect(parseRetryAfter({ 'retry-after': new Date(clock.now() + 5000).toUTCString() }, clock)).toBe(5000);
    expect(parseRetryAfter({ 'retry-after': new Date(clock.now() - 5000).toUTCString() }, clock)).toBe(0);
  });

  it('ignores absent, negative and garbage values', () => {
    expect(parseRetryAfter(new Headers(), clock)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '-3' }, clock)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'soon' }, clock)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after-ms': 'x', 'retry-after': '1' }, clock)).toBe(1000);
  });
});
