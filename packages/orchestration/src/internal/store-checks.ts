/** Checks shared by the run stores, so both reject the same misuse with the same errors. */
import { InternalError, RunStateError, ValidationError, type RunId, type RunRecord, type RuntimeEvent } from '@runtime/contracts';

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
