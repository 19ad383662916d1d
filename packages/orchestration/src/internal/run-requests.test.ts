import { InternalError, type RunRequest, type RunStore } from '@runtime/contracts';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryRunStore } from '../memory-run-store.js';
import { RequestInbox } from './run-requests.js';

describe('RequestInbox', () => {
  it('reports a failing claim once per outage, not once per tick, and answers again once the store works', async () => {
    const store = createMemoryRunStore();
    let failing = true;
    const claims = vi.fn((): Promise<readonly RunRequest[]> => (failing ? Promise.reject(new InternalError({ code: 'STORE_ERROR', message: 'down', details: {} })) : Promise.resolve([])));
    const reported: unknown[] = [];
    const inbox = new RequestInbox({
      store: { ...store, claimRequests: claims },
      owner: 'o',
      intervalMs: 5,
      apply: () => Promise.resolve(null),
      shouldPoll: () => true,
      onBackgroundError: (error) => reported.push(error),
    });
    inbox.start();
    try {
      await vi.waitFor(() => expect(claims.mock.calls.length).toBeGreaterThanOrEqual(4));
      expect(reported).toHaveLength(1);
      failing = false;
      const before = claims.mock.calls.length;
      await vi.waitFor(() => expect(claims.mock.calls.length).toBeGreaterThan(before + 1));
      failing = true;
      await vi.waitFor(() => expect(reported).toHaveLength(2));
    } finally {
      inbox.stop();
    }
  });

  it('stops its timer by itself when there is nothing to poll for', async () => {
    const claims = vi.fn(() => Promise.resolve([]));
    const inbox = new RequestInbox({
      store: { claimRequests: claims } as unknown as RunStore,
      owner: 'o',
      intervalMs: 5,
      apply: () => Promise.resolve(null),
      shouldPoll: () => false,
      onBackgroundError: () => undefined,
    });
    vi.useFakeTimers();
    try {
      inbox.start();
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(6);
      expect(vi.getTimerCount()).toBe(0);
      expect(claims).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
  it('a wake that arrives while a claim is in flight claims again once it settles (the request posted meanwhile is not left to the next tick)', async () => {
    const request: RunRequest = { id: 'q1', runId: 'r1' as RunRequest['runId'], body: { kind: 'abort' }, postedAt: 1 };
    let release: () => void = () => undefined;
    const firstClaim = new Promise<readonly RunRequest[]>((resolve) => {
      release = () => resolve([]);
    });
    // The first claim ran before the request was stored; the request is there for the next one.
    const claims = vi.fn((): Promise<readonly RunRequest[]> => (claims.mock.calls.length === 1 ? firstClaim : Promise.resolve([request])));
    const applied: string[] = [];
    const inbox = new RequestInbox({
      store: { claimRequests: claims, answerRequest: () => Promise.resolve(true) } as unknown as RunStore,
      owner: 'o',
      // Only wakes poll here: the timer would not tick during the test.
      intervalMs: 86_400_000,
      apply: (claimed) => {
        applied.push(claimed.id);
        return Promise.resolve(null);
      },
      shouldPoll: () => true,
      onBackgroundError: () => undefined,
    });
    try {
      inbox.poll();
      inbox.poll(); // the notification of the request posted while the first claim runs
      release();
      await vi.waitFor(() => expect(applied).toEqual(['q1']));
      expect(claims).toHaveBeenCalledTimes(2);
    } finally {
      inbox.stop();
    }
  });

  it('records an answer again after a transient store error (the asker would otherwise wait for RUN_OWNED although the change was applied)', async () => {
    const request: RunRequest = { id: 'q1', runId: 'r1' as RunRequest['runId'], body: { kind: 'abort' }, postedAt: 1 };
    const recorded: string[] = [];
    const answerRequest = vi.fn((_runId: unknown, _id: unknown, outcome: { status: string }): Promise<boolean> => {
      if (answerRequest.mock.calls.length === 1) return Promise.reject(new InternalError({ code: 'STORE_ERROR', message: 'connection reset', details: {}, isRetryable: true }));
      recorded.push(outcome.status);
      return Promise.resolve(true);
    });
    const reported: unknown[] = [];
    const inbox = new RequestInbox({
      store: { claimRequests: () => Promise.resolve([request]), answerRequest } as unknown as RunStore,
      owner: 'o',
      intervalMs: 86_400_000,
      apply: () => Promise.resolve({ state: 'aborted' }),
      shouldPoll: () => true,
      onBackgroundError: (error) => reported.push(error),
      retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    try {
      inbox.poll();
      await vi.waitFor(() => expect(recorded).toEqual(['ok']));
      expect(answerRequest).toHaveBeenCalledTimes(2);
      expect(reported).toEqual([]);
    } finally {
      inbox.stop();
    }
  });
});
