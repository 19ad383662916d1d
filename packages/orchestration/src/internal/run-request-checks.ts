/**
 * Checks and codecs of the request inbox shared by the run stores (`postRequest`, `claimRequests`,
 * `answerRequest`, `withdrawRequest`, `getRequest`), so all of them refuse the same misuse with the
 * same errors and keep the same retention.
 */
import { ValidationError, type RunId, type RunRequest, type RunRequestBody, type RunRequestOutcome, type RunRequestState } from '@runtime/contracts';
import { decodeJson, encodeJson } from './json-codec.js';

/**
 * How long a request is kept after it was posted, in ms: a store deletes older ones (answered,
 * withdrawn or abandoned by an asker that died) when a new request is posted. Far longer than any
 * asker waits (twice the lease ttl by default).
 */
export const REQUEST_RETENTION_MS = 3_600_000;

/** Default and largest `limit` of claimRequests. */
const CLAIM_LIMIT = 100;
const MAX_CLAIM_LIMIT = 1000;
const REQUEST_KINDS = new Set<string>(['abort', 'addTasks', 'provideInput']);

/** Throws VALIDATION_FAILED unless the request is usable. */
export function checkRequest(request: RunRequest): void {
  const { id, runId, body, postedAt } = request;
  const problem =
    typeof id !== 'string' || id === '' || id.length > 200
      ? 'a request id must be a non-empty string of at most 200 characters'
      : typeof runId !== 'string' || runId === ''
        ? 'a request needs a run id'
        : typeof body !== 'object' || body === null || !REQUEST_KINDS.has((body as { kind?: unknown }).kind as string)
          ? 'a request body needs kind abort, addTasks or provideInput'
          : Number.isFinite(postedAt)
            ? undefined
            : 'postedAt must be a finite number of epoch ms';
  if (problem !== undefined) {
    throw new ValidationError({ code: 'VALIDATION_FAILED', message: `Bad run request: ${problem}.`, details: { runId: String(runId), requestId: String(id) } });
  }
}

export function duplicateRequest(runId: RunId, requestId: string): ValidationError {
  return new ValidationError({
    code: 'VALIDATION_FAILED',
    message: `Run "${runId}" already has a request with id "${requestId}".`,
    details: { runId, requestId },
  });
}

/** Page size of claimRequests, clamped to 1..1000. */
export function claimLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return CLAIM_LIMIT;
  return Math.max(1, Math.min(MAX_CLAIM_LIMIT, Math.trunc(limit)));
}

/** The outcome a withdrawal records. */
export const WITHDRAWN: RunRequestOutcome = { status: 'withdrawn' };

export const encodeBody = (body: RunRequestBody): string => encodeJson(body);
export const encodeOutcome = (outcome: RunRequestOutcome): string => encodeJson(outcome);

/** A request row of a SQL store. */
export interface RequestRow {
  readonly run_id: string;
  readonly id: string;
  readonly body: string;
  readonly posted_at: number;
  readonly claimed_by?: string | null;
  readonly outcome?: string | null;
}

export function requestOf(row: RequestRow): RunRequest {
  return { id: row.id, runId: row.run_id as RunId, body: decodeJson<RunRequestBody>(row.body), postedAt: Number(row.posted_at) };
}

export function requestStateOf(row: RequestRow): RunRequestState {
  return {
    request: requestOf(row),
    ...(row.claimed_by === null || row.claimed_by === undefined ? {} : { claimedBy: row.claimed_by }),
    ...(row.outcome === null || row.outcome === undefined ? {} : { outcome: decodeJson<RunRequestOutcome>(row.outcome) }),
  };
}
