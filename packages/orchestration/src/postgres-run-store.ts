/**
 * A durable {@link @runtime/contracts#RunStore} on PostgreSQL (node-postgres): the store several
 * sidecar replicas share.
 *
 * @remarks
 * Every write is one SQL statement, so one implicit transaction and one round trip. A commit is an
 * `UPDATE` of the run's small row whose WHERE clause is the fence (`lease_owner`, `lease_epoch`), the
 * owner rule and the sequence check, with the task upserts and the event inserts as data-modifying
 * CTEs that write only when that UPDATE matched: a stale owner's commit writes nothing and fails
 * with `LEASE_LOST`. The UPDATE locks the run's row, so two replicas writing one run serialise and
 * the second re-checks the fence against the first's result. A commit costs the same whatever the
 * run's size: the spec is written once, at `createRun`, in its own table; a commit writes the run
 * row, the task rows it is given and one row per event. Migrations are versioned
 * (`schema_migrations`) and applied by {@link createPostgresRunStore} under an advisory lock, so
 * replicas may start together. Connection loss, server shutdown (`57P01`), serialization failures,
 * deadlocks and lock or statement timeouts are retryable `STORE_ERROR`s, as `SQLITE_BUSY` is for
 * the SQLite store; the run loop retries them with backoff. Imported from
 * `@runtime/orchestration/postgres` so that the main entry needs no driver.
 * Not responsible for: deciding who should own a run (the orchestrator does, through leases);
 * live event delivery across replicas (readers page events by seq).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import {
  InternalError,
  RuntimeError,
  ValidationError,
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
import { migrate } from './internal/postgres-schema.js';
import { postgresStatements, type PostgresStatements } from './internal/postgres-statements.js';
import type { RunRequestNotifier } from './orchestrator-options.js';
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
import { fixedFields } from './internal/sqlite-schema.js';
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
 * Options of {@link createPostgresRunStore}: a pool the caller owns, or a connection string for a
 * pool the store creates (and ends on `close`).
 * @public
 */
export type PostgresRunStoreOptions = (
  | {
      /** A node-postgres pool; the store does not end it. Give it an `'error'` listener: idle clients can fail. */
      readonly pool: pg.Pool;
      readonly connectionString?: undefined;
    }
  | {
      /** `postgres://user@host:port/database`; the store opens its own pool and ends it on close. */
      readonly connectionString: string;
      readonly pool?: undefined;
      /** Size of the store's own pool. @defaultValue 10 */
      readonly maxConnections?: number;
    }
) & {
  /**
   * The schema holding the store's tables, created when missing: lowercase letters, digits and
   * `_`, starting with a letter or `_`, at most 63 characters.
   * @defaultValue `'public'`
   */
  readonly schema?: string;
};

interface RunRow {
  readonly position: string;
  readonly id: string;
  readonly tenant: string;
  readonly state: RunState;
  readonly created_at: string;
  readonly updated_at: string;
  readonly error: string | null;
  readonly owner: string | null;
  readonly lease_owner: string | null;
  readonly lease_epoch: string;
  readonly lease_expires_at: number;
  readonly idempotency_key: string | null;
  readonly last_seq: string;
  readonly fixed: string;
}

interface LeaseRow {
  readonly last_seq: string;
  readonly lease_owner: string | null;
  readonly lease_epoch: string;
  readonly lease_expires_at: number;
}

/** SQLSTATEs worth retrying: the connection, the server's availability, a conflict that passes. */
const RETRYABLE_SQLSTATE = /^(08...|40001|40P01|53...|55P03|57014|57P0[1-5]|58000|58030)$/;
/** Node socket errors of a connection that can be made again. */
const RETRYABLE_SOCKET = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** node-postgres reports a dropped connection or an exhausted pool by message only. */
const RETRYABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i;

