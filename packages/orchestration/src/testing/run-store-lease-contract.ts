/** The ownership half of the RunStore contract: leases, fenced commits, resumable runs. */
import fc from 'fast-check';
import { asRunId, asTaskId, RunStateError, type RunLease, type RunStore, type RuntimeEvent } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { event, run, taskRecord } from './run-store-fixtures.js';

const id = asRunId;

function readyEvent(runId: string, seq: number, taskId: string): RuntimeEvent {
  return { type: 'task.ready', taskId: asTaskId(taskId), runId: asRunId(runId), seq, at: '2026-01-01T00:00:00.000Z' };
}

type Operation =
  | { readonly kind: 'acquire'; readonly who: 0 | 1; readonly ttl: number }
  | { readonly kind: 'renew'; readonly who: 0 | 1; readonly ttl: number }
  | { readonly kind: 'release'; readonly who: 0 | 1 }
  | { readonly kind: 'commit'; readonly who: 0 | 1; readonly terminal: boolean }
  | { readonly kind: 'tick'; readonly ms: number };

const who = fc.constantFrom(0 as const, 1 as const);
const ttl = fc.integer({ min: 1, max: 40 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('acquire' as const), who, ttl }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('renew' as const), who, ttl }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), who }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('commit' as const), who, terminal: fc.integer({ min: 0, max: 9 }).map((roll) => roll === 0) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export function leaseContract(name: string, open: () => RunStore | Promise<RunStore>): void {
  describe(`${name} (RunStore contract: leases and fencing)`, () => {
    it('stores the creator’s lease; the owner follows the lease', async () => {
      const store = await open();
      await store.createRun(run('c', { lease: { owner: 'p1', epoch: 1, expiresAt: 1_000 } }), []);
      expect(await store.getRun(id('c'))).toMatchObject({ owner: 'p1', lease: { owner: 'p1', epoch: 1, expiresAt: 1_000 } });
      await store.createRun(run('free'), []);
      expect((await store.getRun(id('free')))?.lease).toBeUndefined();
      await store.close();
    });

    it('acquires a free, an expired or its own lease; never another owner’s live one', async () => {
      const store = await open();
      await store.createRun(run('a'), []);
      const first = await store.acquireLease(id('a'), 'p1', 100, 1_000);
      expect(first).toEqual({ owner: 'p1', epoch: 1, expiresAt: 1_100 });
      expect(await store.acquireLease(id('a'), 'p2', 100, 1_099)).toBeUndefined();
      expect(await store.getRun(id('a'))).toMatchObject({ owner: 'p1', lease: first });
      // The same owner again: renewed, same epoch.
      expect(await store.acquireLease(id('a'), 'p1', 100, 1_050)).toEqual({ owner: 'p1', epoch: 1, expiresAt: 1_150 });
      // Expired (expiresAt has been reached): taken over, epoch + 1.
      const taken = await store.acquireLease(id('a'), 'p2', 50, 1_150);
      expect(taken).toEqual({ owner: 'p2', epoch: 2, expiresAt: 1_200 });
      expect(await store.getRun(id('a'))).toMatchObject({ owner: 'p2', lease: taken });
      await expect(store.acquireLease(id('missing'), 'p1', 100, 0)).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
      await expect(store.acquireLease(id('a'), 'p1', 0, 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store.acquireLease(id('a'), '', 10, 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(store.acquireLease(id('a'), 'p1', 10, Number.NaN)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await store.close();
    });

    it('fences commits: a stale owner writes nothing, an expired lease not yet taken over still writes', async () => {
      const store = await open();
      await store.createRun(run('f', { lease: { owner: 'p1', epoch: 1, expiresAt: 100 } }), [taskRecord('f', 'a', 0)]);
      await store.commit(id('f'), { fence: { owner: 'p1', epoch: 1 }, events: [event('f', 1)] });
      // Past expiresAt, nobody took over: accepted.
      await store.commit(id('f'), { fence: { owner: 'p1', epoch: 1 }, events: [event('f', 2)] });
      expect(await store.acquireLease(id('f'), 'p2', 100, 200)).toMatchObject({ owner: 'p2', epoch: 2 });
      const stale = await rejection(
        store.commit(id('f'), {
          fence: { owner: 'p1', epoch: 1 },
          run: { state: 'completed' },
          tasks: [taskRecord('f', 'a', 0, { state: 'completed' })],
          events: [event('f', 3)],
        }),
      );
      expect(RunStateError.isInstance(stale)).toBe(true);
      expect(stale).toMatchObject({ code: 'LEASE_LOST', details: { runId: 'f', owner: 'p1', epoch: 1, currentOwner: 'p2', currentEpoch: 2 } });
      expect(await store.getRun(id('f'))).toMatchObject({ state: 'running', lastSeq: 2, owner: 'p2' });
      expect((await store.getTasks(id('f')))[0]?.state).toBe('pending');
      expect(await store.readEvents(id('f'))).toHaveLength(2);
      // Wrong owner with the right epoch, or the right owner with a wrong epoch: refused too.
      await expect(store.commit(id('f'), { fence: { owner: 'p3', epoch: 2 }, events: [event('f', 3)] })).rejects.toMatchObject({ code: 'LEASE_LOST' });
      await expect(store.commit(id('f'), { fence: { owner: 'p2', epoch: 3 }, events: [event('f', 3)] })).rejects.toMatchObject({ code: 'LEASE_LOST' });
      await store.commit(id('f'), { fence: { owner: 'p2', epoch: 2 }, events: [event('f', 3)] });
      expect((await store.getRun(id('f')))?.lastSeq).toBe(3);
      // A fence on a run nobody owns is refused; a commit without a fence is not fenced.
      await store.createRun(run('g'), []);
      await expect(store.commit(id('g'), { fence: { owner: 'p1', epoch: 0 }, events: [event('g', 1)] })).rejects.toMatchObject({ code: 'LEASE_LOST' });
      await store.commit(id('g'), { events: [event('g', 1)] });
      // Checked before the sequence: a stale writer learns it lost the lease, not a seq error.
      await expect(store.commit(id('f'), { fence: { owner: 'p1', epoch: 1 }, events: [event('f', 9)] })).rejects.toMatchObject({ code: 'LEASE_LOST' });
      await store.close();
    });

    it('renews only the current lease, and extends it', async () => {
      const store = await open();
      await store.createRun(run('r', { lease: { owner: 'p1', epoch: 1, expiresAt: 100 } }), []);
      expect(await store.renewLease(id('r'), { owner: 'p1', epoch: 1 }, 100, 150)).toEqual({ owner: 'p1', epoch: 1, expiresAt: 250 });
      expect(await store.acquireLease(id('r'), 'p2', 100, 249)).toBeUndefined();
      expect(await store.acquireLease(id('r'), 'p2', 100, 250)).toEqual({ owner: 'p2', epoch: 2, expiresAt: 350 });
      await expect(store.renewLease(id('r'), { owner: 'p1', epoch: 1 }, 100, 260)).rejects.toMatchObject({
        code: 'LEASE_LOST',
        details: { owner: 'p1', epoch: 1, currentEpoch: 2 },
      });
      await expect(store.renewLease(id('nope'), { owner: 'p1', epoch: 1 }, 100, 0)).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
      await store.close();
    });

    it('releases only the current lease; epochs keep increasing across releases', async () => {
      const store = await open();
      await store.createRun(run('l', { lease: { owner: 'p1', epoch: 1, expiresAt: 1_000 } }), []);
      await store.releaseLease(id('l'), { owner: 'p1', epoch: 0 });
      expect((await store.getRun(id('l')))?.lease).toEqual({ owner: 'p1', epoch: 1, expiresAt: 1_000 });
      await store.releaseLease(id('l'), { owner: 'p1', epoch: 1 });
      expect((await store.getRun(id('l')))?.lease).toBeUndefined();
      expect((await store.getRun(id('l')))?.owner).toBe('p1');
      await store.releaseLease(id('l'), { owner: 'p1', epoch: 1 });
      await store.releaseLease(id('unknown'), { owner: 'p1', epoch: 1 });
      await expect(store.commit(id('l'), { fence: { owner: 'p1', epoch: 1 }, events: [event('l', 1)] })).rejects.toMatchObject({ code: 'LEASE_LOST' });
      // Re-acquiring after a release is a new epoch, even for the same owner.
      expect(await store.acquireLease(id('l'), 'p1', 10, 0)).toEqual({ owner: 'p1', epoch: 2, expiresAt: 10 });
      expect(await store.acquireLease(id('l'), 'p2', 10, 10)).toEqual({ owner: 'p2', epoch: 3, expiresAt: 20 });
      await store.close();
    });

    it('clears the lease when a commit ends the run; later fenced writes are refused', async () => {
      const store = await open();
      await store.createRun(run('t', { lease: { owner: 'p1', epoch: 1, expiresAt: 1_000 } }), []);
      await store.commit(id('t'), { fence: { owner: 'p1', epoch: 1 }, run: { state: 'completed' }, events: [event('t', 1)] });
      const ended = await store.getRun(id('t'));
      expect(ended).toMatchObject({ state: 'completed', owner: 'p1' });
      expect(ended).not.toHaveProperty('lease');
      await expect(store.commit(id('t'), { fence: { owner: 'p1', epoch: 1 }, events: [event('t', 2)] })).rejects.toMatchObject({ code: 'LEASE_LOST' });
      await store.releaseLease(id('t'), { owner: 'p1', epoch: 1 });
      expect(await store.findResumableRuns(Number.MAX_SAFE_INTEGER)).toEqual([]);
      await store.close();
    });

    it('refuses a commit that names an owner other than the lease holder', async () => {
      const store = await open();
      await store.createRun(run('o', { lease: { owner: 'p1', epoch: 1, expiresAt: 1_000 } }), []);
      await expect(store.commit(id('o'), { run: { owner: 'p2' } })).rejects.toMatchObject({ code: 'RUN_OWNED', details: { owner: 'p1', expiresAt: 1_000 } });
      await store.commit(id('o'), { fence: { owner: 'p1', epoch: 1 }, run: { owner: 'p1' } });
      expect((await store.getRun(id('o')))?.owner).toBe('p1');
      await store.close();
    });

    it('finds resumable runs: unfinished, lease absent or expired; oldest first, bounded', async () => {
      const store = await open();
      await store.createRun(run('live', { lease: { owner: 'p1', epoch: 1, expiresAt: 500 } }), []);
      await store.createRun(run('expired', { lease: { owner: 'p1', epoch: 1, expiresAt: 100 } }), []);
      await store.createRun(run('unowned', { state: 'pending' }), []);
      await store.createRun(run('finished', { state: 'completed' }), []);
      await store.createRun(run('edge', { tenant: 'other', lease: { owner: 'p2', epoch: 4, expiresAt: 300 } }), []);
      await store.createRun(run('released', { lease: { owner: 'p2', epoch: 1, expiresAt: 900 } }), []);
      await store.releaseLease(id('released'), { owner: 'p2', epoch: 1 });
      const ids = async (now: number, limit?: number): Promise<string[]> => (await store.findResumableRuns(now, limit)).map((record) => record.id);
      expect(await ids(300)).toEqual(['expired', 'unowned', 'edge', 'released']);
      expect(await ids(299)).toEqual(['expired', 'unowned', 'released']);
      expect(await ids(500, 2)).toEqual(['live', 'expired']);
      expect((await store.findResumableRuns(300))[0]).toMatchObject({ id: 'expired', spec: run('x').spec, lease: { owner: 'p1', epoch: 1, expiresAt: 100 } });
      expect(await ids(0)).toEqual(['unowned', 'released']);
      await store.acquireLease(id('unowned'), 'p3', 50, 0);
      expect(await ids(49)).toEqual(['released']);
      await store.close();
    });

    it('property: two owners interleaving acquire, renew, release and fenced commits never both write', { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (operations) => {
          const store = await open();
          const runId = id('p');
          const owners = ['A', 'B'] as const;
          await store.createRun(run('p'), []);
          let now = 0;
          let holder: RunLease | undefined;
          let lastEpoch = 0;
          const known: (RunLease | undefined)[] = [undefined, undefined];
          const written: RuntimeEvent[] = [];
          let writer: string | undefined;
          for (const step of operations) {
            if (step.kind === 'tick') {
              now += step.ms;
              continue;
            }
            const owner = owners[step.who];
            if (step.kind === 'acquire') {
              const free = holder === undefined || holder.owner === owner || holder.expiresAt <= now;
              const lease = await store.acquireLease(runId, owner, step.ttl, now);
              if (!free) {
                expect(lease).toBeUndefined();
                continue;
              }
              const epoch = holder?.owner === owner ? holder.epoch : lastEpoch + 1;
              expect(lease).toEqual({ owner, epoch, expiresAt: now + step.ttl });
              expect(epoch).toBeGreaterThanOrEqual(lastEpoch);
              holder = lease;
              lastEpoch = epoch;
              known[step.who] = lease;
              writer = owner;
              continue;
            }
            const mine = known[step.who];
            if (mine === undefined) continue;
            const current = holder !== undefined && holder.owner === mine.owner && holder.epoch === mine.epoch;
            if (step.kind === 'renew') {
              if (current) {
                holder = { owner, epoch: mine.epoch, expiresAt: now + step.ttl };
                expect(await store.renewLease(runId, mine, step.ttl, now)).toEqual(holder);
                known[step.who] = holder;
              } else {
                await expect(store.renewLease(runId, mine, step.ttl, now)).rejects.toMatchObject({ code: 'LEASE_LOST' });
              }
            } else if (step.kind === 'release') {
              await store.releaseLease(runId, mine);
              if (current) holder = undefined;
            } else {
              const next = readyEvent('p', written.length + 1, owner);
              const commit = store.commit(runId, { fence: mine, events: [next], ...(step.terminal ? { run: { state: 'failed' as const } } : {}) });
              if (current) {
                await commit;
                written.push(next);
                if (step.terminal) holder = undefined;
              } else {
                await expect(commit).rejects.toMatchObject({ code: 'LEASE_LOST', details: { owner, epoch: mine.epoch, currentEpoch: lastEpoch } });
              }
            }
          }
          const record = await store.getRun(runId);
          expect(record?.lease).toEqual(holder);
          expect(record?.owner).toBe(writer);
          expect(record?.lastSeq).toBe(written.length);
          // Each accepted event was written by the holder of the lease at that moment, in order.
          expect(await store.readEvents(runId)).toEqual(written);
          await store.close();
        }),
        { numRuns: 60 },
      );
    });
  });
}
