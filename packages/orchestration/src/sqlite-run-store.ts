/**
 * A durable {@link @runtime/contracts#RunStore} on SQLite (better-sqlite3, WAL): the embedded default.
 *
 * @remarks
 * Each {@link @runtime/contracts#RunStore.commit} is one SQLite transaction — run fields, task records and events land
 * together or not at all — and it has returned only once the transaction is in the WAL, so a run
 * journaled here survives a crash of the process. `synchronous = NORMAL` (the default) is safe
 * against process crashes; choose `'full'` to also survive power loss, at a cost per commit.
 * Imported from `@runtime/orchestration/sqlite` so that the main entry needs no native module.
 */
import Database from 'better-sqlite3';
import {
  InternalError,
  RuntimeError,
  type RunCommit,
  type RunId,
  type RunListPage,
  type RunListQuery,
  type RunRecord,
  type RunState,
  type RunStore,
  type RuntimeEvent,
  type TaskRecord,
} from '@runtime/contracts';
import { decodeJson, encodeJson } from './internal/json-codec.js';
import {
  checkSequence,
  decodeCursor,
  encodeCursor,
  idempotencyConflict,
  pageSize,
  runNotFound,
} from './internal/store-checks.js';

/**
 * Options of {@link createSqliteRunStore}.
 * @public
 */
export interface SqliteRunStoreOptions {
  /** Database file (created when missing); `':memory:'` for a private in-memory database. */
  readonly path: string;
  /** SQLite `synchronous` level in WAL mode. @defaultValue `'normal'` */
  readonly synchronous?: 'normal' | 'full';
}

