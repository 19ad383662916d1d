/**
 * A RunStore wrapper that injects faults into commits: the Nth commit (or every commit while a
 * switch is on) fails with a transient or terminal `STORE_ERROR`, lands but loses its answer, or
 * is slowed down. Everything else is passed to the wrapped store.
 */
import {
  InternalError,
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
  type TaskRecord,
} from '@runtime/contracts';

/** What happens to one commit. */
export type CommitFault = 'ok' | 'transient' | 'terminal' | 'lostAnswer' | { readonly delayMs: number };

export class FaultyStore implements RunStore {
  readonly inner: RunStore;
  /** Decides the fault of the commit numbered `index` (from 1). */
  fault: (index: number, runId: RunId, commit: RunCommit) => CommitFault;
  /** Commits attempted so far. */
  commits = 0;
  /** Lease renewals fail while set. */
  renewalsFail = false;
  /** `checkWrite` fails (transient `STORE_ERROR`) while set. */
  writeProbeFails = false;
  /** Awaited before each `acquireLease` reaches the wrapped store (lets another writer act in between). */
  beforeAcquire: ((runId: RunId) => Promise<void>) | undefined;

  constructor(inner: RunStore, fault: (index: number, runId: RunId, commit: RunCommit) => CommitFault = () => 'ok') {
    this.inner = inner;
    this.fault = fault;
  }

  async commit(runId: RunId, commit: RunCommit): Promise<void> {
    this.commits += 1;
    const fault = this.fault(this.commits, runId, commit);
    if (fault === 'transient') throw new InternalError({ code: 'STORE_ERROR', message: 'database is locked', details: { injected: true }, isRetryable: true });
    if (fault === 'terminal') throw new InternalError({ code: 'STORE_ERROR', message: 'disk gone', details: { injected: true }, isRetryable: false });
    if (fault === 'lostAnswer') {
      await this.inner.commit(runId, commit);
      throw new InternalError({ code: 'STORE_ERROR', message: 'connection reset after write', details: { injected: true }, isRetryable: true });
    }
    if (fault !== 'ok') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    await this.inner.commit(runId, commit);
  }

  createRun(run: RunRecord, tasks: readonly TaskRecord[], events?: readonly RuntimeEvent[]): Promise<void> {
    return this.inner.createRun(run, tasks, events);
  }

  getRun(runId: RunId): Promise<RunRecord | undefined> {
    return this.inner.getRun(runId);
  }

  getTasks(runId: RunId): Promise<readonly TaskRecord[]> {
    return this.inner.getTasks(runId);
  }

  listRuns(query: RunListQuery): Promise<RunListPage> {
    return this.inner.listRuns(query);
  }

  findByIdempotencyKey(tenant: string, key: string): Promise<RunRecord | undefined> {
    return this.inner.findByIdempotencyKey(tenant, key);
  }

  readEvents(runId: RunId, afterSeq?: number, limit?: number): Promise<readonly RuntimeEvent[]> {
    return this.inner.readEvents(runId, afterSeq, limit);
  }

  findRunsByState(state: RunState): Promise<readonly RunRecord[]> {
    return this.inner.findRunsByState(state);
  }

  async acquireLease(runId: RunId, owner: string, ttlMs: number, now: number): Promise<RunLease | undefined> {
    await this.beforeAcquire?.(runId);
    return this.inner.acquireLease(runId, owner, ttlMs, now);
  }

  renewLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>, ttlMs: number, now: number): Promise<RunLease> {
    if (this.renewalsFail) return Promise.reject(new InternalError({ code: 'STORE_ERROR', message: 'renewal failed', details: { injected: true } }));
    return this.inner.renewLease(runId, lease, ttlMs, now);
  }

  releaseLease(runId: RunId, lease: Pick<RunLease, 'owner' | 'epoch'>): Promise<void> {
    return this.inner.releaseLease(runId, lease);
  }

  findResumableRuns(now: number, limit?: number): Promise<readonly RunRecord[]> {
    return this.inner.findResumableRuns(now, limit);
  }

  checkWrite(): Promise<void> {
    if (this.writeProbeFails) return Promise.reject(new InternalError({ code: 'STORE_ERROR', message: 'disk full', details: { injected: true }, isRetryable: true }));
    return this.inner.checkWrite();
  }

  postRequest(request: RunRequest): Promise<void> {
    return this.inner.postRequest(request);
  }

  claimRequests(owner: string, limit?: number): Promise<readonly RunRequest[]> {
    return this.inner.claimRequests(owner, limit);
  }

  answerRequest(runId: RunId, requestId: string, outcome: Exclude<RunRequestOutcome, { readonly status: 'withdrawn' }>): Promise<boolean> {
    return this.inner.answerRequest(runId, requestId, outcome);
  }

  withdrawRequest(runId: RunId, requestId: string): Promise<boolean> {
    return this.inner.withdrawRequest(runId, requestId);
  }

  getRequest(runId: RunId, requestId: string): Promise<RunRequestState | undefined> {
    return this.inner.getRequest(runId, requestId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