function storeError(error: unknown): RuntimeError {
  if (RuntimeError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const pgCode = error instanceof pg.DatabaseError && typeof code === 'string' ? code : null;
  const socketCode = typeof code === 'string' && pgCode === null ? code : null;
  const isRetryable =
    (pgCode !== null && RETRYABLE_SQLSTATE.test(pgCode)) || (socketCode !== null && RETRYABLE_SOCKET.has(socketCode)) || RETRYABLE_MESSAGE.test(message);
  return new InternalError({
    code: 'STORE_ERROR',
    message: `The PostgreSQL run store failed: ${message}`,
    details: { pgCode, socketCode },
    cause: error,
    // Anything else (a bug, a constraint, unserialisable input, a bad schema) will fail again.
    isRetryable,
  });
}

/** Decoded specs kept for repeated reads of the same runs (a 100,000-task spec is megabytes of JSON). */
const SPEC_CACHE_SIZE = 16;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function encodeTask(task: TaskRecord): string {
  try {
    return JSON.stringify({ ...task, cost: { $bigint: task.cost.toString() } });
  } catch {
    return encodeJson(task);
  }
}

/** The commit's tasks as parallel arrays, the last record of an id winning (one upsert per row). */
function taskColumns(tasks: readonly TaskRecord[]): [string[], number[], string[]] {
  const byId = new Map<string, TaskRecord>();
  for (const task of tasks) byId.set(task.id, task);
  const ids: string[] = [];
  const indexes: number[] = [];
  const records: string[] = [];
  for (const task of byId.values()) {
    ids.push(task.id);
    indexes.push(task.index);
    records.push(encodeTask(task));
  }
  return [ids, indexes, records];
}

function eventColumns(events: readonly RuntimeEvent[]): [number[], string[]] {
  return [events.map((event) => event.seq), events.map((event) => JSON.stringify(event))];
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
    ...(row.lease_owner === null
      ? {}
      : { lease: { owner: row.lease_owner, epoch: Number(row.lease_epoch), expiresAt: row.lease_expires_at } }),
    ...(row.idempotency_key === null ? {} : { idempotencyKey: row.idempotency_key }),
    lastSeq: Number(row.last_seq),
  };
}

function currentLease(row: LeaseRow): { owner: string | null; epoch: number } {
  return { owner: row.lease_owner, epoch: Number(row.lease_epoch) };
}

/** A unique violation's constraint, when the error is one. */
function uniqueViolation(error: unknown): string | undefined {
  const failure = error as { code?: unknown; constraint?: unknown } | null;
  return failure?.code === '23505' && typeof failure.constraint === 'string' ? failure.constraint : undefined;
}

/** How long a lost LISTEN connection waits before it is opened again (polling covers the gap). */
const RELISTEN_DELAY_MS = 1000;

/**
 * The `LISTEN` side of the request notifications: one dedicated connection (not a pool client: a
 * pooled one would be handed to queries and lose the LISTEN), opened by the first watcher, closed
 * with the last, opened again after a failure while someone watches.
 */
class RequestListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #watchers = new Map<string, Set<() => void>>();
  #client: Promise<pg.Client> | undefined;
  /** Which connection is current: an old one's late error must not drop the new one. */
  #generation = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(config: pg.ClientConfig, channel: string) {
    this.#config = config;
    this.#channel = channel;
  }

  async watch(owner: string, wake: () => void): Promise<() => Promise<void>> {
    let wakes = this.#watchers.get(owner);
    if (wakes === undefined) this.#watchers.set(owner, (wakes = new Set()));
    const entry = (): void => wake();
    wakes.add(entry);
    try {
      await this.#listen();
    } catch (error) {
      wakes.delete(entry);
      throw error;
    }
    return async () => {
      wakes.delete(entry);
      if (wakes.size === 0) this.#watchers.delete(owner);
      if (this.#watchers.size === 0) await this.close();
    };
  }

  async close(): Promise<void> {
    this.#watchers.clear();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await client.then((opened) => opened.end()).catch(() => undefined);
  }

  /** Opens the connection again after a delay while someone watches; a failed attempt is retried the same way. */
  #relistenLater(): void {
    if (this.#watchers.size === 0 || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#watchers.size > 0) this.#listen().catch(() => this.#relistenLater());
    }, RELISTEN_DELAY_MS);
    this.#retry.unref();
  }

  #listen(): Promise<pg.Client> {
    this.#client ??= this.#open();
    return this.#client;
  }

  async #open(): Promise<pg.Client> {
    const client = new pg.Client(this.#config);
    const generation = (this.#generation += 1);
    client.on('notification', (message) => {
      for (const wake of this.#watchers.get(message.payload ?? '') ?? []) wake();
    });
    client.on('error', () => {
      // The connection is gone: drop it and listen again a little later while someone watches.
      if (generation !== this.#generation) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      this.#relistenLater();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
      // Requests posted before LISTEN took effect (or while the connection was down) notified no
      // one: every watcher looks once now.
      for (const wakes of this.#watchers.values()) for (const wake of wakes) wake();
    } catch (error) {
      this.#client = undefined;
      await client.end().catch(() => undefined);
      throw storeError(error);
    }
    return client;
  }
}

class PostgresRunStore implements RunStore, RunRequestNotifier {
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #sql: PostgresStatements;
  readonly #names: Record<keyof PostgresStatements, string>;
  readonly #specs = new Map<string, RunSpec>();
  readonly #channel: string;
  readonly #listener: RequestListener;
  #closed = false;

  constructor(pool: pg.Pool, ownsPool: boolean, schema: string, listenerConfig: pg.ClientConfig) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    // One channel per schema (a hash: the name must fit in 63 bytes whatever the schema's length).
    this.#channel = `runtime_requests_${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;
    this.#listener = new RequestListener(listenerConfig, this.#channel);
    this.#sql = postgresStatements(schema);
    // Named, so each connection parses and plans a statement once. The name is a hash of the text
    // (schema included): stores of several schemas can share a pool, and it stays within the 63
    // bytes PostgreSQL keeps of a name, whatever the schema's length.
    this.#names = Object.fromEntries(
      Object.entries(this.#sql).map(([key, text]) => [key, `runtime_rs_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`]),
    ) as Record<keyof PostgresStatements, string>;
  }

  async #query<Row extends object>(key: keyof PostgresStatements, values: readonly unknown[]): Promise<Row[]> {
    const result = await this.#pool.query<Row>({ name: this.#names[key], text: this.#sql[key], values: values as unknown[] });
    return result.rows;
  }

  async #one<Row extends object>(key: keyof PostgresStatements, values: readonly unknown[]): Promise<Row | undefined> {
    return (await this.#query<Row>(key, values))[0];
  }

  /** Why the conditional UPDATE of a commit changed nothing, as the error the contract names. */
  async #refusal(runId: RunId, commit: RunCommit): Promise<never> {
    const row = await this.#one<LeaseRow>('leaseOf', [runId]);
    if (row === undefined) throw runNotFound(runId);
    const { fence, run } = commit;
    const epoch = Number(row.lease_epoch);
    if (fence !== undefined && (row.lease_owner !== fence.owner || epoch !== fence.epoch)) throw leaseLost(runId, fence, currentLease(row));
    if (run?.owner !== undefined && row.lease_owner !== null && row.lease_owner !== run.owner) {
      throw runOwned(runId, { owner: row.lease_owner, epoch, expiresAt: row.lease_expires_at }, run.owner);
    }
    checkSequence(runId, Number(row.last_seq), commit.events ?? []);
    // The row changed between the UPDATE and this read (another writer): the commit was refused.
    throw new InternalError({
      code: 'STORE_ERROR',
      message: `The commit of run "${runId}" was refused by a concurrent write; read the run again.`,
      details: { runId, pgCode: null, socketCode: null },
      isRetryable: false,
    });
  }

  /** The full record of a row: its spec from the cache or, once, from `run_specs`. */
  async #record(row: RunRow): Promise<RunRecord> {
    let spec = this.#specs.get(row.position);
    if (spec === undefined) {
      const stored = await this.#one<{ spec: string }>('specOf', [row.position]);
      if (stored === undefined) throw new InternalError({ code: 'STORE_ERROR', message: `Run "${row.id}" has no spec row.`, details: { runId: row.id }, isRetryable: false });
      spec = decodeJson<RunSpec>(stored.spec);
      if (this.#specs.size >= SPEC_CACHE_SIZE) this.#specs.delete(this.#specs.keys().next().value as string);
    } else {
      this.#specs.delete(row.position);
    }
    this.#specs.set(row.position, spec);
    return toRecord(row, spec);
  }

  /** The records of several rows: the specs not in the cache are read in one query (a page, a resume scan). */
  async #records(rows: readonly RunRow[]): Promise<RunRecord[]> {
    const missing = [...new Set(rows.map((row) => row.position).filter((position) => !this.#specs.has(position)))];
    const fetched = new Map<string, RunSpec>();
    if (missing.length > 1) {
      for (const stored of await this.#query<{ position: string; spec: string }>('specsOf', [missing])) fetched.set(stored.position, decodeJson<RunSpec>(stored.spec));
    }
    const records: RunRecord[] = [];
    for (const row of rows) {
      const spec = fetched.get(row.position);
      records.push(spec === undefined ? await this.#record(row) : toRecord(row, spec));
    }
    return records;
  }

  createRun(run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[] = []): Promise<void> {
    return this.#attempt(async () => {
      checkLease(run.lease);
      const lastSeq = checkSequence(run.id, run.lastSeq, events);
      const lease = run.lease;
      try {
        await this.#query('create', [
          run.id,
          run.tenant,
          run.state,
          run.createdAt,
          run.updatedAt,
          run.error === undefined ? null : encodeJson(run.error),
          lease?.owner ?? run.owner ?? null,
          lease?.owner ?? null,
          lease?.epoch ?? 0,
          lease?.expiresAt ?? 0,
          run.idempotencyKey ?? null,
          lastSeq,
          fixedFields(run),
          encodeJson(run.spec),
          ...taskColumns(tasks),
          ...eventColumns(events),
        ]);
      } catch (error) {
        const constraint = uniqueViolation(error);
        if (constraint === 'runs_idempotency' && run.idempotencyKey !== undefined) {
          const existing = await this.#one<{ id: string }>('keyOwner', [run.tenant, run.idempotencyKey]);
          throw idempotencyConflict(run, (existing?.id ?? run.id) as RunId);
        }
        if (constraint === 'runs_id_key') throw idempotencyConflict(run, run.id);
        throw error;
      }
    });
  }

  commit(runId: RunId, commit: RunCommit): Promise<void> {
    return this.#attempt(async () => {
      const events = commit.events ?? [];
      const first = events[0];
      // Continuity within the commit here; continuity with the stored sequence in the UPDATE.
      const lastSeq = first === undefined ? null : checkSequence(runId, first.seq - 1, events);
      const previousSeq = first === undefined ? null : first.seq - 1;
      const run = commit.run;
      const applied = await this.#one('commit', [
        runId,
        run?.state ?? null,
        run?.updatedAt ?? null,
        run !== undefined && 'error' in run,
        run?.error === undefined ? null : encodeJson(run.error),
        run?.owner ?? null,
        lastSeq,
        endsRun(run?.state),
        commit.fence?.owner ?? null,
        commit.fence?.epoch ?? null,
        previousSeq,
        ...taskColumns(commit.tasks ?? []),
        ...eventColumns(events),
      ]);
      if (applied === undefined) await this.#refusal(runId, commit);
    });
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.#attempt(async () => {
      const row = await this.#one<RunRow>('byId', [runId]);
      return row === undefined ? undefined : this.#record(row);
    });
  }

  getTasks(runId: RunId): Promise<readonly TaskRecord[]> {
    return this.#attempt(async () => (await this.#query<{ record: string }>('getTasks', [runId])).map((row) => decodeJson<TaskRecord>(row.record)));
  }

  listRuns(query: RunListQuery): Promise<RunListPage> {
    return this.#attempt(async () => {
      const limit = pageSize(query.limit);
      const before = decodeCursor(query.cursor) ?? Number.MAX_SAFE_INTEGER;
      const rows =
        query.state === undefined
          ? await this.#query<RunRow>('list', [query.tenant, before, limit + 1])
          : await this.#query<RunRow>('listByState', [query.tenant, query.state, before, limit + 1]);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(Number(last.position)) : null;
      return { items: await this.#records(page), nextCursor };
    });
  }

  findByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | undefined> {
    return this.#attempt(async () => {
      const row = await this.#one<RunRow>('byKey', [tenant, key]);
      return row === undefined ? undefined : this.#record(row);
    });
  }

  readEvents(runId: RunId, afterSeq = 0, limit = Number.MAX_SAFE_INTEGER): Promise<readonly RuntimeEvent[]> {
    return this.#attempt(async () => {
      if (!(limit >= 1)) return [];
      const after = Number.isFinite(afterSeq) ? Math.floor(afterSeq) : afterSeq > 0 ? Number.MAX_SAFE_INTEGER : -1;
      const rows = await this.#query<{ event: string }>('readEvents', [runId, after, Math.min(Math.ceil(limit), Number.MAX_SAFE_INTEGER)]);
      return rows.map((row) => JSON.parse(row.event) as RuntimeEvent);
    });
  }

  findRunsByState(state: RunState): Promise<readonly RunRecord[]> {
    return this.#attempt(async () => this.#records(await this.#query<RunRow>('byState', [state])));
  }

  acquireLease(runId: RunId, owner: string, ttlMs: number, now: number): Promise<RunLease | undefined> {
    return this.#attempt(async () => {
      checkLeaseRequest(owner, ttlMs, now);
      const expiresAt = now + ttlMs;
      const taken = await this.#one<{ epoch: string }>('acquire', [runId, owner, now, expiresAt]);
      if (taken !== undefined) return { owner, epoch: Number(taken.epoch), expiresAt };
      if ((await this.#one('exists', [runId])) === undefined) throw runNotFound(runId);
      return undefined;
    });
  }

  renewLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>, ttlMs: number, now: number): Promise<RunLease> {
    return this.#attempt(async () => {
      checkLeaseRequest(lease.owner, ttlMs, now);
      const expiresAt = now + ttlMs;
      if ((await this.#one('renew', [expiresAt, runId, lease.owner, lease.epoch])) !== undefined) return { owner: lease.owner, epoch: lease.epoch, expiresAt };
      const row = await this.#one<LeaseRow>('leaseOf', [runId]);
      if (row === undefined) throw runNotFound(runId);
      throw leaseLost(runId, lease, currentLease(row));
    });
  }

  releaseLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>): Promise<void> {
    return this.#attempt(async () => {
      await this.#query('release', [runId, lease.owner, lease.epoch]);
    });
  }

  findResumableRuns(now: number, limit?: number): Promise<readonly RunRecord[]> {
    return this.#attempt(async () => this.#records(await this.#query<RunRow>('resumable', [now, resumableLimit(limit)])));
  }

  postRequest(request: RunRequest): Promise<void> {
    return this.#attempt(async () => {
      checkRequest(request);
      let inserted: object | undefined;
      try {
        inserted = await this.#one('postRequest', [request.runId, request.id, encodeBody(request.body), request.postedAt, request.postedAt - REQUEST_RETENTION_MS, this.#channel]);
      } catch (error) {
        if (uniqueViolation(error) === 'run_requests_run_id_id_key') throw duplicateRequest(request.runId, request.id);
        throw error;
      }
      if (inserted === undefined) throw runNotFound(request.runId);
    });
  }

  claimRequests(owner: string, limit?: number): Promise<readonly RunRequest[]> {
    return this.#attempt(async () => {
      const rows = await this.#query<RequestRow & { seq: string }>('claimRequests', [owner, claimLimit(limit)]);
      // RETURNING gives no order: oldest first, as posted.
      return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(requestOf);
    });
  }

  answerRequest(runId: RunId, requestId: string, outcome: Exclude<RunRequestOutcome, { readonly status: 'withdrawn' }>): Promise<boolean> {
    return this.#attempt(async () => (await this.#one('answerRequest', [runId, requestId, encodeOutcome(outcome)])) !== undefined);
  }

  withdrawRequest(runId: RunId, requestId: string): Promise<boolean> {
    return this.#attempt(async () => (await this.#one('withdrawRequest', [runId, requestId, encodeOutcome(WITHDRAWN)])) !== undefined);
  }

  getRequest(runId: RunId, requestId: string): Promise<RunRequestState | undefined> {
    return this.#attempt(async () => {
      const row = await this.#one<RequestRow>('getRequest', [runId, requestId]);
      return row === undefined ? undefined : requestStateOf(row);
    });
  }

  checkWrite(): Promise<void> {
    return this.#attempt(async () => {
      await this.#query('probe', [Date.now()]);
    });
  }

  /** Wakes `wake` when a request is posted for a run `owner` leases: `LISTEN` on a dedicated connection. */
  async watchRequests(owner: string, wake: () => void): Promise<() => Promise<void>> {
    if (this.#closed) throw storeClosed('PostgreSQL');
    return this.#listener.watch(owner, wake);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#listener.close();
    if (this.#ownsPool) await this.#pool.end().catch((error: unknown) => Promise.reject(storeError(error)));
  }

  async #attempt<Value>(operation: () => Promise<Value>): Promise<Value> {
    if (this.#closed) throw storeClosed('PostgreSQL');
    try {
      return await operation();
    } catch (error) {
      throw storeError(error);
    }
  }
}

function checkOptions(options: PostgresRunStoreOptions): string {
  const schema = options.schema ?? 'public';
  const sources = (options.pool === undefined ? 0 : 1) + (options.connectionString === undefined ? 0 : 1);
  if (sources !== 1 || typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message:
        sources !== 1
          ? 'createPostgresRunStore needs exactly one of `pool` and `connectionString`.'
          : `Schema name "${String(schema)}" is not allowed: use lowercase letters, digits and _, starting with a letter or _, at most 63 characters.`,
      details: { schema: String(schema), pool: options.pool !== undefined, connectionString: options.connectionString !== undefined },
    });
  }
  return schema;
}

