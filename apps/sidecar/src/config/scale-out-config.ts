/**
 * The sidecar's own config sections for running several replicas on shared engines: the
 * PostgreSQL store's extra fields (`store.schema`, `store.maxConnections`), `rateLimits`,
 * `shutdown` and `budgets` (tenant budgets shared by every run of a tenant).
 *
 * @remarks
 * The contracts' `SidecarConfig` schema is strict and knows none of these, so `loadConfig`
 * takes them out of the file before validating the rest, as it does for the tool sections, and
 * resolves them with the environment overrides here. Not responsible for opening anything: the
 * runtime does, from the resolved values.
 */
import { resolve } from 'node:path';
import { ValidationError, type SidecarConfig, type StoreConfig } from '@runtime/contracts';
import { toValidationIssues } from '@runtime/contracts/schemas';
import { z } from 'zod';

function configError(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message, details });
}

/**
 * The run store after defaults and environment overrides: an absolute SQLite path, or PostgreSQL
 * with its schema and pool size.
 * @public
 */
export type ResolvedStoreConfig =
  | Exclude<StoreConfig, { readonly kind: 'postgres' }>
  | {
      /** PostgreSQL, shared by every replica. */
      readonly kind: 'postgres';
      /** Connection URL. */
      readonly url: string;
      /** Schema of the store's tables. @defaultValue `public` */
      readonly schema?: string;
      /** Connections of the store's pool. @defaultValue 10 */
      readonly maxConnections?: number;
    };

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

const POSTGRES_URL = /^postgres(?:ql)?:\/\//;

/**
 * The store from the file, then `RUNTIME_DB` / `RUNTIME_DB_SCHEMA`; SQLite paths made absolute.
 * @throws {@link ValidationError} for a schema override that cannot apply.
 * @public
 */
export function resolveStore(
  config: SidecarConfig,
  scaleOut: ScaleOutConfig,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  defaultPath: string,
): ResolvedStoreConfig {
  let store: ResolvedStoreConfig = config.store ?? { kind: 'sqlite', path: defaultPath };
  if (store.kind === 'postgres') store = { ...store, ...scaleOut.postgres };
  const dbOverride = env['RUNTIME_DB'];
  if (dbOverride !== undefined && dbOverride !== '') {
    if (dbOverride === 'memory') store = { kind: 'memory' };
    else if (POSTGRES_URL.test(dbOverride)) store = { ...(store.kind === 'postgres' ? store : {}), kind: 'postgres', url: dbOverride };
    else store = { kind: 'sqlite', path: dbOverride };
  }
  const schemaOverride = env['RUNTIME_DB_SCHEMA'];
  if (schemaOverride !== undefined && schemaOverride !== '') {
    if (store.kind !== 'postgres') throw configError('Environment variable RUNTIME_DB_SCHEMA applies to a PostgreSQL store only.', { field: 'RUNTIME_DB_SCHEMA', store: store.kind });
    const parsed = scaleOutConfigSchema.safeParse({ postgres: { schema: schemaOverride } });
    if (!parsed.success) throw configError(`Environment variable RUNTIME_DB_SCHEMA: ${toValidationIssues(parsed.error)[0]?.message ?? 'invalid'}.`, { field: 'RUNTIME_DB_SCHEMA', value: schemaOverride });
    store = { ...store, schema: schemaOverride };
  }
  if (store.kind === 'sqlite') store = { kind: 'sqlite', path: resolve(cwd, store.path ?? defaultPath) };
  return store;
}

/**
 * Rate limits follow the ledger unless the config says otherwise; Redis ones need a URL.
 * @throws {@link ValidationError} at `rateLimits.url`.
 * @public
 */
export function resolveRateLimits(config: SidecarConfig, scaleOut: ScaleOutConfig, source: string | undefined): RateLimitsConfig {
  const ledgerUrl = config.ledger?.kind === 'redis' ? config.ledger.url : undefined;
  const configured = scaleOut.rateLimits ?? (ledgerUrl === undefined ? { kind: 'memory' } : { kind: 'redis' });
  if (configured.kind === 'memory') return { kind: 'memory' };
  const url = configured.url ?? ledgerUrl;
  if (url === undefined) {
    throw configError(`Invalid config${source === undefined ? '' : ` in ${source}`} at rateLimits.url: Redis rate limits need a URL (rateLimits.url, or a Redis ledger).`, {
      file: source ?? null,
      field: 'rateLimits.url',
    });
  }
  if (ledgerUrl !== undefined && url !== ledgerUrl) {
    throw configError(`Invalid config${source === undefined ? '' : ` in ${source}`} at rateLimits.url: it must be the ledger's Redis (one connection serves both).`, {
      file: source ?? null,
      field: 'rateLimits.url',
    });
  }
  return { kind: 'redis', url };
}

/**
 * `RUNTIME_SHUTDOWN_MODE`, else `shutdown.mode`, else `handOver` on PostgreSQL and `drain` otherwise.
 * @public
 */
export function resolveShutdownMode(store: ResolvedStoreConfig, scaleOut: ScaleOutConfig, env: Readonly<Record<string, string | undefined>>): ShutdownMode {
  const override = env['RUNTIME_SHUTDOWN_MODE'];
  if (override !== undefined && override !== '') {
    if (override !== 'drain' && override !== 'handOver') throw configError('Environment variable RUNTIME_SHUTDOWN_MODE must be drain or handOver.', { field: 'RUNTIME_SHUTDOWN_MODE', value: override });
    return override;
  }
  return scaleOut.shutdown?.mode ?? (store.kind === 'postgres' ? 'handOver' : 'drain');
}
