/**
 * A tiny package whose public API is locked by `etc/api-fixture.api.md`.
 *
 * @packageDocumentation
 */

/**
 * Options for {@link greet}: referenced by `greet` but no longer exported (a forgotten export).
 *
 * @public
 */
interface GreetOptions {
  /** Who to greet. */
  readonly name: string;
}

/**
 * Returns a greeting.
 *
 * @public
 */
declare function greet(options: GreetOptions): string;

export { greet };
