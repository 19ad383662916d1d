/**
 * A durable {@link @runtime/contracts#RunStore} on SQLite (better-sqlite3, WAL): the embedded default.
 *
 * @remarks
 * Each write — {@link @runtime/contracts#RunStore.commit}, `createRun` and the lease operations — is
 * one `BEGIN IMMEDIATE` transaction: it takes the write lock before reading anything, so a writer
 * that finds the database locked waits up to `busyTimeoutMs` instead of failing at once. A commit
 * has returned only once its transaction is in the WAL, so a run journaled here survives a crash of
 * the process. A commit costs the same whatever the run's size: the spec is written once, at
 * `createRun`, in its own table; a commit updates a few columns of the small run row (one
 * conditional `UPDATE … WHERE id = ? AND lease_owner = ? AND lease_epoch = ?`, which is also the
 * fence), upserts the task rows it is given and appends its events. `synchronous = NORMAL` (the
 * default) is safe against process crashes; choose `'full'` to also survive power loss, at a cost per
 * commit. Imported from `@runtime/orchestration/sqlite` so that the main entry needs no native module.
 * Not responsible for: deciding who should own a run (the orchestrator does, through leases).
 */
import Database from 'better-sqlite3';
import {
  InternalError,
  RuntimeError,
  type RunCommit,
  type RunId,
  type RunLease,
  type RunListPage,
  type RunListQuery,
  type RunRecord,
  type RunRequest,
  type RunRequestOutcome,
  type RunRequestState,
  type RunSpec,
  type RunState,
  type RunStore,
  type RuntimeEvent,
  type TaskRecord,
} from '@runtime/contracts';
import { decodeJson, encodeJson } from './internal/json-codec.js';
import {
  checkRequest,
  claimLimit,
  duplicateRequest,
  encodeBody,
  encodeOutcome,
  REQUEST_RETENTION_MS,
  requestOf,
  requestStateOf,
  WITHDRAWN,
  type RequestRow,
} from './internal/run-request-checks.js';
import { CLAIM_REQUESTS, prepareSchema, RESUMABLE_RUNS, runInserter, SELECT_RUN } from './internal/sqlite-schema.js';
import {
  checkLease,
  checkLeaseRequest,
  checkSequence,
  decodeCursor,
  encodeCursor,
  endsRun,
  idempotencyConflict,
  leaseLost,
  pageSize,
  resumableLimit,
  runNotFound,
  runOwned,
  storeClosed,
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
  /**
   * How long a write waits for another connection's write lock before failing with a retryable
   * `STORE_ERROR` (SQLite `busy_timeout`).
   * @defaultValue 5000
   */
  readonly busyTimeoutMs?: number;
}

interface RunRow {
  readonly position: number;
  readonly id: string;
  readonly tenant: string;
  readonly state: RunState;
  readonly created_at: string;
  readonly updated_at: string;
  readonly error: string | null;
  readonly owner: string | null;
  readonly lease_owner: string | null;
  readonly lease_epoch: number;
  readonly lease_expires_at: number;
  readonly idempotency_key: string | null;
  readonly last_seq: number;
  readonly fixed: string;
}

interface LeaseRow {
  readonly last_seq: number;
  readonly lease_owner: string | null;
  readonly lease_epoch: number;
  readonly lease_expires_at: number;
}

interface CommitParameters {
  readonly id: string;
  readonly state: string | null;
  readonly updatedAt: string | null;
  readonly setError: 0 | 1;
  readonly error: string | null;
  readonly owner: string | null;
  readonly lastSeq: number | null;
  readonly previousSeq: number | null;
  readonly ends: 0 | 1;
  readonly fenceOwner: string | null;
  readonly fenceEpoch: number | null;
}

/** SQLite result codes worth retrying: a lock, a full disk, an I/O error or a file that cannot be opened yet can pass. */
const RETRYABLE_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|PROTOCOL|INTERRUPT|NOMEM|CANTOPEN|SCHEMA)/;

