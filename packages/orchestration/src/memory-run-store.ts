/**
 * A {@link @runtime/contracts#RunStore} in process memory: for tests, demos and runs that need not survive a crash.
 *
 * @remarks
 * Commits are atomic (validated first — fence, owner, sequence — then applied synchronously) and
 * records are never mutated in place, so readers always see a consistent snapshot. A commit costs
 * the same whatever the run's size: it touches the changed tasks, appends the events and replaces
 * the small run record only when a run field changed. Leases follow the same rules as the SQLite
 * store (see the package README). Use the SQLite store (`@runtime/orchestration/sqlite`) when runs
 * must survive the process.
 */
import {
  TERMINAL_RUN_STATES,
  type RunCommit,
  type RunId,
  type RunLease,
  type RunListPage,
  type RunListQuery,
  type RunRecord,
  type RunRequest,
  type RunRequestOutcome,
  type RunRequestState,
  type RunState,
  type RunStore,
  type RuntimeEvent,
  type TaskId,
  type TaskRecord,
} from '@runtime/contracts';
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
import { checkRequest, claimLimit, duplicateRequest, REQUEST_RETENTION_MS, WITHDRAWN } from './internal/run-request-checks.js';
import { attempt } from './internal/to-error.js';

interface StoredRequest {
  readonly request: RunRequest;
  claimedBy?: string;
  outcome?: RunRequestOutcome;
}

function requestState(stored: StoredRequest): RunRequestState {
  return {
    request: structuredClone(stored.request),
    ...(stored.claimedBy === undefined ? {} : { claimedBy: stored.claimedBy }),
    ...(stored.outcome === undefined ? {} : { outcome: structuredClone(stored.outcome) }),
  };
}

function requestKey(runId: RunId, requestId: string): string {
  return `${runId}\u0000${requestId}`;
}

interface StoredRun {
  /** The record as of its last run-field or lease change; `lastSeq` is kept apart (it changes on every commit). */
  record: RunRecord;
  lastSeq: number;
  /** The last epoch handed out; survives a released or ended lease so epochs never repeat. */
  epoch: number;
  readonly position: number;
  readonly tasks: Map<TaskId, TaskRecord>;
  readonly events: RuntimeEvent[];
}

function current(stored: StoredRun): RunRecord {
  return stored.record.lastSeq === stored.lastSeq ? stored.record : (stored.record = { ...stored.record, lastSeq: stored.lastSeq });
}

function withLease(record: RunRecord, lease: RunLease | undefined): RunRecord {
  if (lease !== undefined) return { ...record, lease, owner: lease.owner };
  const { lease: _dropped, ...rest } = record;
  return rest;
}

function holds(stored: StoredRun, fence: Pick<RunLease, 'owner' | 'epoch'>): boolean {
  const lease = stored.record.lease;
  return lease !== undefined && lease.owner === fence.owner && lease.epoch === fence.epoch;
}

class MemoryRunStore implements RunStore {
  readonly #runs = new Map<RunId, StoredRun>();
  readonly #byPosition: StoredRun[] = [];
  readonly #idempotency = new Map<string, RunId>();
  /** Runs not in a terminal state: what findResumableRuns scans. */
  readonly #unfinished = new Set<StoredRun>();
  /** Every kept request, in posting order (retention drops from the front). */
  readonly #requests = new Map<string, StoredRequest>();
  /** Unclaimed and unanswered requests, in posting order: what claimRequests scans. */
  readonly #pendingRequests = new Set<StoredRequest>();
  #closed = false;

