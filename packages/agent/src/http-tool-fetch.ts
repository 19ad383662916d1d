/**
 * The `fetch` an HTTP tool uses.
 */

/**
 * A `fetch`-compatible function (the global `fetch`, or a test double).
 * @public
 */
export type HttpToolFetch = (input: string, init: RequestInit) => Promise<Response>;
