/**
 * The built-in tiers: `free`, `pro` and `enterprise`.
 *
 * @remarks
 * These are defaults, not a pricing page: override any limit per tier with
 * {@link createTierResolver}'s `overrides` (the `tiers` section of the sidecar config). Depth,
 * context, tool-call, RPM and RPH figures come from the product issue; TPM, budget, parallelism
 * and the tool allowlist are this package's choice, reasoned in the README.
 */
import type { TierName, TierPolicy } from '@runtime/contracts';

/**
 * Limits of the built-in tiers.
 *
 * @remarks
 * `tpm` lets every tier make at least two full-context calls a minute (prompt + an output cap of a
 * quarter of the context) while staying near `rpm` × a typical call; `allowedModels` is absent
 * (every catalog model) because model ids belong to the deployment's catalog; `allowedTools` is
 * `['*']` because tools are registered by the application, and the per-run tool-call count already
 * bounds them. A tier defined without `allowedTools` may call no tool at all.
 * @public
 */
export const DEFAULT_TIERS: Readonly<Record<TierName, TierPolicy>> = Object.freeze({
  free: Object.freeze({
    name: 'free',
    maxDepth: 5,
    maxContextTokens: 8_192,
    maxToolCallsPerRun: 10,
    rpm: 10,
    rph: 100,
    tpm: 25_000,
    maxBudgetUsdPerRun: 0.25,
    allowedTools: Object.freeze(['*']),
    maxParallelism: 2,
  }),
  pro: Object.freeze({
    name: 'pro',
    maxDepth: 10,
    maxContextTokens: 16_384,
    maxToolCallsPerRun: 25,
    rpm: 30,
    rph: 500,
    tpm: 120_000,
    maxBudgetUsdPerRun: 5,
    allowedTools: Object.freeze(['*']),
    maxParallelism: 4,
  }),
  enterprise: Object.freeze({
    name: 'enterprise',
    maxDepth: 20,
    maxContextTokens: 131_072,
    maxToolCallsPerRun: 100,
    rpm: 100,
    rph: 2_000,
    tpm: 1_000_000,
    maxBudgetUsdPerRun: 50,
    allowedTools: Object.freeze(['*']),
    maxParallelism: 16,
  }),
});
