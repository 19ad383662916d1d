/**
 * The PostgreSQL run store's schema: versioned migrations, recorded in `schema_migrations` and
 * applied at start under a transaction-scoped advisory lock, so replicas starting together migrate
 * once and the others wait for it.
 *
 * @remarks
 * Version 1 is the layout of the SQLite store's version 3 with one row per event: a small mutable
 * run row (the lease columns are its fence), the spec and the fields written once apart, one row per
 * task, one row per event keyed by `(run_id, seq)` so events are paged by seq through the primary key.
 * Version 2 adds the request inbox (`run_requests`).
 * A new version appends to {@link MIGRATIONS}; a migration is never edited once released.
 */
import type { PoolClient } from 'pg';
import { InternalError, TERMINAL_RUN_STATES } from '@runtime/contracts';

/** `state NOT IN (<terminal states>)`: the same text in the partial index and in the query that uses it. */
export const UNFINISHED = `state NOT IN (${[...TERMINAL_RUN_STATES].map((state) => `'${state}'`).join(', ')})`;

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, specs, tasks, events, probe',
    sql: `
CREATE TABLE runs (
  position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  tenant text NOT NULL,
  state text NOT NULL,
  created_at text NOT NULL,
  updated_at text NOT NULL,
  error text,
  owner text,
  lease_owner text,
  lease_epoch bigint NOT NULL DEFAULT 0,
  lease_expires_at double precision NOT NULL DEFAULT 0,
  idempotency_key text,
  last_seq bigint NOT NULL,
  fixed text NOT NULL
);
CREATE UNIQUE INDEX runs_idempotency ON runs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_tenant ON runs (tenant, position);
CREATE INDEX runs_tenant_state ON runs (tenant, state, position);
CREATE INDEX runs_state ON runs (state, position);
CREATE INDEX runs_resumable ON runs (position, lease_expires_at) WHERE ${UNFINISHED};
CREATE TABLE run_specs (
  position bigint PRIMARY KEY REFERENCES runs (position) ON DELETE CASCADE,
  spec text NOT NULL
);
CREATE TABLE tasks (
  run_id text NOT NULL,
  id text NOT NULL,
  idx integer NOT NULL,
  record text NOT NULL,
  PRIMARY KEY (run_id, id)
);
CREATE TABLE events (
  run_id text NOT NULL,
  seq bigint NOT NULL,
  event text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE store_probe (
  id integer PRIMARY KEY CHECK (id = 1),
  written_at double precision NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'run request inbox',
    // Requests for runs' owners (cross-replica abort, addTasks, provideInput). The partial index
    // holds the unclaimed, unanswered requests only: a claim reads those and nothing else, whatever
    // the number of runs or of answered requests. `run_requests_posted` serves the retention delete.
    sql: `
CREATE TABLE run_requests (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  id text NOT NULL,
  body text NOT NULL,
  posted_at double precision NOT NULL,
  claimed_by text,
  outcome text,
  CONSTRAINT run_requests_run_id_id_key UNIQUE (run_id, id)
);
CREATE INDEX run_requests_pending ON run_requests (seq) WHERE claimed_by IS NULL AND outcome IS NULL;
CREATE INDEX run_requests_posted ON run_requests (posted_at);
`,
  },
];

/** The newest schema version this code reads and writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** Quotes an identifier already checked by {@link checkSchemaName}. */
export function quoteIdentifier(name: string): string {
  return `"${name}"`;
}

/**
 * Brings `schema` to {@link POSTGRES_SCHEMA_VERSION} in one transaction holding an advisory lock
 * keyed by the schema name: concurrent starts serialise, the first migrates, the others find the
 * migrations recorded. Leaves the session's `search_path` as it found it (`SET LOCAL`).
 * @throws InternalError `STORE_ERROR` (not retryable) for a schema written by a newer version.
 */
export async function migrate(client: PoolClient, schema: string): Promise<void> {
  const quoted = quoteIdentifier(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`@runtime/orchestration run store ${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(`SET LOCAL search_path TO ${quoted}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new InternalError({
        code: 'STORE_ERROR',
        message: `The run store schema "${schema}" has version ${current}; this version of @runtime/orchestration reads up to ${POSTGRES_SCHEMA_VERSION}.`,
        details: { schema, schemaVersion: current, supported: POSTGRES_SCHEMA_VERSION },
        isRetryable: false,
      });
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
