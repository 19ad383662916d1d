/**
 * Tier policies, rate limits and admission checks (`@runtime/policy`).
 *
 * @remarks
 * This package is a shell: its components (tier policies, RPM/TPM limits (in memory and Redis), context-window check, tool allowlist and recursion depth → `CONTINUE` or `POLICY_VIOLATION` with details) land in later issues.
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
export const PACKAGE_NAME = '@runtime/policy';
