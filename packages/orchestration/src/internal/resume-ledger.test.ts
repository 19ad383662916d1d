import { EMPTY_USAGE, asReservationId, asRunId, asTaskId, type Money, type TaskRecord, type RuntimeEvent, type TaskState, type Usage } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { fakeLedger, model } from '../../test/support/fakes.js';
import { lateReservationIds, summaryReservationId } from './bill-once.js';
import { recheckCharges, recoverCharges, unclosedHolds } from './resume-ledger.js';
import { runtimeFromRecord } from './task-runtime.js';

const usage = (input: number, output: number): Usage => ({ ...EMPTY_USAGE, inputTokens: input, outputTokens: output });

function record(index: number, state: TaskState, reservationId?: string): TaskRecord {
  return {
    runId: asRunId('r'),
    id: asTaskId(`t${index}`),
    index,
    spec: { id: `t${index}`, prompt: 'p' },
    state,
    model: 'fast',
    attempts: 1,
    usage: EMPTY_USAGE,
    cost: 0n as Money,
    ...(reservationId === undefined ? {} : { reservationId: asReservationId(reservationId) }),
  };
}

describe('recoverCharges (resume reconciliation)', () => {
  it('recovers settled and late-held charges of running tasks, releases open ones, skips zero dedup settles and finished tasks', async () => {
    const ledger = fakeLedger();
    await ledger.setLimit('run:r', null);
    const scopes = ['run:r'];
    const hold = (id: string, amount: bigint) => ledger.reserve(scopes, amount as Money, { id: asReservationId(id) });
    // t0: settled with usage, never journaled.
    await ledger.settle((await hold('r/t0/1@1.a', 100n)).id, 40n as Money, { usage: usage(10, 4) });
    // t1: released under the call, charged through the second late hold.
    const released = await hold('r/t1/1@1.a', 100n);
    await ledger.release(released.id);
    const [firstLate, secondLate] = lateReservationIds(released.id);
    expect([firstLate, secondLate].map(String)).toEqual(['r/t1/1@1.a/late', 'r/t1/1@1.a/late.2']);
    await ledger.release((await hold(String(firstLate), 0n)).id);
    await ledger.settle((await hold(String(secondLate), 0n)).id, 30n as Money, { usage: usage(7, 2) });
    // t2: still open (its call died with the owner).
    const open = await hold('r/t2/1@1.a', 100n);
    // t3: a deduplicated answer settled at zero without usage.
    await ledger.settle((await hold('r/t3/1@1.a', 100n)).id, 0n as Money);
    // t4: completed and journaled; t5: running but never reserved.
    await ledger.settle((await hold('r/t4/1@1.a', 100n)).id, 5n as Money, { usage: usage(1, 1) });
    const records = [
      record(0, 'running', 'r/t0/1@1.a'),
      record(1, 'running', 'r/t1/1@1.a'),
      record(2, 'running', 'r/t2/1@1.a'),
      record(3, 'running', 'r/t3/1@1.a'),
      record(4, 'completed'),
      record(5, 'running'),
    ];
    const tasks = records.map((entry) => runtimeFromRecord(entry, model('fast', 'fast'), 100));
    const { charges: recovered } = await recoverCharges(ledger, records, tasks);
    expect(recovered.map(({ task, settlement, usage: used }) => [task.id, String(settlement.id), settlement.actual, used])).toEqual([
      ['t0', 'r/t0/1@1.a', 40n, usage(10, 4)],
      ['t1', 'r/t1/1@1.a/late.2', 30n, usage(7, 2)],
    ]);
    expect((await ledger.lookup(open.id))?.state).toBe('released');
    expect(ledger.open()).toBe(0);
    expect(await ledger.snapshot('run:r')).toMatchObject({ spent: 75n, reserved: 0n });
  });

  it('recovers a summary call whose hold the journal names on a task not yet started; a summary already journaled is not looked up', async () => {
    const ledger = fakeLedger();
    await ledger.setLimit('run:r', null);
    const scopes = ['run:r'];
    const hold = (id: string, amount: bigint) => ledger.reserve(scopes, amount as Money, { id: asReservationId(id) });
    // t0: the summary settled, the owner died before journaling it (the journal names its hold).
    const summary = summaryReservationId(asReservationId('r/t0/1@1.a'));
    expect(String(summary)).toBe('r/t0/1@1.a/summary');
    await ledger.settle((await hold(String(summary), 100n)).id, 20n as Money, { usage: usage(50, 5) });
    // t1: its summary was journaled (in its usage) and its call started: only the call's hold is named.
    await ledger.settle((await hold('r/t1/1@1.a/summary', 100n)).id, 20n as Money, { usage: usage(50, 5) });
    await hold('r/t1/1@1.a', 100n);
    const records = [record(0, 'ready', String(summary)), record(1, 'running', 'r/t1/1@1.a')];
    const tasks = records.map((entry) => runtimeFromRecord(entry, model('fast', 'fast'), 100));
    const { charges, unsettled } = await recoverCharges(ledger, records, tasks);
    expect(charges.map(({ task, settlement }) => [task.id, String(settlement.id), settlement.actual])).toEqual([['t0', 'r/t0/1@1.a/summary', 20n]]);
    // t1's hold was open (released now): it and its late holds are looked up again when the run ends.
    expect(unsettled.map(({ task, ids }) => [task.id, ids.map(String)])).toEqual([['t1', ['r/t1/1@1.a', ...lateReservationIds(asReservationId('r/t1/1@1.a')).map(String)]]]);
  });

  it('recheckCharges finds what a frozen owner charged after the resume looked (its late hold), and nothing twice', async () => {
    const ledger = fakeLedger();
    await ledger.setLimit('run:r', null);
    const scopes = ['run:r'];
    const hold = (id: string, amount: bigint) => ledger.reserve(scopes, amount as Money, { id: asReservationId(id) });
    await hold('r/t0/1@1.a', 100n);
    const records = [record(0, 'running', 'r/t0/1@1.a')];
    const tasks = records.map((entry) => runtimeFromRecord(entry, model('fast', 'fast'), 100));
    const { charges, unsettled } = await recoverCharges(ledger, records, tasks);
    expect(charges).toEqual([]);
    expect(await recheckCharges(ledger, unsettled)).toEqual([]);
    // The zombie's call answers: its hold was released, so bill-once charges it through <id>/late.
    const [late] = lateReservationIds(asReservationId('r/t0/1@1.a'));
    await ledger.settle((await hold(String(late), 0n)).id, 33n as Money, { usage: usage(9, 3) });
    const again = await recheckCharges(ledger, unsettled);
    expect(again.map(({ task, settlement, usage: used }) => [task.id, String(settlement.id), settlement.actual, used])).toEqual([['t0', 'r/t0/1@1.a/late', 33n, usage(9, 3)]]);
  });
});