/**
 * Opens a PostgreSQL {@link @runtime/contracts#RunStore}: creates the schema when missing and applies
 * the pending migrations (under an advisory lock, so several replicas may start at once).
 * @throws {@link @runtime/contracts#ValidationError} `VALIDATION_FAILED` for options that cannot work;
 * {@link @runtime/contracts#InternalError} `STORE_ERROR` when the database cannot be reached
 * (retryable) or holds a schema of a newer version (not retryable).
 * @example
 * ```ts
 * import { createPostgresRunStore } from '@runtime/orchestration/postgres';
 * const store = await createPostgresRunStore({ connectionString: process.env.DATABASE_URL ?? '', schema: 'runtime' });
 * ```
 * @public
 */
export async function createPostgresRunStore(options: PostgresRunStoreOptions): Promise<RunStore & RunRequestNotifier> {
  const schema = checkOptions(options);
  const ownsPool = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  // An idle client of the store's own pool that loses its connection (server restart, 57P01) must
  // not crash the process: the pool drops it and the next query connects again.
  if (ownsPool) pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => undefined);
    throw storeError(error);
  }
  const listenerConfig: pg.ClientConfig = options.connectionString === undefined ? pool.options : { connectionString: options.connectionString };
  return new PostgresRunStore(pool, ownsPool, schema, listenerConfig);
}
