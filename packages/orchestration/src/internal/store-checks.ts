/** Checks shared by the run stores, so both reject the same misuse with the same errors. */
import {
  InternalError,
  RunStateError,
  TERMINAL_RUN_STATES,
  ValidationError,
  type RunId,
  type RunLease,
  type RunRecord,
  type RunState,
  type RuntimeEvent,
} from '@runtime/contracts';

export function runNotFound(runId: RunId): RunStateError {
  return new RunStateError({ code: 'RUN_NOT_FOUND', message: `Run "${runId}" does not exist.`, details: { runId } });
}

export function idempotencyConflict(run: RunRecord, existing: RunId): RunStateError {
  return new RunStateError({
    code: 'IDEMPOTENCY_CONFLICT',
    message: `Tenant "${run.tenant}" already has run "${existing}" with idempotency key "${String(run.idempotencyKey)}".`,
    details: { tenant: run.tenant, idempotencyKey: run.idempotencyKey ?? null, runId: existing },
  });
}

/** Throws unless `events` continue the run's sequence after `lastSeq` with no gap. */
export function checkSequence(runId: RunId, lastSeq: number, events: readonly RuntimeEvent[]): number {
  let seq = lastSeq;
  for (const event of events) {
    if (event.runId !== runId || event.seq !== seq + 1) {
      throw new InternalError({
        code: 'INTERNAL',
        message: `Event seq ${event.seq} of run "${event.runId}" does not continue run "${runId}" after seq ${seq}.`,
        details: { runId, expectedSeq: seq + 1, seq: event.seq },
      });
    }
    seq = event.seq;
  }
  return seq;
}

/** Page size of listRuns, clamped to 1..1000. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return 20;
  return Math.max(1, Math.min(1000, Math.trunc(limit)));
}

export function encodeCursor(position: number): string {
  return Buffer.from(String(position), 'utf8').toString('base64url');
}

/** Decodes a cursor, or throws VALIDATION_FAILED. */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = Number(text);
  if (!/^\d{1,15}$/.test(text) || !Number.isSafeInteger(position)) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: 'Malformed run list cursor.', details: { cursor } });
  }
  return position;
}

/** The writer's lease is no longer the run's lease: taken over, released, or ended with the run. */
export function leaseLost(
  runId: RunId,
  fence: Pick<RunLease, 'owner' | 'epoch'>,
  current: { readonly owner: string | null; readonly epoch: number },
): RunStateError {
  return new RunStateError({
    code: 'LEASE_LOST',
    message:
      current.owner === null
        ? `Run "${runId}" is no longer leased (epoch ${current.epoch}); "${fence.owner}" at epoch ${fence.epoch} may not write.`
        : `Run "${runId}" is leased by "${current.owner}" at epoch ${current.epoch}; "${fence.owner}" at epoch ${fence.epoch} may not write.`,
    details: { runId, owner: fence.owner, epoch: fence.epoch, currentOwner: current.owner, currentEpoch: current.epoch },
  });
}

/** A commit tried to name an owner other than the lease holder (ownership changes only through a lease). */
export function runOwned(runId: RunId, lease: RunLease, requested: string | undefined): RunStateError {
  return new RunStateError({
    code: 'RUN_OWNED',
    message: `Run "${runId}" is leased by "${lease.owner}"; a commit cannot make "${String(requested)}" its owner (acquire the lease instead).`,
    details: { runId, owner: lease.owner, expiresAt: lease.expiresAt, requested: requested ?? null },
  });
}

/** Throws VALIDATION_FAILED unless the lease request is usable. */
export function checkLeaseRequest(owner: string, ttlMs: number, now: number): void {
  if (typeof owner !== 'string' || owner === '' || !(Number.isFinite(ttlMs) && ttlMs > 0) || !Number.isFinite(now)) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: 'A lease needs a non-empty owner, a positive finite ttlMs and a finite now.',
      details: { owner, ttlMs, now },
    });
  }
}

/** Throws VALIDATION_FAILED unless a lease given to createRun is well formed. */
export function checkLease(lease: RunLease | undefined): void {
  if (lease === undefined) return;
  if (typeof lease.owner !== 'string' || lease.owner === '' || !Number.isSafeInteger(lease.epoch) || lease.epoch < 0 || !Number.isFinite(lease.expiresAt)) {
    throw new ValidationError({
      code: 'VALIDATION_FAILED',
      message: 'A run lease needs a non-empty owner, a non-negative integer epoch and a finite expiresAt.',
      details: { owner: lease.owner, epoch: lease.epoch, expiresAt: lease.expiresAt },
    });
  }
}

/** Whether a commit changing the run's state to `state` ends it (and so ends its lease). */
export function endsRun(state: RunState | undefined): boolean {
  return state !== undefined && TERMINAL_RUN_STATES.has(state);
}

/** The error of every operation on a closed store (not retryable: the store will not reopen). */
export function storeClosed(store: string): InternalError {
  return new InternalError({ code: 'STORE_ERROR', message: `The ${store} run store is closed.`, details: { closed: true }, isRetryable: false });
}

/** Default `limit` of findResumableRuns. */
const RESUMABLE_LIMIT = 100;

/** Page size of findResumableRuns, clamped to 1..1000. */
export function resumableLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return RESUMABLE_LIMIT;
  return Math.max(1, Math.min(1000, Math.trunc(limit)));
}
