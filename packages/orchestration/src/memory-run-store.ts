/**
 * A {@link @runtime/contracts#RunStore} in process memory: for tests, demos and runs that need not survive a crash.
 *
 * @remarks
 * Commits are atomic (validated first, then applied synchronously) and records are never mutated
 * in place, so readers always see a consistent snapshot. Use the SQLite store
 * (`@runtime/orchestration/sqlite`) when runs must survive the process.
 */
import type {
  RunCommit,
  RunId,
  RunListPage,
  RunListQuery,
  RunRecord,
  RunState,
  RunStore,
  RuntimeEvent,
  TaskId,
  TaskRecord,
} from '@runtime/contracts';
import {
  checkSequence,
  decodeCursor,
  encodeCursor,
  idempotencyConflict,
  pageSize,
  runNotFound,
} from './internal/store-checks.js';
import { attempt } from './internal/to-error.js';

interface StoredRun {
  /** The record as of its last run-field change; `lastSeq` is kept apart (it changes on every commit). */
  record: RunRecord;
  lastSeq: number;
  readonly position: number;
  readonly tasks: Map<TaskId, TaskRecord>;
  readonly events: RuntimeEvent[];
}

function current(stored: StoredRun): RunRecord {
  return stored.record.lastSeq === stored.lastSeq ? stored.record : (stored.record = { ...stored.record, lastSeq: stored.lastSeq });
}

class MemoryRunStore implements RunStore {
  readonly #runs = new Map<RunId, StoredRun>();
  readonly #byPosition: StoredRun[] = [];
  readonly #idempotency = new Map<string, RunId>();

  createRun(run: RunRecord, tasks: readonly TaskRecord[], events: readonly RuntimeEvent[] = []): Promise<void> {
    return attempt(() => {
      const keyName = run.idempotencyKey === undefined ? undefined : `${run.tenant}\u0000${run.idempotencyKey}`;
      if (keyName !== undefined) {
        const existing = this.#idempotency.get(keyName);
        if (existing !== undefined) throw idempotencyConflict(run, existing);
      }
      if (this.#runs.has(run.id)) throw idempotencyConflict(run, run.id);
      const lastSeq = checkSequence(run.id, run.lastSeq, events);
      const stored: StoredRun = {
        record: { ...run, lastSeq },
        lastSeq,
        position: this.#byPosition.length,
        tasks: new Map(tasks.map((task) => [task.id, task])),
        events: [...events],
      };
      this.#runs.set(run.id, stored);
      this.#byPosition.push(stored);
      if (keyName !== undefined) this.#idempotency.set(keyName, run.id);
    });
  }

  commit(runId: RunId, commit: RunCommit): Promise<void> {
    return attempt(() => {
      const stored = this.#runs.get(runId);
      if (stored === undefined) throw runNotFound(runId);
      const events = commit.events ?? [];
      const lastSeq = checkSequence(runId, stored.lastSeq, events);
      if (commit.run !== undefined) stored.record = { ...stored.record, ...commit.run };
      stored.lastSeq = lastSeq;
      if (commit.tasks !== undefined) for (const task of commit.tasks) stored.tasks.set(task.id, task);
      for (const event of events) stored.events.push(event);
    });
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    const stored = this.#runs.get(runId);
    return Promise.resolve(stored === undefined ? undefined : current(stored));
  }

  getTasks(runId: RunId): Promise<readonly TaskRecord[]> {
    const stored = this.#runs.get(runId);
    if (stored === undefined) return Promise.resolve([]);
    return Promise.resolve([...stored.tasks.values()].sort((a, b) => a.index - b.index));
  }

  listRuns(query: RunListQuery): Promise<RunListPage> {
    return attempt(() => {
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
    const runId = this.#idempotency.get(`${tenant}\u0000${key}`);
    const stored = runId === undefined ? undefined : this.#runs.get(runId);
    return Promise.resolve(stored === undefined ? undefined : current(stored));
  }

  readEvents(runId: RunId, afterSeq = 0, limit = Number.POSITIVE_INFINITY): Promise<readonly RuntimeEvent[]> {
    const events = this.#runs.get(runId)?.events ?? [];
    // seq n sits at index n − 1.
    const start = Math.max(0, Math.trunc(afterSeq));
    const end = Math.min(events.length, start + limit);
    return Promise.resolve(events.slice(start, end));
  }

  findRunsByState(state: RunState): Promise<readonly RunRecord[]> {
    const records: RunRecord[] = [];
    for (const stored of this.#byPosition) if (stored.record.state === state) records.push(current(stored));
    return Promise.resolve(records);
  }

  close(): Promise<void> {
    return Promise.resolve();
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
