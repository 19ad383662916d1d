/**
 * Opening the sidecar's dependencies at start: the run store (memory, SQLite, PostgreSQL with its
 * migrations) and the typed errors that name the dependency a start could not reach.
 *
 * @remarks
 * Every message carries the URL without its password. Not responsible for health checks (the
 * runtime probes the store through the orchestrator, Redis with PING).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { InternalError, RuntimeError, type RunStore } from '@runtime/contracts';
import { createMemoryRunStore } from '@runtime/orchestration';
import { createPostgresRunStore } from '@runtime/orchestration/postgres';
import { createSqliteRunStore } from '@runtime/orchestration/sqlite';
import type { ResolvedConfig, ResolvedStoreConfig } from '../config/load-config.js';

/**
 * The URL without its password (error messages and logs).
 * @public
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Opens PostgreSQL and applies its migrations; a failure names the dependency, where it is and why
 * (the password left out), so a replica that cannot start says what to fix.
 */
async function openPostgresStore(store: Extract<ResolvedStoreConfig, { kind: 'postgres' }>): Promise<RunStore> {
  const schema = store.schema ?? 'public';
  try {
    return await createPostgresRunStore({
      connectionString: store.url,
      schema,
      ...(store.maxConnections === undefined ? {} : { maxConnections: store.maxConnections }),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InternalError({
      code: 'STORE_ERROR',
      message: `Cannot start: the PostgreSQL run store at ${redactUrl(store.url)} (schema ${schema}) could not be opened and migrated: ${reason}`,
      details: { dependency: 'postgres', field: 'store.url', url: redactUrl(store.url), schema },
      cause: error,
      isRetryable: RuntimeError.isInstance(error) && error.isRetryable,
    });
  }
}

/**
 * Opens the configured run store: memory, SQLite (its directory created) or PostgreSQL (migrated).
 * @throws {@link InternalError} `STORE_ERROR` naming the dependency when PostgreSQL cannot be opened.
 * @public
 */
export async function openRunStore(config: ResolvedConfig): Promise<RunStore> {
  switch (config.store.kind) {
    case 'memory':
      return createMemoryRunStore();
    case 'sqlite': {
      const path = config.store.path ?? './data/runtime.db';
      mkdirSync(dirname(path), { recursive: true });
      return createSqliteRunStore({ path });
    }
    case 'postgres':
      return openPostgresStore(config.store);
  }
}

/**
 * A tenant budget that cannot be set refuses the start, naming the ledger's dependency.
 * @public
 */
export function tenantBudgetError(tenant: string, redisUrl: string | undefined, error: unknown): InternalError {
  const where = redisUrl === undefined ? 'the budget ledger' : `Redis at ${redactUrl(redisUrl)}`;
  return new InternalError({
    code: 'STORE_ERROR',
    message: `Cannot start: the budget of tenant ${tenant} could not be set in ${where}: ${error instanceof Error ? error.message : String(error)}`,
    details: { dependency: redisUrl === undefined ? 'ledger' : 'redis', field: 'budgets.tenants', tenant, ...(redisUrl === undefined ? {} : { url: redactUrl(redisUrl) }) },
    cause: error,
    isRetryable: RuntimeError.isInstance(error) && error.isRetryable,
  });
}
