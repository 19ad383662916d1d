/**
 * Context building, compaction, routing and memory for agent-runtime tasks (`@runtime/context`).
 *
 * @remarks
 * This package is a shell: its components (ContextBuilder, ContextCompactor, ContextRouter, MemoryManager and the tiered prompt builder) land in later issues.
 * It depends on `@runtime/contracts` only and receives collaborators through contract interfaces;
 * it never imports another domain package.
 *
 * @packageDocumentation
 */

/**
 * The npm name of this package.
 *
 * @public
 */
export const PACKAGE_NAME = '@runtime/context';
