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
});