describe('unclosedHolds (agent holds named by events only)', () => {
  it('lists the journaled holds of unfinished tasks closed by no settle or release, under their id or a late id', () => {
    const runId = asRunId('r');
    const late = lateReservationIds(asReservationId('h/closed-late'))[0] as string;
    const at = new Date(0).toISOString();
    const event = (seq: number, body: Record<string, unknown>) => ({ runId, seq, at, ...body }) as unknown as RuntimeEvent;
    const events = [
      event(1, { type: 'budget.reserved', taskId: 't0', reservationId: 'h/open', amountUsd: 1 }),
      event(2, { type: 'budget.reserved', taskId: 't0', reservationId: 'h/settled', amountUsd: 1 }),
      event(3, { type: 'budget.settled', taskId: 't0', reservationId: 'h/settled', costUsd: 1, reservedUsd: 1 }),
      event(4, { type: 'budget.reserved', taskId: 't0', reservationId: 'h/released', amountUsd: 1 }),
      event(5, { type: 'budget.released', taskId: 't0', reservationId: 'h/released', amountUsd: 1 }),
      event(6, { type: 'budget.reserved', taskId: 't0', reservationId: 'h/closed-late', amountUsd: 1 }),
      event(7, { type: 'budget.settled', taskId: 't0', reservationId: late, costUsd: 1, reservedUsd: 1 }),
      event(8, { type: 'budget.reserved', taskId: 't1', reservationId: 'h/finished-task', amountUsd: 1 }),
    ];
    expect(unclosedHolds(events, [record(0, 'running'), record(1, 'completed')])).toEqual(new Map([[0, ['h/open']]]));
  });
});
