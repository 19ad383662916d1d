/**
 * A tiny package whose public API is locked by `etc/api-fixture.api.md`.
 *
 * @packageDocumentation
 */

/**
 * Options for {@link greet}.
 *
 * @public
 */
export interface GreetOptions {
  /** Who to greet. */
  readonly name: string;
}

/**
 * Returns a greeting.
 *
 * @public
 */
export declare function greet(options: GreetOptions): string;
