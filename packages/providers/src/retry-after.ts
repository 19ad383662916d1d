/**
 * Parsing of the headers a provider uses to say when to come back.
 *
 * @remarks
 * `retry-after-ms` (OpenAI, milliseconds) wins over `retry-after` (RFC 9110: delay-seconds or an
 * HTTP date). The value is used by the resilient client *instead of* its backoff delay, never on
 * top of it.
 */
import { systemClock, type Clock } from '@runtime/contracts';

/**
 * Headers as a `Headers` object or a plain record (lower- or mixed-case names).
 * @public
 */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === name) {
      const value = record[key];
      return typeof value === 'string' ? value : value?.[0];
    }
  }
  return undefined;
}

/**
 * The wait a provider asked for, in ms, or `undefined` when it did not say (or said nonsense).
 *
 * @remarks
 * Reads `retry-after-ms` first, then `retry-after` as seconds (fractions allowed) or as an HTTP
 * date measured against `clock` (a date in the past yields 0). Negative or non-numeric values are
 * ignored rather than guessed at.
 *
 * @example
 * ```ts
 * parseRetryAfter(new Headers({ 'retry-after': '2' })); // 2000
 * ```
 * @public
 */
export function parseRetryAfter(headers: HeaderSource, clock: Clock = systemClock): number | undefined {
  const milliseconds = header(headers, 'retry-after-ms');
  if (milliseconds !== undefined && milliseconds.trim() !== '') {
    const value = Number(milliseconds);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (retryAfter === undefined || retryAfter === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
  // An HTTP date has a month name; anything else (`-3`, `soon`) is not worth guessing at.
  if (!/[a-z]{3}/i.test(retryAfter)) return undefined;
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - clock.now());
}
