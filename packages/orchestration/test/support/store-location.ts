/**
 * Where the multi-process run-loop tests keep their runs: a SQLite file path, or `postgres:<schema>`
 * on the test PostgreSQL. Child processes receive the location as an argument and open it with
 * {@link openStore}, so one test body runs on both durable stores.
 */
import type { RunStore } from '@runtime/contracts';
import { createPostgresRunStore } from '../../src/postgres.js';
import { createSqliteRunStore } from '../../src/sqlite.js';
import { POSTGRES_URL, postgresSchemas } from './postgres.js';

const POSTGRES_PREFIX = 'postgres:';

export async function openStore(location: string): Promise<RunStore> {
  if (location.startsWith(POSTGRES_PREFIX)) {
    return createPostgresRunStore({ connectionString: POSTGRES_URL, schema: location.slice(POSTGRES_PREFIX.length), maxConnections: 4 });
  }
  return createSqliteRunStore({ path: location });
}

export interface StoreBackend {
  readonly name: 'SQLite' | 'PostgreSQL';
  /** A new, empty location named after `label`. */
  readonly location: (label: string) => string;
  /** Removes what the locations handed out so far hold (PostgreSQL schemas; files go with their folder). */
  readonly cleanup: () => Promise<void>;
}

export function storeBackends(folder: string): readonly StoreBackend[] {
  const schemas = postgresSchemas();
  return [
    { name: 'SQLite', location: (label) => `${folder}/${label}.db`, cleanup: () => Promise.resolve() },
    { name: 'PostgreSQL', location: () => `${POSTGRES_PREFIX}${schemas.fresh()}`, cleanup: () => schemas.drop() },
  ];
}
