/**
 * The sidecar's own config sections for running several replicas on shared engines: the
 * PostgreSQL store's extra fields (`store.schema`, `store.maxConnections`), `rateLimits`,
 * `shutdown` and `budgets` (tenant budgets shared by every run of a tenant).
 *
 * @remarks
 * The contracts' `SidecarConfig` schema is strict and knows none of these, so {@link loadConfig}
 * takes them out of the file before validating the rest, as it does for the tool sections. Not
 * responsible for opening anything: the runtime does, from the resolved values.
 */
import { z } from 'zod';

/**
 * Where the per-tenant rate limits of the tiers are counted.
 * @public
 */
export type RateLimitsConfig = {
  /** `memory`: per process; `redis`: shared by every replica (the ledger's Redis unless `url` names one). */
  readonly kind: 'memory' | 'redis';
  /** Redis URL; only with `redis`. @defaultValue `ledger.url` */
  readonly url?: string;
};

/**
 * What a graceful shutdown does with the runs the process executes.
 * @public
 */
export type ShutdownMode = 'drain' | 'handOver';

/**
 * The sections of {@link scaleOutConfigSchema}.
 * @public
 */
export interface ScaleOutConfig {
  /** Rate-limit counters. @defaultValue `redis` when the ledger is Redis, else `memory` */
  readonly rateLimits?: RateLimitsConfig;
  /** Graceful shutdown. */
  readonly shutdown?: {
    /** @defaultValue `handOver` on PostgreSQL, `drain` otherwise */
    readonly mode?: ShutdownMode;
    /** Deadline of a drain in ms (`RUNTIME_SHUTDOWN_TIMEOUT_MS` overrides it). @defaultValue 10000 */
    readonly timeoutMs?: number;
  };
  /** Budgets above the runs' own. */
  readonly budgets?: {
    /** Limit in USD of every run of a tenant together (ledger scope `tenant:<name>`), by tenant. */
    readonly tenants?: Readonly<Record<string, { readonly limitUsd: number }>>;
  };
  /** PostgreSQL store fields beyond the contracts' `{kind, url}`. */
  readonly postgres?: {
    /** Schema of the store's tables, created when missing. @defaultValue `public` */
    readonly schema?: string;
    /** Connections of the store's pool. @defaultValue 10 */
    readonly maxConnections?: number;
  };
}

/** The top-level keys {@link scaleOutConfigSchema} owns. */
export const SCALE_OUT_CONFIG_KEYS = ['rateLimits', 'shutdown', 'budgets'] as const;

/** Fields of a `postgres` store the contracts' schema does not know. */
export const POSTGRES_STORE_KEYS = ['schema', 'maxConnections'] as const;

/** PostgreSQL's rule for the store's schema name (see `createPostgresRunStore`). */
const POSTGRES_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Schema of the scale-out sections.
 * @public
 */
export const scaleOutConfigSchema: z.ZodType<ScaleOutConfig> = z.strictObject({
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
  postgres: z
    .strictObject({
      schema: z.string().regex(POSTGRES_SCHEMA_PATTERN, 'must be lowercase letters, digits and _, starting with a letter or _, at most 63 characters').exactOptional(),
      maxConnections: z.int().min(1).max(1_000).exactOptional(),
    })
    .exactOptional(),
});

/**
 * Takes the scale-out sections (and the `postgres` store's extra fields, reported under
 * `postgres`) out of a raw config file; the rest goes to the contracts' schema.
 * @public
 */
export function splitScaleOutSections(file: Record<string, unknown>): { readonly rest: Record<string, unknown>; readonly sections: Record<string, unknown> } {
  const rest: Record<string, unknown> = { ...file };
  const sections: Record<string, unknown> = {};
  for (const key of SCALE_OUT_CONFIG_KEYS) {
    if (key in rest) {
      sections[key] = rest[key];
      delete rest[key];
    }
  }
  const store = rest['store'];
  if (typeof store === 'object' && store !== null && !Array.isArray(store) && (store as Record<string, unknown>)['kind'] === 'postgres') {
    const storeFields: Record<string, unknown> = { ...(store as Record<string, unknown>) };
    const postgres: Record<string, unknown> = {};
    for (const key of POSTGRES_STORE_KEYS) {
      if (key in storeFields) {
        postgres[key] = storeFields[key];
        delete storeFields[key];
      }
    }
    rest['store'] = storeFields;
    if (Object.keys(postgres).length > 0) sections['postgres'] = postgres;
  }
  return { rest, sections };
}
