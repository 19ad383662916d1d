/**
 * The durable half of the RunStore contract: what was committed survives closing and reopening, and
 * two instances on the same data (two connections or pools, as two processes or replicas have) see
 * each other's writes and race for one run without two writers ever passing the fence.
 */
import { asRunId, asTaskId, RuntimeError, type RunLease, type RunStore } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { run, taskRecord } from './run-store-fixtures.js';

type Open = () => RunStore | Promise<RunStore>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A small deterministic generator (mulberry32), so a failing race can be replayed by its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Tally {
  accepted: number;
  lost: number;
  readonly unexpected: string[];
}

/**
 * One racer: takes the lease when it can, appends fenced events naming itself and its epoch, and
 * now and then stalls past its TTL (as a paused process would) so the other takes over.
 */
async function race(store: RunStore, owner: string, seed: number, durationMs: number, ttlMs: number): Promise<Tally> {
  const runId = asRunId('race');
  const random = seeded(seed);
  const tally: Tally = { accepted: 0, lost: 0, unexpected: [] };
  let lease: RunLease | undefined;
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    if (lease === undefined) {
      lease = await store.acquireLease(runId, owner, ttlMs, Date.now());
      if (lease === undefined) {
        await sleep(1);
        continue;
      }
    }
    const seq = ((await store.getRun(runId))?.lastSeq ?? 0) + 1;
    try {
      await store.commit(runId, {
        fence: lease,
        events: [{ type: 'task.ready', runId, seq, at: new Date().toISOString(), taskId: asTaskId(`${owner}@${lease.epoch}`) }],
      });
      tally.accepted += 1;
    } catch (error) {
      if (RuntimeError.isInstance(error) && error.code === 'LEASE_LOST') {
        tally.lost += 1;
        lease = undefined;
      } else {
        // Anything else — above all a seq error — would mean two writers passed the fence.
        tally.unexpected.push(error instanceof Error ? error.message : String(error));
        break;
      }
    }
    if (random() < 0.05) await sleep(ttlMs + 2);
    else if (random() < 0.3) await sleep(0);
  }
  return tally;
}

