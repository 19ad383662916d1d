/**
 * The `fetch` an adapter sends requests with.
 */

/**
 * A `fetch`-compatible function (inject one for a custom dispatcher, a proxy or tests).
 * @public
 */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;
