/**
 * Schemas of configuration files: the sidecar config (HTTP-API.md "Configuration"), a model
 * catalog file, and tier policies.
 */
import { z } from 'zod';
import type { ModelCatalogFile, ModelConfig, SidecarConfig, TierOverride, TierPolicy } from '../index.js';
import { modelIdSchema, positiveIntSchema, usdAmountSchema } from './primitives.js';
import { modelCapabilitiesSchema, modelPricingSchema, modelRoleSchema, refineModelWindow, tokenEncodingSchema } from './wire.js';

/**
 * One model in a config or catalog file (`providerModel` defaults to `id`, `role` to `balanced`).
 * @public
 */
export const modelConfigSchema: z.ZodType<ModelConfig> = z.strictObject({
  id: modelIdSchema,
  provider: z.string().min(1).max(128),
  providerModel: z.string().min(1).max(256).exactOptional(),
  maxInputTokens: positiveIntSchema,
  maxOutputTokens: positiveIntSchema,
  contextWindow: positiveIntSchema.exactOptional(),
  role: modelRoleSchema.exactOptional(),
  pricing: modelPricingSchema,
  encoding: tokenEncodingSchema.exactOptional(),
  capabilities: modelCapabilitiesSchema.exactOptional(),
}).superRefine(refineModelWindow);

/**
 * A model catalog file: models to add or override, optional role mapping and default model.
 * @public
 */
export const modelCatalogFileSchema: z.ZodType<ModelCatalogFile> = z.strictObject({
  models: z.array(modelConfigSchema).exactOptional(),
  roles: z
    .strictObject({
      fast: modelIdSchema.exactOptional(),
      balanced: modelIdSchema.exactOptional(),
      flagship: modelIdSchema.exactOptional(),
    })
    .exactOptional(),
  defaultModel: modelIdSchema.exactOptional(),
});

const tierLimits = {
  maxDepth: positiveIntSchema,
  maxContextTokens: positiveIntSchema,
  maxToolCallsPerRun: z.int().min(0),
  rpm: positiveIntSchema,
  rph: positiveIntSchema,
  tpm: positiveIntSchema,
  maxBudgetUsdPerRun: z.number().gt(0).refine(Number.isFinite, 'must be finite'),
  allowedModels: z.array(z.string().min(1)).exactOptional(),
  allowedTools: z.array(z.string().min(1)).exactOptional(),
  maxParallelism: z.int().min(1).max(256),
};

/**
 * A complete tier policy.
 * @public
 */
export const tierPolicySchema: z.ZodType<TierPolicy> = z.strictObject({ name: z.string().min(1).max(64), ...tierLimits });

/**
 * A tier override in a config file: any subset of a tier's limits.
 * @public
 */
export const tierOverrideSchema: z.ZodType<TierOverride> = z.strictObject({
  maxDepth: tierLimits.maxDepth.exactOptional(),
  maxContextTokens: tierLimits.maxContextTokens.exactOptional(),
  maxToolCallsPerRun: tierLimits.maxToolCallsPerRun.exactOptional(),
  rpm: tierLimits.rpm.exactOptional(),
  rph: tierLimits.rph.exactOptional(),
  tpm: tierLimits.tpm.exactOptional(),
  maxBudgetUsdPerRun: tierLimits.maxBudgetUsdPerRun.exactOptional(),
  allowedModels: tierLimits.allowedModels,
  allowedTools: tierLimits.allowedTools,
  maxParallelism: tierLimits.maxParallelism.exactOptional(),
});

const providerConfigSchema = z.strictObject({
  type: z.enum(['openai-compatible', 'anthropic', 'mock']),
  baseUrl: z.url().exactOptional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').exactOptional(),
  timeoutMs: positiveIntSchema.exactOptional(),
  headers: z.record(z.string(), z.string()).exactOptional(),
});

const apiKeySchema = z.union([
  z.strictObject({
    keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
    tenant: z.string().min(1).max(128),
    tier: z.string().min(1).max(64),
  }),
  z.strictObject({
    keyHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>'),
    tenant: z.string().min(1).max(128),
    tier: z.string().min(1).max(64),
  }),
]);

/**
 * A PostgreSQL schema name the run store accepts: lowercase letters, digits and `_`, starting with
 * a letter or `_`, at most 63 characters (PostgreSQL's identifier limit; no quoting needed).
 * @public
 */
export const POSTGRES_SCHEMA_NAME: RegExp = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The sidecar configuration file (every section optional; zero config works).
 * @public
 */
export const sidecarConfigSchema: z.ZodType<SidecarConfig> = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).exactOptional(),
      port: z.int().min(0).max(65_535).exactOptional(),
      bodyLimitBytes: positiveIntSchema.exactOptional(),
    })
    .exactOptional(),
  store: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('sqlite'), path: z.string().min(1).exactOptional() }),
      z.strictObject({ kind: z.literal('memory') }),
      z.strictObject({
        kind: z.literal('postgres'),
        url: z.string().min(1),
        schema: z.string().regex(POSTGRES_SCHEMA_NAME, 'must be lowercase letters, digits and _, starting with a letter or _, at most 63 characters').exactOptional(),
        maxConnections: z.int().min(1).max(1_000).exactOptional(),
      }),
    ])
    .exactOptional(),
  ledger: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('memory') }),
      z.strictObject({ kind: z.literal('redis'), url: z.string().min(1) }),
    ])
    .exactOptional(),
  rateLimits: z
    .discriminatedUnion('kind', [z.strictObject({ kind: z.literal('memory') }), z.strictObject({ kind: z.literal('redis'), url: z.string().min(1).exactOptional() })])
    .exactOptional(),
  shutdown: z
    .strictObject({
      mode: z.enum(['drain', 'handOver']).exactOptional(),
      timeoutMs: z.int().min(0).max(3_600_000).exactOptional(),
    })
    .exactOptional(),
  budgets: z
    .strictObject({
      tenants: z.record(z.string().min(1).max(128), z.strictObject({ limitUsd: z.number().positive().max(1_000_000_000) })).exactOptional(),
    })
    .exactOptional(),
  providers: z.record(z.string().min(1).max(64), providerConfigSchema).exactOptional(),
  models: z.array(modelConfigSchema).exactOptional(),
  defaultModel: modelIdSchema.exactOptional(),
  auth: z.strictObject({ apiKeys: z.array(apiKeySchema) }).exactOptional(),
  tiers: z.record(z.string().min(1).max(64), tierOverrideSchema).exactOptional(),
});

/**
 * Budget amount in USD greater than zero (for config fields).
 * @public
 */
export const positiveUsdSchema: z.ZodType<number> = usdAmountSchema.refine((value) => value > 0, 'must be greater than 0');
