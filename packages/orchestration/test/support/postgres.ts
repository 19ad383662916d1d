/**
 * The PostgreSQL the tests use (127.0.0.1:5432, database `test`, user `postgres`, trust auth; see
 * `.ci/run`) and per-test schemas, so tests running at once never see each other's tables.
 * A test that needs it fails loudly when it is down: nothing is skipped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { RunStore } from '@runtime/contracts';
import { createPostgresRunStore } from '../../src/postgres.js';

export const POSTGRES_URL = process.env.RUNTIME_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A new schema name, `test_<random>`. */
export function schemaName(prefix = 'test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Drops the schemas (and everything in them) through a short-lived connection. */
export async function dropSchemas(names: Iterable<string>): Promise<void> {
  const list = [...names];
  if (list.length === 0) return;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (const name of list) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Schemas handed out by one test file, dropped by `drop()` (call it from `afterEach`/`finally`).
 * `open(schema)` opens a store with its own small pool on a schema.
 */
export function postgresSchemas(): {
  readonly fresh: () => string;
  readonly open: (schema: string) => Promise<RunStore>;
  /** Drops `schema` with the others (a name the test made itself). */
  readonly adopt: (schema: string) => void;
  readonly drop: () => Promise<void>;
} {
  const created = new Set<string>();
  return {
    fresh: () => {
      const name = schemaName();
      created.add(name);
      return name;
    },
    adopt: (schema) => {
      created.add(schema);
    },
    open: (schema) => createPostgresRunStore({ connectionString: POSTGRES_URL, schema, maxConnections: 4 }),
    drop: async () => {
      const names = [...created];
      created.clear();
      await dropSchemas(names);
    },
  };
}

/** Runs SQL on the test database through a short-lived connection. */
export async function sql<Row extends object = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}
