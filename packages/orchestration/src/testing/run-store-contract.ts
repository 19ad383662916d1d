/**
 * One behavioural suite every RunStore implementation must pass (memory, SQLite, PostgreSQL, and a
 * third-party store): records, atomic commits, idempotency keys, listing with cursors, event paging,
 * health probe, close; leases and fencing ({@link leaseContract}); for durable stores, reopening and
 * two instances on the same data racing for one run ({@link durableContract}).
 */
import fc from 'fast-check';
import { asRunId, type RunStore } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { durableContract } from './run-store-durable-contract.js';
import { leaseContract } from './run-store-lease-contract.js';
import { requestContract } from './run-store-request-contract.js';
import { event, run, taskRecord } from './run-store-fixtures.js';

/** Opens a store; each call a new instance. */
export type OpenRunStore = () => RunStore | Promise<RunStore>;

/** How the contract suite reaches the store under test. */
export interface RunStoreTarget {
  /** A new, empty store. */
  readonly open: OpenRunStore;
  /**
   * Durable stores only: a new, empty location (a file, a schema); each `open` of it is another
   * instance (its own connection or pool) on the same data, as another process would have.
   */
  readonly location?: () => OpenRunStore;
}

export function runStoreContract(name: string, target: RunStoreTarget): void {
  const { open } = target;
  describe(`${name} (RunStore contract)`, () => {
    it('creates a run with tasks and events and reads them back exactly (bigints included)', async () => {
      const store = await open();
      await store.createRun(run('r1'), [taskRecord('r1', 'b', 1), taskRecord('r1', 'a', 0)], [event('r1', 1)]);
      expect(await store.getRun(asRunId('r1'))).toMatchObject({ id: 'r1', lastSeq: 1, budgetLimit: 123_456_789_012_345_678_901n });
      const tasks = await store.getTasks(asRunId('r1'));
      expect(tasks.map((task) => task.id)).toEqual(['a', 'b']);
      expect(tasks[0]?.cost).toBe(987_654_321_987_654_321n);
      expect(await store.readEvents(asRunId('r1'))).toEqual([event('r1', 1)]);
      await store.close();
    });

    it('commits atomically: a gap in seq changes nothing', async () => {
      const store = await open();
      await store.createRun(run('r2'), [taskRecord('r2', 'a', 0)]);
      await expect(
        store.commit(asRunId('r2'), { run: { state: 'completed' }, tasks: [taskRecord('r2', 'a', 0, { state: 'completed' })], events: [event('r2', 2)] }),
      ).rejects.toMatchObject({ code: 'INTERNAL' });
      expect((await store.getRun(asRunId('r2')))?.state).toBe('running');
      expect((await store.getTasks(asRunId('r2')))[0]?.state).toBe('pending');
      await store.commit(asRunId('r2'), { run: { state: 'completed' }, tasks: [taskRecord('r2', 'a', 0, { state: 'completed' })], events: [event('r2', 1), event('r2', 2)] });
      expect(await store.getRun(asRunId('r2'))).toMatchObject({ state: 'completed', lastSeq: 2 });
      expect((await store.readEvents(asRunId('r2'), 1)).map((item) => item.seq)).toEqual([2]);
      expect((await store.readEvents(asRunId('r2'), 0, 1)).map((item) => item.seq)).toEqual([1]);
      await expect(store.commit(asRunId('nope'), {})).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
      await store.close();
    });

    it('enforces idempotency keys per tenant and finds by key', async () => {
      const store = await open();
      await store.createRun(run('r3', { idempotencyKey: 'k' }), []);
      await store.createRun(run('r4', { idempotencyKey: 'k', tenant: 'other' }), []);
      await expect(store.createRun(run('r5', { idempotencyKey: 'k' }), [])).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      expect((await store.findByIdempotencyKey('acme', 'k'))?.id).toBe('r3');
      expect(await store.findByIdempotencyKey('acme', 'missing')).toBeUndefined();
      await store.close();
    });

    it('lists a tenant’s runs newest first with a cursor and a state filter; finds runs by state', async () => {
      const store = await open();
      for (let index = 0; index < 5; index += 1) {
        await store.createRun(run(`l${index}`, { state: index % 2 === 0 ? 'running' : 'completed' }), []);
      }
      await store.createRun(run('x', { tenant: 'other' }), []);
      const first = await store.listRuns({ tenant: 'acme', limit: 2 });
      expect(first.items.map((item) => item.id)).toEqual(['l4', 'l3']);
      const second = await store.listRuns({ tenant: 'acme', limit: 2, cursor: first.nextCursor ?? '' });
      expect(second.items.map((item) => item.id)).toEqual(['l2', 'l1']);
      const third = await store.listRuns({ tenant: 'acme', limit: 2, cursor: second.nextCursor ?? '' });
      expect(third).toEqual({ items: [expect.objectContaining({ id: 'l0' })], nextCursor: null });
      expect((await store.listRuns({ tenant: 'acme', state: 'completed' })).items.map((item) => item.id)).toEqual(['l3', 'l1']);
      expect((await store.findRunsByState('running')).map((item) => item.id)).toEqual(['l0', 'l2', 'l4', 'x']);
      await expect(store.listRuns({ tenant: 'acme', cursor: '!!' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await store.close();
    });

    it('returns the full record (spec included) after many commits, and writes only the tasks it is given', async () => {
      const store = await open();
      const spec = { tasks: Array.from({ length: 50 }, (_, index) => ({ id: `t${index}`, prompt: `prompt ${index}` })), policy: { maxParallelism: 3 } };
      await store.createRun(run('full', { spec, requestHash: 'h', parentScopes: ['tenant:acme'], owner: 'p' }), [
        taskRecord('full', 't0', 0),
        taskRecord('full', 't1', 1),
      ]);
      await store.commit(asRunId('full'), { tasks: [taskRecord('full', 't1', 1, { state: 'running', attempts: 1 })], events: [event('full', 1)] });
      await store.commit(asRunId('full'), {
        run: { state: 'failed', updatedAt: '2026-01-01T00:00:01.000Z', error: { code: 'RUN_ABORTED', message: 'stop', details: { reason: 'x' } } },
      });
      expect(await store.getRun(asRunId('full'))).toEqual({
        ...run('full', { spec, requestHash: 'h', parentScopes: ['tenant:acme'], owner: 'p' }),
        state: 'failed',
        updatedAt: '2026-01-01T00:00:01.000Z',
        error: { code: 'RUN_ABORTED', message: 'stop', details: { reason: 'x' } },
        lastSeq: 1,
      });
      expect(await store.getTasks(asRunId('full'))).toEqual([taskRecord('full', 't0', 0), taskRecord('full', 't1', 1, { state: 'running', attempts: 1 })]);
      await store.close();
    });

    // A durable store opens a fresh database per case: give the property room on a loaded machine.
    it('property: readEvents(afterSeq, limit) is the slice of the journal, however commits grouped the events', { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 12 }),
          fc.array(fc.tuple(fc.integer({ min: -1, max: 45 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 8 }),
          async (sizes, reads) => {
            const store = await open();
            const runId = asRunId('ev');
            const [first = 0, ...rest] = sizes;
            let seq = 0;
            const batch = (size: number) => Array.from({ length: size }, () => event('ev', ++seq));
            await store.createRun(run('ev'), [], batch(first));
            for (const size of rest) await store.commit(runId, { events: batch(size) });
            const all = Array.from({ length: seq }, (_, index) => event('ev', index + 1));
            expect(await store.readEvents(runId)).toEqual(all);
            for (const [afterSeq, limit] of reads) {
              const from = Math.max(0, afterSeq);
              expect(await store.readEvents(runId, afterSeq, limit)).toEqual(all.slice(from, from + limit));
            }
            expect(await store.readEvents(asRunId('other'))).toEqual([]);
            await store.close();
          },
        ),
        { numRuns: 30 },
      );
    });

    it('checkWrite writes without touching any run; a closed store answers STORE_ERROR', async () => {
      const store = await open();
      await expect(store.checkWrite()).resolves.toBeUndefined();
      await store.createRun(run('w1'), [taskRecord('w1', 'a', 0)], [event('w1', 1)]);
      const before = { run: await store.getRun(asRunId('w1')), tasks: await store.getTasks(asRunId('w1')), events: await store.readEvents(asRunId('w1')) };
      await store.checkWrite();
      await store.checkWrite();
      expect({ run: await store.getRun(asRunId('w1')), tasks: await store.getTasks(asRunId('w1')), events: await store.readEvents(asRunId('w1')) }).toEqual(before);
      await store.close();
      await expect(store.checkWrite()).rejects.toMatchObject({ code: 'STORE_ERROR', isRetryable: false });
    });

    it('closes idempotently; a closed store answers STORE_ERROR', async () => {
      const store = await open();
      await store.createRun(run('c1'), []);
      await store.close();
      await store.close();
      await expect(store.getRun(asRunId('c1'))).rejects.toMatchObject({ code: 'STORE_ERROR', isRetryable: false });
      await expect(store.commit(asRunId('c1'), { events: [event('c1', 1)] })).rejects.toMatchObject({ code: 'STORE_ERROR' });
      await expect(store.acquireLease(asRunId('c1'), 'p', 1000, 0)).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });

  leaseContract(name, open);
  requestContract(name, open, target.location);
  if (target.location !== undefined) durableContract(name, target.location);
}
