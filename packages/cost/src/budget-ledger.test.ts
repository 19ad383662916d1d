import { BudgetError, ValidationError, asReservationId, usd } from '@runtime/contracts';
import type { Money } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { describeLedgerSuite } from '../test/ledger-suite.js';
import { createBudgetLedger } from './budget-ledger.js';

describeLedgerSuite('in-memory', {
  create: (clock) => Promise.resolve(createBudgetLedger({ clock })),
  propertyRuns: 150,
});

describe('in-memory ledger specifics', () => {
  it('re-validates a scope array the caller changed after a first reserve', async () => {
    const ledger = createBudgetLedger();
    await ledger.setLimit('tenant:a', usd(10));
    await ledger.setLimit('tenant:b', usd(1));
    const scopes = ['tenant:a'];
    await ledger.reserve(scopes, usd(2));
    scopes[0] = 'tenant:b';
    await expect(ledger.reserve(scopes, usd(2))).rejects.toSatisfy((error: unknown) => BudgetError.isInstance(error) && error.code === 'BUDGET_EXCEEDED');
    scopes[0] = 'tenant:ghost';
    await expect(ledger.reserve(scopes, usd(1))).rejects.toSatisfy((error: unknown) => BudgetError.isInstance(error) && error.code === 'UNKNOWN_SCOPE');
    expect((await ledger.snapshot('tenant:a')).reserved).toBe(usd(2));
    expect((await ledger.snapshot('tenant:b')).reserved).toBe(0n);
  });

  it('refuses a caller-chosen id that one of its own generated reservations already used', async () => {
    const ledger = createBudgetLedger();
    await ledger.setLimit('tenant:a', usd(10));
    const generated = await ledger.reserve(['tenant:a'], usd(1));
    await ledger.settle(generated.id, usd(1));
    await expect(ledger.reserve(['tenant:a'], usd(1), { id: generated.id })).rejects.toBeInstanceOf(ValidationError);
    // An id of the generated form that the ledger has not issued yet is refused too (it would collide later).
    await expect(ledger.reserve(['tenant:a'], usd(1), { id: asReservationId(`${generated.id}0`) })).rejects.toBeInstanceOf(ValidationError);
    expect(await ledger.snapshot('tenant:a')).toMatchObject({ spent: usd(1), reserved: 0n });
  });

  it('forgets the oldest closed reservations beyond closedRetention', async () => {
    const ledger = createBudgetLedger({ closedRetention: 4 });
    await ledger.setLimit('tenant:a', null);
    const ids = [];
    for (let index = 0; index < 10; index++) {
      const hold = await ledger.reserve(['tenant:a'], usd(1));
      await ledger.settle(hold.id, usd(1));
      ids.push(hold.id);
    }
    const last = ids.at(-1);
    const first = ids[0];
    if (last === undefined || first === undefined) throw new Error('no ids');
    expect((await ledger.settle(last, usd(5))).actual).toBe(usd(1));
    await expect(ledger.settle(first, usd(1))).rejects.toSatisfy((error: unknown) => BudgetError.isInstance(error) && error.code === 'RESERVATION_NOT_FOUND');
    expect((await ledger.snapshot('tenant:a')).spent).toBe(usd(10));
  });

  it('remembers exactly the last closedRetention closed reservations and never forgets an open one', async () => {
    const ledger = createBudgetLedger({ closedRetention: 3 });
    await ledger.setLimit('tenant:a', null);
    const longHeld = await ledger.reserve(['tenant:a'], usd(7));
    const released = await ledger.reserve(['tenant:a'], usd(1));
    await ledger.release(released.id);
    const ids = [];
    for (let index = 0; index < 5; index++) {
      const hold = await ledger.reserve(['tenant:a'], usd(1));
      await ledger.settle(hold.id, usd(1));
      ids.push(hold.id);
    }
    const code = async (promise: Promise<unknown>): Promise<unknown> =>
      promise.then(
        () => 'ok',
        (error: unknown) => (BudgetError.isInstance(error) ? error.code : error),
      );
    // The release and the two oldest settlements are forgotten; the last three are remembered.
    expect(await ledger.lookup(released.id)).toBeUndefined();
    expect(await ledger.lookup(ids[1] ?? released.id)).toBeUndefined();
    expect(await ledger.lookup(ids[2] ?? released.id)).toMatchObject({ state: 'settled', settlement: { actual: usd(1) } });
    expect(await ledger.lookup(longHeld.id)).toMatchObject({ state: 'open', reservation: { amount: usd(7) } });
    expect(await code(ledger.release(released.id))).toBe('RESERVATION_NOT_FOUND');
    expect(await code(ledger.settle(ids[0] ?? released.id, usd(1)))).toBe('RESERVATION_NOT_FOUND');
    expect(await code(ledger.settle(ids[1] ?? released.id, usd(1)))).toBe('RESERVATION_NOT_FOUND');
    for (const id of ids.slice(2)) expect((await ledger.settle(id, usd(9))).actual).toBe(usd(1));
    // The reservation opened first is still open and settles normally.
    expect((await ledger.settle(longHeld.id, usd(2))).actual).toBe(usd(2));
    expect(await ledger.snapshot('tenant:a')).toMatchObject({ spent: usd(7), reserved: 0n });
  });

  it('finds a long-held reservation after thousands of newer ones reused its slot', async () => {
    const ledger = createBudgetLedger({ closedRetention: 3 });
    await ledger.setLimit('tenant:a', null);
    const longHeld = await ledger.reserve(['tenant:a'], usd(7));
    const released = await ledger.reserve(['tenant:a'], usd(5));
    for (let index = 0; index < 6000; index++) {
      const hold = await ledger.reserve(['tenant:a'], 1_000n as Money);
      await ledger.settle(hold.id, 1_000n as Money);
    }
    await ledger.release(released.id);
    await ledger.release(released.id);
    expect((await ledger.settle(longHeld.id, usd(2))).actual).toBe(usd(2));
    expect((await ledger.settle(longHeld.id, usd(3))).actual).toBe(usd(2));
    expect(await ledger.snapshot('tenant:a')).toMatchObject({ spent: usd(2) + 6_000_000n, reserved: 0n });
  });
});