function storeError(error: unknown): RuntimeError {
  if (RuntimeError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const sqliteCode = typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
  return new InternalError({
    code: 'STORE_ERROR',
    message: `The SQLite run store failed: ${error instanceof Error ? error.message : String(error)}`,
    details: { sqliteCode },
    cause: error,
    // Anything that is not SQLite's own transient failure (a bug, unserialisable input) will fail again.
    isRetryable: sqliteCode !== null && RETRYABLE_SQLITE.test(sqliteCode),
  });
}

/** Decoded specs kept for repeated reads of the same runs (a 100,000-task spec is megabytes of JSON). */
const SPEC_CACHE_SIZE = 16;

/**
 * A task record as JSON, as {@link encodeJson} writes it but without a replacer call per key (three
 * task writes per task make this the store's hottest encoding): `cost` is the record's one bigint;
 * should another one appear, JSON.stringify throws and the generic codec takes over.
 */
function encodeTask(task: TaskRecord): string {
  try {
    return JSON.stringify({ ...task, cost: { $bigint: task.cost.toString() } });
  } catch {
    return encodeJson(task);
  }
}

function toRecord(row: RunRow, spec: RunSpec): RunRecord {
  const fixed = decodeJson<Partial<RunRecord>>(row.fixed);
  return {
    id: row.id as RunId,
    tenant: row.tenant,
    spec,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...fixed,
    ...(row.error === null ? {} : { error: decodeJson<NonNullable<RunRecord['error']>>(row.error) }),
    ...(row.owner === null ? {} : { owner: row.owner }),
    ...(row.lease_owner === null ? {} : { lease: { owner: row.lease_owner, epoch: row.lease_epoch, expiresAt: row.lease_expires_at } }),
    ...(row.idempotency_key === null ? {} : { idempotencyKey: row.idempotency_key }),
    lastSeq: row.last_seq,
  };
}

function currentLease(row: LeaseRow): { owner: string | null; epoch: number } {
  return { owner: row.lease_owner, epoch: row.lease_epoch };
}

function prepare(db: Database.Database) {
  return {
    byId: db.prepare<[string], RunRow>(`${SELECT_RUN} WHERE r.id = ?`),
    specOf: db.prepare<[number], { spec: string }>('SELECT spec FROM run_specs WHERE position = ?'),
    exists: db.prepare<[string], { position: number }>('SELECT position FROM runs WHERE id = ?'),
    byKey: db.prepare<[string, string], RunRow>(`${SELECT_RUN} WHERE r.tenant = ? AND r.idempotency_key = ?`),
    keyOwner: db.prepare<[string, string], { id: string }>('SELECT id FROM runs WHERE tenant = ? AND idempotency_key = ?'),
    leaseOf: db.prepare<[string], LeaseRow>('SELECT last_seq, lease_owner, lease_epoch, lease_expires_at FROM runs WHERE id = ?'),
    // The fence, the owner rule and the sequence check are all in the WHERE clause: 0 rows changed
    // means refused (diagnosed afterwards), which maps one to one onto PostgreSQL.
    commitRun: db.prepare<[CommitParameters]>(
      `UPDATE runs SET
         state = coalesce(@state, state),
         updated_at = coalesce(@updatedAt, updated_at),
         error = CASE WHEN @setError THEN @error ELSE error END,
         owner = coalesce(@owner, owner),
         last_seq = coalesce(@lastSeq, last_seq),
         lease_owner = CASE WHEN @ends THEN NULL ELSE lease_owner END,
         lease_expires_at = CASE WHEN @ends THEN 0 ELSE lease_expires_at END
       WHERE id = @id
         AND (@fenceOwner IS NULL OR (lease_owner = @fenceOwner AND lease_epoch = @fenceEpoch))
         AND (@owner IS NULL OR lease_owner IS NULL OR lease_owner = @owner)
         AND (@previousSeq IS NULL OR last_seq = @previousSeq)`,
    ),
    // The common commit (task transitions and events, no run field): touches no indexed column, so
    // it rewrites the run's row and nothing else of the runs table.
    advanceRun: db.prepare<[Pick<CommitParameters, 'id' | 'lastSeq' | 'previousSeq' | 'fenceOwner' | 'fenceEpoch'>]>(
      `UPDATE runs SET last_seq = coalesce(@lastSeq, last_seq)
       WHERE id = @id
         AND (@fenceOwner IS NULL OR (lease_owner = @fenceOwner AND lease_epoch = @fenceEpoch))
         AND (@previousSeq IS NULL OR last_seq = @previousSeq)`,
    ),
    acquire: db.prepare<[{ id: string; owner: string; now: number; expiresAt: number }], { epoch: number }>(
      `UPDATE runs SET
         lease_epoch = CASE WHEN lease_owner = @owner THEN lease_epoch ELSE lease_epoch + 1 END,
         lease_owner = @owner, owner = @owner, lease_expires_at = @expiresAt
       WHERE id = @id AND (lease_owner IS NULL OR lease_owner = @owner OR lease_expires_at <= @now)
       RETURNING lease_epoch AS epoch`,
    ),
    renew: db.prepare<[number, string, string, number]>('UPDATE runs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND lease_epoch = ?'),
    release: db.prepare<[string, string, number]>(
      'UPDATE runs SET lease_owner = NULL, lease_expires_at = 0 WHERE id = ? AND lease_owner = ? AND lease_epoch = ?',
    ),
    upsertTask: db.prepare<[string, string, number, string]>(
      'INSERT INTO tasks (run_id, id, idx, record) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, id) DO UPDATE SET idx = excluded.idx, record = excluded.record',
    ),
    getTasks: db.prepare<[string], { record: string }>('SELECT record FROM tasks WHERE run_id = ? ORDER BY idx'),
    insertEvents: db.prepare<[string, number, number, string]>('INSERT INTO event_batches (run_id, last_seq, first_seq, events) VALUES (?, ?, ?, ?)'),
    readEvents: db.prepare<[string, number], { events: string }>('SELECT events FROM event_batches WHERE run_id = ? AND last_seq > ? ORDER BY last_seq'),
    list: db.prepare<[string, number, number], RunRow>(`${SELECT_RUN} WHERE r.tenant = ? AND r.position < ? ORDER BY r.position DESC LIMIT ?`),
    listByState: db.prepare<[string, string, number, number], RunRow>(
      `${SELECT_RUN} WHERE r.tenant = ? AND r.state = ? AND r.position < ? ORDER BY r.position DESC LIMIT ?`,
    ),
    byState: db.prepare<[string], RunRow>(`${SELECT_RUN} WHERE r.state = ? ORDER BY r.position`),
    resumable: db.prepare<[number, number], RunRow>(RESUMABLE_RUNS),
    dropRequests: db.prepare<[number]>('DELETE FROM run_requests WHERE posted_at < ?'),
    requestExists: db.prepare<[string, string], { seq: number }>('SELECT seq FROM run_requests WHERE run_id = ? AND id = ?'),
    postRequest: db.prepare<[string, string, string, number]>('INSERT INTO run_requests (run_id, id, body, posted_at) VALUES (?, ?, ?, ?)'),
    claimRequests: db.prepare<[{ owner: string; limit: number }], RequestRow & { seq: number }>(
      CLAIM_REQUESTS,
    ),
    answerRequest: db.prepare<[string, string, string]>('UPDATE run_requests SET outcome = ? WHERE run_id = ? AND id = ? AND outcome IS NULL'),
    withdrawRequest: db.prepare<[string, string, string]>(
      'UPDATE run_requests SET outcome = ? WHERE run_id = ? AND id = ? AND claimed_by IS NULL AND outcome IS NULL',
    ),
    getRequest: db.prepare<[string, string], RequestRow>('SELECT run_id, id, body, posted_at, claimed_by, outcome FROM run_requests WHERE run_id = ? AND id = ?'),
  };
}

/** The health probe's row: one row, rewritten by every `checkWrite`, no run data. */
const PROBE_TABLE = 'CREATE TABLE IF NOT EXISTS store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), written_at INTEGER NOT NULL)';
const PROBE_WRITE = 'INSERT INTO store_probe (id, written_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at';

class SqliteRunStore implements RunStore {
  readonly #db: Database.Database;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #create: Database.Transaction<(run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[]) => void>;
  readonly #commit: Database.Transaction<(runId: RunId, commit: RunCommit) => void>;
  readonly #acquire: Database.Transaction<(runId: RunId, owner: string, ttlMs: number, now: number) => RunLease | undefined>;
  readonly #renew: Database.Transaction<(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>, ttlMs: number, now: number) => RunLease>;
  readonly #release: Database.Transaction<(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>) => void>;
  readonly #probe: Database.Transaction<(now: number) => void>;
  readonly #post: Database.Transaction<(request: RunRequest) => void>;
  #writeProbe: Database.Statement<[number]> | undefined;
  readonly #specs = new Map<number, RunSpec>();
  #closed = false;

  constructor(options: SqliteRunStoreOptions) {
    const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
    this.#db = db;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      prepareSchema(db);
    } catch (error) {
      db.close();
      throw error;
    }
    const statements = prepare(db);
    this.#statements = statements;
    const insertRun = runInserter(db);
    const writeTasksAndEvents = (runId: RunId, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[]): void => {
      for (const task of tasks) statements.upsertTask.run(runId, task.id, task.index, encodeTask(task));
      const first = events[0];
      const last = events[events.length - 1];
      // One row for the commit's events, whatever their number.
      if (first !== undefined && last !== undefined) statements.insertEvents.run(runId, last.seq, first.seq, JSON.stringify(events));
    };
    this.#create = db.transaction((run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[]) => {
      if (run.idempotencyKey !== undefined) {
        const existing = statements.keyOwner.get(run.tenant, run.idempotencyKey);
        if (existing !== undefined) throw idempotencyConflict(run, existing.id as RunId);
      }
      if (statements.exists.get(run.id) !== undefined) throw idempotencyConflict(run, run.id);
      checkLease(run.lease);
      const lastSeq = checkSequence(run.id, run.lastSeq, events);
      insertRun({ position: null, record: run, lastSeq });
      writeTasksAndEvents(run.id, tasks, events);
    });
    this.#commit = db.transaction((runId: RunId, commit: RunCommit) => {
      const events = commit.events ?? [];
      const first = events[0];
      // Continuity within the commit here; continuity with the stored sequence in the UPDATE.
      const lastSeq = first === undefined ? null : checkSequence(runId, first.seq - 1, events);
      const previousSeq = first === undefined ? null : first.seq - 1;
      const fence = { fenceOwner: commit.fence?.owner ?? null, fenceEpoch: commit.fence?.epoch ?? null };
      const run = commit.run;
      const changed =
        run === undefined
          ? statements.advanceRun.run({ id: runId, lastSeq, previousSeq, ...fence }).changes
          : statements.commitRun.run({
              id: runId,
              state: run.state ?? null,
              updatedAt: run.updatedAt ?? null,
              setError: 'error' in run ? 1 : 0,
              error: run.error === undefined ? null : encodeJson(run.error),
              owner: run.owner ?? null,
              lastSeq,
              previousSeq,
              ends: endsRun(run.state) ? 1 : 0,
              ...fence,
            }).changes;
      if (changed === 0) this.#refusal(runId, commit);
      writeTasksAndEvents(runId, commit.tasks ?? [], events);
    });
    this.#acquire = db.transaction((runId: RunId, owner: string, ttlMs: number, now: number) => {
      checkLeaseRequest(owner, ttlMs, now);
      const expiresAt = now + ttlMs;
      const taken = statements.acquire.get({ id: runId, owner, now, expiresAt });
      if (taken !== undefined) return { owner, epoch: taken.epoch, expiresAt };
      if (statements.exists.get(runId) === undefined) throw runNotFound(runId);
      return undefined;
    });
    this.#renew = db.transaction((runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>, ttlMs: number, now: number) => {
      checkLeaseRequest(lease.owner, ttlMs, now);
      const expiresAt = now + ttlMs;
      if (statements.renew.run(expiresAt, runId, lease.owner, lease.epoch).changes === 1) return { owner: lease.owner, epoch: lease.epoch, expiresAt };
      const row = statements.leaseOf.get(runId);
      if (row === undefined) throw runNotFound(runId);
      throw leaseLost(runId, lease, currentLease(row));
    });
    this.#release = db.transaction((runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>) => {
      statements.release.run(runId, lease.owner, lease.epoch);
    });
    this.#post = db.transaction((request: RunRequest) => {
      checkRequest(request);
      if (statements.exists.get(request.runId) === undefined) throw runNotFound(request.runId);
      statements.dropRequests.run(request.postedAt - REQUEST_RETENTION_MS);
      if (statements.requestExists.get(request.runId, request.id) !== undefined) throw duplicateRequest(request.runId, request.id);
      statements.postRequest.run(request.runId, request.id, encodeBody(request.body), request.postedAt);
    });
    this.#probe = db.transaction((now: number) => {
      // Created by the first probe, so a database of any version 3 gets it without a migration.
      if (this.#writeProbe === undefined) {
        db.exec(PROBE_TABLE);
        this.#writeProbe = db.prepare<[number]>(PROBE_WRITE);
      }
      this.#writeProbe.run(now);
    });
  }

  /** Why the conditional UPDATE of a commit changed nothing, as the error the contract names. */
  #refusal(runId: RunId, commit: RunCommit): never {
    const row = this.#statements.leaseOf.get(runId);
    if (row === undefined) throw runNotFound(runId);
    const { fence, run } = commit;
    if (fence !== undefined && (row.lease_owner !== fence.owner || row.lease_epoch !== fence.epoch)) throw leaseLost(runId, fence, currentLease(row));
    if (run?.owner !== undefined && row.lease_owner !== null && row.lease_owner !== run.owner) {
      throw runOwned(runId, { owner: row.lease_owner, epoch: row.lease_epoch, expiresAt: row.lease_expires_at }, run.owner);
    }
    checkSequence(runId, row.last_seq, commit.events ?? []);
    throw new InternalError({ code: 'INTERNAL', message: `The commit of run "${runId}" changed no row for no known reason.`, details: { runId } });
  }

  /** The full record of a row: its spec from the cache or, once, from `run_specs`. */
  #record(row: RunRow): RunRecord {
    let spec = this.#specs.get(row.position);
    if (spec === undefined) {
      const stored = this.#statements.specOf.get(row.position);
      if (stored === undefined) throw new InternalError({ code: 'STORE_ERROR', message: `Run "${row.id}" has no spec row.`, details: { runId: row.id }, isRetryable: false });
      spec = decodeJson<RunSpec>(stored.spec);
      if (this.#specs.size >= SPEC_CACHE_SIZE) this.#specs.delete(this.#specs.keys().next().value as number);
    } else {
      this.#specs.delete(row.position);
    }
    this.#specs.set(row.position, spec);
    return toRecord(row, spec);
  }

  createRun(run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[] = []): Promise<void> {
    return this.#attempt(() => this.#create.immediate(run, tasks, events));
  }

  commit(runId: RunId, commit: RunCommit): Promise<void> {
    return this.#attempt(() => this.#commit.immediate(runId, commit));
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.#attempt(() => {
      const row = this.#statements.byId.get(runId);
      return row === undefined ? undefined : this.#record(row);
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
      return { items: page.map((row) => this.#record(row)), nextCursor };
    });
  }

  findByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | undefined> {
    return this.#attempt(() => {
      const row = this.#statements.byKey.get(tenant, key);
      return row === undefined ? undefined : this.#record(row);
    });
  }

  readEvents(runId: RunId, afterSeq = 0, limit = Number.MAX_SAFE_INTEGER): Promise<readonly RuntimeEvent[]> {
    return this.#attempt(() => {
      const events: RuntimeEvent[] = [];
      if (!(limit >= 1)) return events;
      for (const row of this.#statements.readEvents.iterate(runId, afterSeq)) {
        for (const event of JSON.parse(row.events) as RuntimeEvent[]) {
          if (event.seq <= afterSeq) continue;
          events.push(event);
          // Leaving the loop early resets the statement (the iterator's return()).
          if (events.length >= limit) return events;
        }
      }
      return events;
    });
  }

  findRunsByState(state: RunState): Promise<readonly RunRecord[]> {
    return this.#attempt(() => this.#statements.byState.all(state).map((row) => this.#record(row)));
  }

  acquireLease(runId: RunId, owner: string, ttlMs: number, now: number): Promise<RunLease | undefined> {
    return this.#attempt(() => this.#acquire.immediate(runId, owner, ttlMs, now));
  }

  renewLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>, ttlMs: number, now: number): Promise<RunLease> {
    return this.#attempt(() => this.#renew.immediate(runId, lease, ttlMs, now));
  }

  releaseLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>): Promise<void> {
    return this.#attempt(() => this.#release.immediate(runId, lease));
  }

  findResumableRuns(now: number, limit?: number): Promise<readonly RunRecord[]> {
    return this.#attempt(() => this.#statements.resumable.all(now, resumableLimit(limit)).map((row) => this.#record(row)));
  }

  postRequest(request: RunRequest): Promise<void> {
    return this.#attempt(() => this.#post.immediate(request));
  }

  claimRequests(owner: string, limit?: number): Promise<readonly RunRequest[]> {
    return this.#attempt(() => {
      const rows = this.#statements.claimRequests.all({ owner, limit: claimLimit(limit) });
      // RETURNING gives no order: oldest first, as posted.
      return rows.sort((a, b) => a.seq - b.seq).map(requestOf);
    });
  }

  answerRequest(runId: RunId, requestId: string, outcome: Exclude<RunRequestOutcome, { readonly status: 'withdrawn' }>): Promise<boolean> {
    return this.#attempt(() => this.#statements.answerRequest.run(encodeOutcome(outcome), runId, requestId).changes === 1);
  }

  withdrawRequest(runId: RunId, requestId: string): Promise<boolean> {
    return this.#attempt(() => this.#statements.withdrawRequest.run(encodeOutcome(WITHDRAWN), runId, requestId).changes === 1);
  }

  getRequest(runId: RunId, requestId: string): Promise<RunRequestState | undefined> {
    return this.#attempt(() => {
      const row = this.#statements.getRequest.get(runId, requestId);
      return row === undefined ? undefined : requestStateOf(row);
    });
  }

  checkWrite(): Promise<void> {
    return this.#attempt(() => this.#probe.immediate(Date.now()));
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#attempt(() => {
      if (this.#db.open) this.#db.close();
    }, true);
  }

  #attempt<Value>(operation: () => Value, closing = false): Promise<Value> {
    if (this.#closed && !closing) return Promise.reject(storeClosed('SQLite'));
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(storeError(error));
    }
  }
}

/**
 * Opens (creating or migrating when needed) a SQLite {@link @runtime/contracts#RunStore}.
 * @throws {@link @runtime/contracts#InternalError} `STORE_ERROR` when the database cannot be opened,
 * or was written by a newer schema version (not retryable).
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