export function durableContract(name: string, location: () => Open): void {
  describe(`${name} (RunStore contract: durable, several instances)`, () => {
    it('keeps what was committed across close and reopen', async () => {
      const open = location();
      const store = await open();
      await store.createRun(run('durable', { lease: { owner: 'p1', epoch: 1, expiresAt: 5_000 } }), [taskRecord('durable', 'a', 0)]);
      await store.commit(asRunId('durable'), {
        fence: { owner: 'p1', epoch: 1 },
        run: { state: 'completed' },
        tasks: [taskRecord('durable', 'a', 0, { state: 'completed', output: 'A' })],
      });
      await store.close();
      const reopened = await open();
      const record = await reopened.getRun(asRunId('durable'));
      expect(record).toMatchObject({ state: 'completed', owner: 'p1', budgetLimit: 123_456_789_012_345_678_901n });
      expect(record).not.toHaveProperty('lease');
      expect((await reopened.getTasks(asRunId('durable')))[0]).toMatchObject({ state: 'completed', output: 'A', cost: 987_654_321_987_654_321n });
      expect(await reopened.acquireLease(asRunId('durable'), 'p2', 10, 0)).toEqual({ owner: 'p2', epoch: 2, expiresAt: 10 });
      await reopened.close();
    });

    it('returns each run’s own spec, past any spec cache’s capacity and after reopening', async () => {
      const open = location();
      const store = await open();
      const specOf = (index: number) => ({ tasks: [{ id: `only-${index}`, prompt: `prompt ${index}` }] });
      for (let index = 0; index < 40; index += 1) await store.createRun(run(`s${index}`, { spec: specOf(index) }), []);
      for (const index of [0, 39, 5, 0, 17, 33, 5, 21, 2, 39]) expect((await store.getRun(asRunId(`s${index}`)))?.spec).toEqual(specOf(index));
      const page = await store.listRuns({ tenant: 'acme', limit: 40 });
      expect(page.items.map((item) => item.spec)).toEqual(Array.from({ length: 40 }, (_, index) => specOf(39 - index)));
      await store.close();
      const reopened = await open();
      expect((await reopened.findResumableRuns(0, 3)).map((item) => item.spec)).toEqual([specOf(0), specOf(1), specOf(2)]);
      await reopened.close();
    });

    it('two instances see each other’s writes at once: a run, its lease, its commits and its cursors', async () => {
      const open = location();
      const [left, right] = [await open(), await open()];
      try {
        await left.createRun(run('shared', { idempotencyKey: 'k' }), [taskRecord('shared', 'a', 0)]);
        expect((await right.findByIdempotencyKey('acme', 'k'))?.id).toBe('shared');
        await expect(right.createRun(run('other', { idempotencyKey: 'k' }), [])).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', details: { runId: 'shared' } });
        const lease = await right.acquireLease(asRunId('shared'), 'right', 1_000, 0);
        expect(lease).toEqual({ owner: 'right', epoch: 1, expiresAt: 1_000 });
        expect(await left.acquireLease(asRunId('shared'), 'left', 1_000, 10)).toBeUndefined();
        await right.commit(asRunId('shared'), {
          fence: { owner: 'right', epoch: 1 },
          tasks: [taskRecord('shared', 'a', 0, { state: 'running', attempts: 1 })],
          events: [{ type: 'task.started', runId: asRunId('shared'), seq: 1, at: 'x', taskId: asTaskId('a'), attempt: 1, model: 'm' }],
        });
        expect((await left.getTasks(asRunId('shared')))[0]).toMatchObject({ state: 'running', attempts: 1 });
        expect((await left.readEvents(asRunId('shared'))).map((event) => event.seq)).toEqual([1]);
        await left.createRun(run('newer'), []);
        const first = await right.listRuns({ tenant: 'acme', limit: 1 });
        expect(first.items.map((item) => item.id)).toEqual(['newer']);
        expect((await left.listRuns({ tenant: 'acme', limit: 1, cursor: first.nextCursor ?? '' })).items.map((item) => item.id)).toEqual(['shared']);
      } finally {
        await left.close();
        await right.close();
      }
    });

    it('two instances racing for one run: each epoch has one writer, epochs only grow along the journal, no seq conflict', { timeout: 30_000 }, async () => {
      const open = location();
      const setup = await open();
      const racers = [await open(), await open()] as const;
      try {
        await setup.createRun(run('race'), []);
        const tallies = await Promise.all([race(racers[0], 'left', 7, 800, 15), race(racers[1], 'right', 11, 800, 15)]);
        for (const tally of tallies) {
          expect(tally.unexpected).toEqual([]);
          expect(tally.accepted).toBeGreaterThan(0);
        }
        const events = await setup.readEvents(asRunId('race'));
        expect(events.length).toBe(tallies[0].accepted + tallies[1].accepted);
        expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
        const ownerOfEpoch = new Map<number, string>();
        let previousEpoch = 0;
        for (const event of events) {
          const [owner = '', epochText] = String((event as { taskId: string }).taskId).split('@');
          const epoch = Number(epochText);
          expect(epoch).toBeGreaterThanOrEqual(previousEpoch);
          expect(ownerOfEpoch.get(epoch) ?? owner).toBe(owner);
          ownerOfEpoch.set(epoch, owner);
          previousEpoch = epoch;
        }
        // The race must have exercised take-overs for this to mean something.
        expect(ownerOfEpoch.size).toBeGreaterThan(2);
        expect(tallies[0].lost + tallies[1].lost).toBeGreaterThan(0);
      } finally {
        await Promise.all([setup.close(), racers[0].close(), racers[1].close()]);
      }
    });
  });
}