interface RunRow {
  readonly position: number;
  readonly record: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  state TEXT NOT NULL,
  idempotency_key TEXT,
  last_seq INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS runs_idempotency ON runs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_tenant ON runs (tenant, position);
CREATE INDEX IF NOT EXISTS runs_state ON runs (state);
CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL,
  id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (run_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
`;

function storeError(error: unknown): RuntimeError {
  if (RuntimeError.isInstance(error)) return error;
  return new InternalError({
    code: 'STORE_ERROR',
    message: `The SQLite run store failed: ${error instanceof Error ? error.message : String(error)}`,
    details: {},
    cause: error,
  });
}

class SqliteRunStore implements RunStore {
  readonly #db: Database.Database;
  readonly #statements;
  readonly #createTransaction;
  readonly #commitTransaction;

  constructor(options: SqliteRunStoreOptions) {
    const db = new Database(options.path);
    this.#db = db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    const statements = {
      insertRun: db.prepare<[string, string, string, string | null, number, string]>(
        'INSERT INTO runs (id, tenant, state, idempotency_key, last_seq, record) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      getRun: db.prepare<[string], RunRow>('SELECT position, record FROM runs WHERE id = ?'),
      updateRun: db.prepare<[string, number, string, string]>(
        'UPDATE runs SET state = ?, last_seq = ?, record = ? WHERE id = ?',
      ),
      byKey: db.prepare<[string, string], RunRow>('SELECT position, record FROM runs WHERE tenant = ? AND idempotency_key = ?'),
      upsertTask: db.prepare<[string, string, number, string]>(
        'INSERT OR REPLACE INTO tasks (run_id, id, idx, record) VALUES (?, ?, ?, ?)',
      ),
      getTasks: db.prepare<[string], { record: string }>('SELECT record FROM tasks WHERE run_id = ? ORDER BY idx'),
      insertEvent: db.prepare<[string, number, string]>('INSERT INTO events (run_id, seq, event) VALUES (?, ?, ?)'),
      readEvents: db.prepare<[string, number, number], { event: string }>(
        'SELECT event FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      list: db.prepare<[string, number, number], RunRow>(
        'SELECT position, record FROM runs WHERE tenant = ? AND position < ? ORDER BY position DESC LIMIT ?',
      ),
      listByState: db.prepare<[string, string, number, number], RunRow>(
        'SELECT position, record FROM runs WHERE tenant = ? AND state = ? AND position < ? ORDER BY position DESC LIMIT ?',
      ),
      byState: db.prepare<[string], RunRow>('SELECT position, record FROM runs WHERE state = ? ORDER BY position'),
    };
    this.#statements = statements;
    const writeTasksAndEvents = (runId: RunId, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[]): void => {
      for (const task of tasks) statements.upsertTask.run(runId, task.id, task.index, encodeJson(task));
      for (const event of events) statements.insertEvent.run(runId, event.seq, JSON.stringify(event));
    };
    this.#createTransaction = db.transaction((run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[]) => {
      if (run.idempotencyKey !== undefined) {
        const existing = statements.byKey.get(run.tenant, run.idempotencyKey);
        if (existing !== undefined) throw idempotencyConflict(run, decodeJson<RunRecord>(existing.record).id);
      }
      if (statements.getRun.get(run.id) !== undefined) throw idempotencyConflict(run, run.id);
      const lastSeq = checkSequence(run.id, run.lastSeq, events);
      const record: RunRecord = { ...run, lastSeq };
      statements.insertRun.run(run.id, run.tenant, run.state, run.idempotencyKey ?? null, lastSeq, encodeJson(record));
      writeTasksAndEvents(run.id, tasks, events);
    });
    this.#commitTransaction = db.transaction((runId: RunId, commit: RunCommit) => {
      const row = statements.getRun.get(runId);
      if (row === undefined) throw runNotFound(runId);
      const current = decodeJson<RunRecord>(row.record);
      const events = commit.events ?? [];
      const lastSeq = checkSequence(runId, current.lastSeq, events);
      if (commit.run !== undefined || events.length > 0) {
        const record: RunRecord = { ...current, ...commit.run, lastSeq };
        statements.updateRun.run(record.state, lastSeq, encodeJson(record), runId);
      }
      writeTasksAndEvents(runId, commit.tasks ?? [], events);
    });
  }

  createRun(run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[] = []): Promise<void> {
    return this.#attempt(() => this.#createTransaction(run, tasks, events));
  }

  commit(runId: RunId, commit: RunCommit): Promise<void> {
    return this.#attempt(() => this.#commitTransaction(runId, commit));
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.#attempt(() => {
      const row = this.#statements.getRun.get(runId);
      return row === undefined ? undefined : decodeJson<RunRecord>(row.record);
    });
  }

  getTasks(runId: RunId): Promise<readonly TaskRecord[]> {
    return this.#attempt(() => this.#statements.getTasks.all(runId).map((row) => decodeJson<TaskRecord>(row.record)));
  }

  listRuns(query: RunListQuery): Promise<RunListPage> {
    return this.#attempt(() => {
      const limit = pageSize(query.limit);
      const before = decodeCursor(query.cursor) ?? Number.MAX_SAFE_INTEGER;
      const rows =
        query.state === undefined
          ? this.#statements.list.all(query.tenant, before, limit + 1)
          : this.#statements.listByState.all(query.tenant, query.state, before, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.position) : null;
      return { items: page.map((row) => decodeJson<RunRecord>(row.record)), nextCursor };
    });
  }

  findByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | undefined> {
    return this.#attempt(() => {
      const row = this.#statements.byKey.get(tenant, key);
      return row === undefined ? undefined : decodeJson<RunRecord>(row.record);
    });
  }

  readEvents(runId: RunId, afterSeq = 0, limit = Number.MAX_SAFE_INTEGER): Promise<readonly RuntimeEvent[]> {
    return this.#attempt(() =>
      this.#statements.readEvents.all(runId, afterSeq, limit).map((row) => JSON.parse(row.event) as RuntimeEvent),
    );
  }

  findRunsByState(state: RunState): Promise<readonly RunRecord[]> {
    return this.#attempt(() => this.#statements.byState.all(state).map((row) => decodeJson<RunRecord>(row.record)));
  }

  close(): Promise<void> {
    return this.#attempt(() => {
      if (this.#db.open) this.#db.close();
    });
  }

  #attempt<Value>(operation: () => Value): Promise<Value> {
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(storeError(error));
    }
  }
}

/**
 * Opens (creating when needed) a SQLite {@link @runtime/contracts#RunStore}.
 * @throws {@link @runtime/contracts#InternalError} `STORE_ERROR` when the database cannot be opened.
 * @example
 * ```ts
 * import { createSqliteRunStore } from '@runtime/orchestration/sqlite';
 * const store = createSqliteRunStore({ path: './runs.db' });
 * ```
 * @public
 */
export function createSqliteRunStore(options: SqliteRunStoreOptions): RunStore {
  try {
    return new SqliteRunStore(options);
  } catch (error) {
    throw storeError(error);
  }
}
