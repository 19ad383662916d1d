/**
 * The SQLite run store's schema, its version (`PRAGMA user_version`) and the migrations to it.
 *
 * @remarks
 * Version 1 (user_version 0, the first release) kept each run as one JSON `record` — spec included —
 * that every commit decoded and rewrote: a commit cost grew with the run. Version 2 (never released)
 * kept the spec and the other fields written once apart from the small mutable run row. Version 3
 * also writes the events of one commit as one row (`event_batches`) instead of a row per event —
 * a task's five events cost one insert per commit, shared by every task of the commit. Tasks keep
 * their version-1 table. Positions (the list cursors) are kept by the migration. Version 4 adds the
 * request inbox (`run_requests`: requests for a run's owner posted by other processes).
 */
import type Database from 'better-sqlite3';
import { InternalError, TERMINAL_RUN_STATES, type RunRecord } from '@runtime/contracts';
import { decodeJson, encodeJson } from './json-codec.js';

const SCHEMA_VERSION = 4;

/** `state NOT IN (<terminal states>)`: the same text in the partial index and in the query that uses it. */
const UNFINISHED = `state NOT IN (${[...TERMINAL_RUN_STATES].map((state) => `'${state}'`).join(', ')})`;

/** Every column of a run's row; the spec is read apart (`run_specs`), and cached, being immutable. */
export const SELECT_RUN = `SELECT r.position, r.id, r.tenant, r.state, r.created_at, r.updated_at, r.error, r.owner, r.lease_owner,
  r.lease_epoch, r.lease_expires_at, r.idempotency_key, r.last_seq, r.fixed FROM runs r`;

/**
 * Resumable runs (`now`, `limit`), oldest first. Served by the partial index `runs_resumable`: it holds
 * unfinished runs only, in position order, with the lease expiry, so finished history is never read.
 */
export const RESUMABLE_RUNS = `${SELECT_RUN} WHERE r.${UNFINISHED} AND r.lease_expires_at <= ? ORDER BY r.position LIMIT ?`;

const RUNS_V2 = `
CREATE TABLE runs (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  error TEXT,
  owner TEXT,
  lease_owner TEXT,
  lease_epoch INTEGER NOT NULL DEFAULT 0,
  lease_expires_at INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  last_seq INTEGER NOT NULL,
  fixed TEXT NOT NULL
);
CREATE UNIQUE INDEX runs_idempotency ON runs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_tenant ON runs (tenant, position);
CREATE INDEX runs_tenant_state ON runs (tenant, state, position);
CREATE INDEX runs_state ON runs (state, position);
CREATE INDEX runs_resumable ON runs (position, lease_expires_at) WHERE ${UNFINISHED};
CREATE TABLE run_specs (
  position INTEGER PRIMARY KEY,
  spec TEXT NOT NULL
);
`;

const TASKS = `
CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL,
  id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
`;

/** The events of one commit, seq `first_seq`..`last_seq`, as one JSON array. */
const EVENT_BATCHES = `
CREATE TABLE event_batches (
  run_id TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  events TEXT NOT NULL,
  PRIMARY KEY (run_id, last_seq)
) WITHOUT ROWID;
`;

/**
 * Requests for runs' owners (cross-process abort, addTasks, provideInput). `run_requests_pending`
 * holds the unclaimed, unanswered ones only, so a claim reads those and nothing else whatever the
 * number of runs or of answered requests; `run_requests_posted` serves the retention delete.
 */
const RUN_REQUESTS = `
CREATE TABLE run_requests (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  posted_at REAL NOT NULL,
  claimed_by TEXT,
  outcome TEXT,
  UNIQUE (run_id, id)
);
CREATE INDEX run_requests_pending ON run_requests (seq) WHERE claimed_by IS NULL AND outcome IS NULL;
CREATE INDEX run_requests_posted ON run_requests (posted_at);
`;

/**
 * Claims (`@owner`, `@limit`) the pending requests of the runs `@owner` leases, oldest first, in one
 * statement: it reads the partial index `run_requests_pending` and looks each run up by id.
 */
export const CLAIM_REQUESTS = `UPDATE run_requests SET claimed_by = @owner
  WHERE claimed_by IS NULL AND outcome IS NULL AND seq IN (
    SELECT q.seq FROM run_requests q JOIN runs r ON r.id = q.run_id
    WHERE q.claimed_by IS NULL AND q.outcome IS NULL AND r.lease_owner = @owner
    ORDER BY q.seq LIMIT @limit)
  RETURNING seq, run_id, id, body, posted_at`;

