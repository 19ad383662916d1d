/** One behavioural suite every RunStore implementation must pass. */
import { asRunId, asTaskId, type RunRecord, type RunStore, type RuntimeEvent, type TaskRecord } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';

function run(id: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: asRunId(id),
    tenant: 'acme',
    spec: { tasks: [{ id: 'a', prompt: 'x' }] },
    state: 'running',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    budgetLimit: 123_456_789_012_345_678_901n as RunRecord['budgetLimit'] & bigint,
    lastSeq: 0,
    ...extra,
  };
}

function taskRecord(runId: string, id: string, index: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    runId: asRunId(runId),
    id: asTaskId(id),
    index,
    spec: { id, prompt: 'x' },
    state: 'pending',
    model: 'm',
    attempts: 0,
    usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    cost: 987_654_321_987_654_321n as TaskRecord['cost'],
    ...extra,
  };
}

function event(runId: string, seq: number): RuntimeEvent {
  return { type: 'task.ready', taskId: asTaskId('a'), runId: asRunId(runId), seq, at: '2026-01-01T00:00:00.000Z' };
}

export function runStoreContract(name: string, open: () => RunStore): void {
  describe(`${name} (RunStore contract)`, () => {
    it('creates a run with tasks and events and reads them back exactly (bigints included)', async () => {
      const store = open();
      await store.createRun(run('r1'), [taskRecord('r1', 'b', 1), taskRecord('r1', 'a', 0)], [event('r1', 1)]);
      expect(await store.getRun(asRunId('r1'))).toMatchObject({ id: 'r1', lastSeq: 1, budgetLimit: 123_456_789_012_345_678_901n });
      const tasks = await store.getTasks(asRunId('r1'));
      expect(tasks.map((task) => task.id)).toEqual(['a', 'b']);
      expect(tasks[0]?.cost).toBe(987_654_321_987_654_321n);
      expect(await store.readEvents(asRunId('r1'))).toEqual([event('r1', 1)]);
      await store.close();
    });

    it('commits atomically: a gap in seq changes nothing', async () => {
      const store = open();
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
      const store = open();
      await store.createRun(run('r3', { idempotencyKey: 'k' }), []);
      await store.createRun(run('r4', { idempotencyKey: 'k', tenant: 'other' }), []);
      await expect(store.createRun(run('r5', { idempotencyKey: 'k' }), [])).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
      expect((await store.findByIdempotencyKey('acme', 'k'))?.id).toBe('r3');
      expect(await store.findByIdempotencyKey('acme', 'missing')).toBeUndefined();
      await store.close();
    });

    it('lists a tenant’s runs newest first with a cursor and a state filter; finds runs by state', async () => {
      const store = open();
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
  });
}
