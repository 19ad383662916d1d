/**
 * Cross-process requests through the store's inbox (`RunStore.postRequest` …): the asking side
 * ({@link askOwner}) posts a request for the run's owner and polls for its outcome; the owning side
 * ({@link RequestInbox}) claims the requests of all the runs it leases once per tick, applies each
 * one and records the outcome.
 *
 * @remarks
 * The asker withdraws a request nobody claimed when the run's lease expires or changes hands (the
 * caller then takes the run over and applies the change itself), and gives up with `RUN_OWNED` when
 * the wait outlasts its bound. A claimed request is always waited for (up to the bound): its owner
 * may be applying it.
 */
import { randomUUID } from 'node:crypto';
import {
  RunStateError,
  errorFromInfo,
  toErrorInfo,
  type Clock,
  type RunId,
  type RunLease,
  type RunRequest,
  type RunRequestBody,
  type RunRequestState,
  type RunStore,
} from '@runtime/contracts';
import { DEFAULT_STORE_RETRY, isTransientStoreError, type StoreRetryPolicy } from './run-journal.js';

/** Not unref'd: a caller waiting for an answer (a CLI's abort) keeps its process alive meanwhile. */
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** What the asking side needs. */
export interface AskOptions {
  readonly store: RunStore;
  readonly clock: Clock;
  /** How often the outcome is read, in ms. */
  readonly pollMs: number;
  /** Longest wait for an outcome, in ms. */
  readonly timeoutMs: number;
}

/** The owner's answer, or `moved`: the request was withdrawn because the lease moved on. */
export type AskResult = { readonly answered: true; readonly value: unknown } | { readonly answered: false };

/** Whether `lease` is no longer the run's live lease at `now`. */
function leaseMoved(lease: RunLease, current: RunLease | undefined, now: number): boolean {
  return current === undefined || current.owner !== lease.owner || current.epoch !== lease.epoch || current.expiresAt <= now;
}

function unanswered(runId: RunId, lease: RunLease, requestId: string, state: RunRequestState, waitedMs: number): RunStateError {
  return new RunStateError({
    code: 'RUN_OWNED',
    message: `Run "${runId}" is run by "${lease.owner}", which did not answer request "${requestId}" within ${waitedMs} ms; try again.`,
    details: {
      runId,
      owner: lease.owner,
      epoch: lease.epoch,
      expiresAt: lease.expiresAt,
      requestId,
      claimedBy: state.claimedBy ?? null,
      waitedMs,
    },
  });
}

/**
 * Posts `body` for the owner of `lease` and waits for the outcome: the owner's value, its error
 * (rethrown as its typed class) or `{ answered: false }` once withdrawn because the lease moved.
 * @throws RunStateError `RUN_OWNED` when no outcome came within `timeoutMs`.
 */
export async function askOwner(options: AskOptions, runId: RunId, body: RunRequestBody, lease: RunLease): Promise<AskResult> {
  const { store, clock } = options;
  const request: RunRequest = { id: randomUUID(), runId, body, postedAt: clock.now() };
  await store.postRequest(request);
  const deadline = request.postedAt + options.timeoutMs;
  for (;;) {
    await sleep(options.pollMs);
    const state = await store.getRequest(runId, request.id);
    // Gone only when dropped by the retention: nobody will answer it.
    if (state === undefined) return { answered: false };
    const outcome = state.outcome;
    if (outcome?.status === 'ok') return { answered: true, value: outcome.value };
    if (outcome?.status === 'error') throw errorFromInfo(outcome.error);
    if (outcome?.status === 'withdrawn') return { answered: false };
    const now = clock.now();
    const moved = state.claimedBy === undefined && leaseMoved(lease, (await store.getRun(runId))?.lease, now);
    if (!moved && now < deadline) continue;
    // A claimed request cannot be withdrawn: its owner may be applying it, so wait up to the bound.
    if (state.claimedBy === undefined && (await store.withdrawRequest(runId, request.id))) {
      if (moved) return { answered: false };
      throw unanswered(runId, lease, request.id, state, now - request.postedAt);
    }
    if (now >= deadline) throw unanswered(runId, lease, request.id, state, now - request.postedAt);
  }
}

/** The error a claimed request gets when its run is not (or no longer) executed by the claimer. */
export function notExecutedHere(runId: RunId, owner: string): RunStateError {
  return new RunStateError({
    code: 'LEASE_LOST',
    message: `Run "${runId}" is not executed by "${owner}" any more; ask again.`,
    details: { runId, owner, epoch: null, currentOwner: null, currentEpoch: null },
  });
}

/** What the owning side needs. */
export interface RequestInboxOptions {
  readonly store: RunStore;
  readonly owner: string;
  /** How often the inbox is polled, in ms. */
  readonly intervalMs: number;
  /** Applies one claimed request (through the orchestrator's public methods); resolves with the view. */
  readonly apply: (request: RunRequest) => Promise<unknown>;
  /** Whether a tick should query the store (this process runs something). */
  readonly shouldPoll: () => boolean;
  readonly onBackgroundError: (error: unknown) => void;
  /** Retries of an answer whose write failed with a retryable `STORE_ERROR`. @defaultValue the journal's */
  readonly retry?: StoreRetryPolicy;
}

/**
 * The owner's poll loop: one `claimRequests` per tick for all its runs; one unref'd timer, running
 * only while the process executes runs (`start` when a run starts here, `stop` when the last ends).
 */
export class RequestInbox {
  readonly #options: RequestInboxOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  /** The last claim failed (its error was reported). */
  #failing = false;
  /** A wake came while a claim was in flight: that claim may have missed its request, claim again after it. */
  #again = false;

  constructor(options: RequestInboxOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.poll(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Claims the pending requests once and answers each when applied. A call while a claim is in
   * flight claims once more after it (a notification must not be lost to a claim that started first).
   */
  poll(): void {
    if (!this.#options.shouldPoll()) {
      this.stop();
      return;
    }
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#polling = true;
    this.#again = false;
    this.#options.store.claimRequests(this.#options.owner).then(
      (requests) => {
        this.#polling = false;
        this.#failing = false;
        for (const request of requests) this.#answer(request);
        if (this.#again) this.poll();
      },
      (error: unknown) => {
        this.#polling = false;
        // Once per outage, not once per tick: the next ticks retry anyway.
        if (!this.#failing) this.#options.onBackgroundError(error);
        this.#failing = true;
      },
    );
  }

  #answer(request: RunRequest): void {
    const { store, apply, onBackgroundError } = this.#options;
    const retry = this.#options.retry ?? DEFAULT_STORE_RETRY;
    // The change is applied: its answer must reach the asker, through a store blip too.
    const record = async (outcome: Parameters<RunStore['answerRequest']>[2]): Promise<unknown> => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await store.answerRequest(request.runId, request.id, outcome);
        } catch (error) {
          if (attempt >= retry.retries || !isTransientStoreError(error)) throw error;
          await sleep(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt));
        }
      }
    };
    apply(request)
      .then(
        (value) => record({ status: 'ok', value }),
        (error: unknown) => record({ status: 'error', error: toErrorInfo(error) }),
      )
      .catch(onBackgroundError);
  }
}
