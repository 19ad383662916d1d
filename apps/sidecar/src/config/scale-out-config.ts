/**
 * Resolves the config sections for running several replicas on shared engines — the PostgreSQL
 * store (`store.schema`, `store.maxConnections`), `rateLimits`, `shutdown` — with their
 * environment overrides and defaults. The sections themselves are the contracts' `SidecarConfig`
 * (validated by its schema); not responsible for opening anything: the runtime does, from the
 * resolved values.
 */
import { resolve } from 'node:path';
import { ValidationError, type RateLimitsConfig, type ShutdownMode, type SidecarConfig, type StoreConfig } from '@runtime/contracts';
import { POSTGRES_SCHEMA_NAME } from '@runtime/contracts/schemas';

function configError(message: string, details: Record<string, unknown>): ValidationError {
  return new ValidationError({ code: 'VALIDATION_FAILED', message, details });
}

/**
 * The run store after defaults and environment overrides (a SQLite path is absolute).
 * @public
 */
export type ResolvedStoreConfig = StoreConfig;

const POSTGRES_URL = /^postgres(?:ql)?:\/\//;

/**
 * The store from the file, then `RUNTIME_DB` / `RUNTIME_DB_SCHEMA`; SQLite paths made absolute.
 * @throws {@link ValidationError} for a schema override that cannot apply.
 * @public
 */
export function resolveStore(config: SidecarConfig, env: Readonly<Record<string, string | undefined>>, cwd: string, defaultPath: string): ResolvedStoreConfig {
  let store: ResolvedStoreConfig = config.store ?? { kind: 'sqlite', path: defaultPath };
  const dbOverride = env['RUNTIME_DB'];
  if (dbOverride !== undefined && dbOverride !== '') {
    if (dbOverride === 'memory') store = { kind: 'memory' };
    else if (POSTGRES_URL.test(dbOverride)) store = { ...(store.kind === 'postgres' ? store : {}), kind: 'postgres', url: dbOverride };
    else store = { kind: 'sqlite', path: dbOverride };
  }
  const schemaOverride = env['RUNTIME_DB_SCHEMA'];
  if (schemaOverride !== undefined && schemaOverride !== '') {
    if (store.kind !== 'postgres') throw configError('Environment variable RUNTIME_DB_SCHEMA applies to a PostgreSQL store only.', { field: 'RUNTIME_DB_SCHEMA', store: store.kind });
    if (!POSTGRES_SCHEMA_NAME.test(schemaOverride)) {
      throw configError('Environment variable RUNTIME_DB_SCHEMA: must be lowercase letters, digits and _, starting with a letter or _, at most 63 characters.', {
        field: 'RUNTIME_DB_SCHEMA',
        value: schemaOverride,
      });
    }
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
export function resolveRateLimits(config: SidecarConfig, source: string | undefined): RateLimitsConfig {
  const ledgerUrl = config.ledger?.kind === 'redis' ? config.ledger.url : undefined;
  const configured = config.rateLimits ?? (ledgerUrl === undefined ? { kind: 'memory' } : { kind: 'redis' });
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
export function resolveShutdownMode(store: ResolvedStoreConfig, config: SidecarConfig, env: Readonly<Record<string, string | undefined>>): ShutdownMode {
  const override = env['RUNTIME_SHUTDOWN_MODE'];
  if (override !== undefined && override !== '') {
    if (override !== 'drain' && override !== 'handOver') throw configError('Environment variable RUNTIME_SHUTDOWN_MODE must be drain or handOver.', { field: 'RUNTIME_SHUTDOWN_MODE', value: override });
    return override;
  }
  return config.shutdown?.mode ?? (store.kind === 'postgres' ? 'handOver' : 'drain');
}