/** Version 1 and 2 kept one row per event: each becomes a batch of one. */
const EVENTS_TO_BATCHES = `
INSERT INTO event_batches (run_id, last_seq, first_seq, events) SELECT run_id, seq, seq, '[' || event || ']' FROM events;
DROP TABLE events;
`;

/** Fields with their own column (or table): everything else of a RunRecord goes to `fixed`, written once. */
const COLUMN_FIELDS = new Set<string>(['id', 'tenant', 'spec', 'state', 'createdAt', 'updatedAt', 'error', 'owner', 'lease', 'idempotencyKey', 'lastSeq']);

/** The fields of a record written once at creation (budget limit, scopes, request hash, future fields), as JSON. */
export function fixedFields(record: RunRecord): string {
  const fixed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (!COLUMN_FIELDS.has(key) && value !== undefined) fixed[key] = value;
  return encodeJson(fixed);
}

export interface RunInsert {
  readonly position: number | null;
  readonly record: RunRecord;
  readonly lastSeq: number;
}

/** Prepares the insert of a run row and its spec row. */
export function runInserter(db: Database.Database): (run: RunInsert) => void {
  const insertRow = db.prepare(
    `INSERT INTO runs (position, id, tenant, state, created_at, updated_at, error, owner, lease_owner, lease_epoch, lease_expires_at, idempotency_key, last_seq, fixed)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertSpec = db.prepare('INSERT INTO run_specs (position, spec) VALUES (?, ?)');
  return ({ position, record, lastSeq }) => {
    const lease = record.lease;
    const info = insertRow.run(
      position,
      record.id,
      record.tenant,
      record.state,
      record.createdAt,
      record.updatedAt,
      record.error === undefined ? null : encodeJson(record.error),
      lease?.owner ?? record.owner ?? null,
      lease?.owner ?? null,
      lease?.epoch ?? 0,
      lease?.expiresAt ?? 0,
      record.idempotencyKey ?? null,
      lastSeq,
      fixedFields(record),
    );
    insertSpec.run(info.lastInsertRowid, encodeJson(record.spec));
  };
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare<[string], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Moves version-1 runs (one JSON record each) into the version-2 tables, keeping their positions. */
function migrateFromVersion1(db: Database.Database): void {
  db.exec('ALTER TABLE runs RENAME TO runs_v1; DROP INDEX IF EXISTS runs_idempotency; DROP INDEX IF EXISTS runs_tenant; DROP INDEX IF EXISTS runs_state;');
  db.exec(RUNS_V2);
  const insert = runInserter(db);
  const page = db.prepare<[number], { position: number; last_seq: number; record: string }>(
    'SELECT position, last_seq, record FROM runs_v1 WHERE position > ? ORDER BY position LIMIT 500',
  );
  for (let after = 0; ; ) {
    const rows = page.all(after);
    if (rows.length === 0) break;
    for (const row of rows) insert({ position: row.position, record: decodeJson<RunRecord>(row.record), lastSeq: row.last_seq });
    after = rows[rows.length - 1]?.position ?? Number.MAX_SAFE_INTEGER;
  }
  db.exec('DROP TABLE runs_v1;');
}

/**
 * Brings the database to {@link SCHEMA_VERSION} in one immediate transaction (so two processes
 * opening the same file do not both migrate).
 * @throws InternalError `STORE_ERROR` (not retryable) for a database written by a newer version.
 */
export function prepareSchema(db: Database.Database): void {
  if (db.pragma('user_version', { simple: true }) === SCHEMA_VERSION) return;
  const upgrade = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new InternalError({
        code: 'STORE_ERROR',
        message: `The run store database has schema version ${version}; this version of @runtime/orchestration reads up to ${SCHEMA_VERSION}.`,
        details: { userVersion: version, supported: SCHEMA_VERSION },
        isRetryable: false,
      });
    }
    if (version === SCHEMA_VERSION) return;
    if (version < 3) {
      if (version === 0 && hasTable(db, 'runs')) migrateFromVersion1(db);
      else if (version === 0) db.exec(RUNS_V2);
      db.exec(TASKS);
      db.exec(EVENT_BATCHES);
      if (hasTable(db, 'events')) db.exec(EVENTS_TO_BATCHES);
    }
    db.exec(RUN_REQUESTS);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  upgrade.immediate();
}