  createRun(run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[] = []): Promise<void> {
    return this.#open(() => {
      const keyName = run.idempotencyKey === undefined ? undefined : `${run.tenant}\u0000${run.idempotencyKey}`;
      if (keyName !== undefined) {
        const existing = this.#idempotency.get(keyName);
        if (existing !== undefined) throw idempotencyConflict(run, existing);
      }
      if (this.#runs.has(run.id)) throw idempotencyConflict(run, run.id);
      checkLease(run.lease);
      const lastSeq = checkSequence(run.id, run.lastSeq, events);
      const stored: StoredRun = {
        record: { ...withLease(run, run.lease), lastSeq },
        lastSeq,
        epoch: run.lease?.epoch ?? 0,
        position: this.#byPosition.length,
        tasks: new Map(tasks.map((task) => [task.id, task])),
        events: [...events],
      };
      this.#runs.set(run.id, stored);
      this.#byPosition.push(stored);
      this.#track(stored);
      if (keyName !== undefined) this.#idempotency.set(keyName, run.id);
    });
  }

  commit(runId: RunId, commit: RunCommit): Promise<void> {
    return this.#open(() => {
      const stored = this.#runs.get(runId);
      if (stored === undefined) throw runNotFound(runId);
      const { fence, run } = commit;
      if (fence !== undefined && !holds(stored, fence)) {
        throw leaseLost(runId, fence, { owner: stored.record.lease?.owner ?? null, epoch: stored.epoch });
      }
      const lease = stored.record.lease;
      if (run?.owner !== undefined && lease !== undefined && run.owner !== lease.owner) throw runOwned(runId, lease, run.owner);
      const events = commit.events ?? [];
      const lastSeq = checkSequence(runId, stored.lastSeq, events);
      if (run !== undefined) {
        const record = { ...stored.record, ...run };
        stored.record = endsRun(run.state) ? withLease(record, undefined) : record;
        this.#track(stored);
      }
      stored.lastSeq = lastSeq;
      if (commit.tasks !== undefined) for (const task of commit.tasks) stored.tasks.set(task.id, task);
      for (const event of events) stored.events.push(event);
    });
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.#open(() => {
      const stored = this.#runs.get(runId);
      return stored === undefined ? undefined : current(stored);
    });
  }

  getTasks(runId: RunId): Promise<readonly TaskRecord[]> {
    return this.#open(() => {
      const stored = this.#runs.get(runId);
      if (stored === undefined) return [];
      return [...stored.tasks.values()].sort((a, b) => a.index - b.index);
    });
  }

  listRuns(query: RunListQuery): Promise<RunListPage> {
    return this.#open(() => {
      const limit = pageSize(query.limit);
      const before = decodeCursor(query.cursor) ?? this.#byPosition.length;
      const items: RunRecord[] = [];
      let position = Math.min(before, this.#byPosition.length) - 1;
      for (; position >= 0 && items.length < limit; position -= 1) {
        const record = current(this.#byPosition[position] as StoredRun);
        if (record.tenant !== query.tenant) continue;
        if (query.state !== undefined && record.state !== query.state) continue;
        items.push(record);
      }
      const nextCursor = items.length === limit && position >= 0 ? encodeCursor(position + 1) : null;
      return { items, nextCursor };
    });
  }

  findByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | undefined> {
    return this.#open(() => {
      const runId = this.#idempotency.get(`${tenant}\u0000${key}`);
      const stored = runId === undefined ? undefined : this.#runs.get(runId);
      return stored === undefined ? undefined : current(stored);
    });
  }

  readEvents(runId: RunId, afterSeq = 0, limit = Number.POSITIVE_INFINITY): Promise<readonly RuntimeEvent[]> {
    return this.#open(() => {
      const events = this.#runs.get(runId)?.events ?? [];
      // seq n sits at index n − 1.
      const start = Math.max(0, Math.trunc(afterSeq));
      const end = Math.min(events.length, start + limit);
      return events.slice(start, end);
    });
  }

  findRunsByState(state: RunState): Promise<readonly RunRecord[]> {
    return this.#open(() => {
      const records: RunRecord[] = [];
      for (const stored of this.#byPosition) if (stored.record.state === state) records.push(current(stored));
      return records;
    });
  }

  acquireLease(runId: RunId, owner: string, ttlMs: number, now: number): Promise<RunLease | undefined> {
    return this.#open(() => {
      checkLeaseRequest(owner, ttlMs, now);
      const stored = this.#runs.get(runId);
      if (stored === undefined) throw runNotFound(runId);
      const held = stored.record.lease;
      if (held !== undefined && held.owner !== owner && held.expiresAt > now) return undefined;
      // A renewal by the holder keeps its epoch; anything else (free, released, expired, ended) is a new one.
      const epoch = held?.owner === owner ? held.epoch : stored.epoch + 1;
      const lease: RunLease = { owner, epoch, expiresAt: now + ttlMs };
      stored.epoch = epoch;
      stored.record = withLease(stored.record, lease);
      return lease;
    });
  }

  renewLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>, ttlMs: number, now: number): Promise<RunLease> {
    return this.#open(() => {
      checkLeaseRequest(lease.owner, ttlMs, now);
      const stored = this.#runs.get(runId);
      if (stored === undefined) throw runNotFound(runId);
      if (!holds(stored, lease)) throw leaseLost(runId, lease, { owner: stored.record.lease?.owner ?? null, epoch: stored.epoch });
      const renewed: RunLease = { owner: lease.owner, epoch: lease.epoch, expiresAt: now + ttlMs };
      stored.record = withLease(stored.record, renewed);
      return renewed;
    });
  }

  releaseLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>): Promise<void> {
    return this.#open(() => {
      const stored = this.#runs.get(runId);
      if (stored !== undefined && holds(stored, lease)) stored.record = withLease(stored.record, undefined);
    });
  }

  findResumableRuns(now: number, limit?: number): Promise<readonly RunRecord[]> {
    return this.#open(() => {
      const found: StoredRun[] = [];
      for (const stored of this.#unfinished) {
        const lease = stored.record.lease;
        if (lease === undefined || lease.expiresAt <= now) found.push(stored);
      }
      found.sort((a, b) => a.position - b.position);
      return found.slice(0, resumableLimit(limit)).map(current);
    });
  }

  postRequest(request: RunRequest): Promise<void> {
    return this.#open(() => {
      checkRequest(request);
      if (!this.#runs.has(request.runId)) throw runNotFound(request.runId);
      this.#dropExpiredRequests(request.postedAt);
      const key = requestKey(request.runId, request.id);
      if (this.#requests.has(key)) throw duplicateRequest(request.runId, request.id);
      const stored: StoredRequest = { request: structuredClone(request) };
      this.#requests.set(key, stored);
      this.#pendingRequests.add(stored);
    });
  }

  claimRequests(owner: string, limit?: number): Promise<readonly RunRequest[]> {
    return this.#open(() => {
      const most = claimLimit(limit);
      const claimed: RunRequest[] = [];
      for (const stored of this.#pendingRequests) {
        if (claimed.length >= most) break;
        if (this.#runs.get(stored.request.runId)?.record.lease?.owner !== owner) continue;
        stored.claimedBy = owner;
        this.#pendingRequests.delete(stored);
        claimed.push(structuredClone(stored.request));
      }
      return claimed;
    });
  }

  answerRequest(runId: RunId, requestId: string, outcome: Exclude<RunRequestOutcome, { readonly status: 'withdrawn' }>): Promise<boolean> {
    return this.#open(() => {
      const stored = this.#requests.get(requestKey(runId, requestId));
      if (stored === undefined || stored.outcome !== undefined) return false;
      stored.outcome = structuredClone(outcome);
      this.#pendingRequests.delete(stored);
      return true;
    });
  }

  withdrawRequest(runId: RunId, requestId: string): Promise<boolean> {
    return this.#open(() => {
      const stored = this.#requests.get(requestKey(runId, requestId));
      if (stored === undefined || stored.outcome !== undefined || stored.claimedBy !== undefined) return false;
      stored.outcome = WITHDRAWN;
      this.#pendingRequests.delete(stored);
      return true;
    });
  }

  getRequest(runId: RunId, requestId: string): Promise<RunRequestState | undefined> {
    return this.#open(() => {
      const stored = this.#requests.get(requestKey(runId, requestId));
      return stored === undefined ? undefined : requestState(stored);
    });
  }

  /** Nothing here is durable: the probe only fails once the store is closed. */
  checkWrite(): Promise<void> {
    return this.#open(() => undefined);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Drops the requests posted more than the retention before `now`, oldest first. */
  #dropExpiredRequests(now: number): void {
    const cutoff = now - REQUEST_RETENTION_MS;
    for (const [key, stored] of this.#requests) {
      if (stored.request.postedAt >= cutoff) break;
      this.#requests.delete(key);
      this.#pendingRequests.delete(stored);
    }
  }

  #track(stored: StoredRun): void {
    if (TERMINAL_RUN_STATES.has(stored.record.state)) this.#unfinished.delete(stored);
    else this.#unfinished.add(stored);
  }

  #open<Value>(operation: () => Value): Promise<Value> {
    return this.#closed ? Promise.reject(storeClosed('in-memory')) : attempt(operation);
  }
}

/**
 * Creates an in-memory {@link @runtime/contracts#RunStore}.
 * @example
 * ```ts
 * const orchestrator = createOrchestrator({ ...collaborators, store: createMemoryRunStore() });
 * ```
 * @public
 */
export function createMemoryRunStore(): RunStore {
  return new MemoryRunStore();
}
