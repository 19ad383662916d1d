/**
 * The behavioural suite every BudgetLedger store must pass (run against memory and Redis).
 */
import { BudgetError, ValidationError, asReservationId, money, usd } from '@runtime/contracts';
import type { BudgetSnapshot, Money } from '@runtime/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SweepableBudgetLedger } from '../src/budget-ledger.js';
import { createFakeClock } from './fake-clock.js';
import type { FakeClock } from './fake-clock.js';

export interface LedgerHarness {
  readonly ledger: SweepableBudgetLedger;
  readonly clock: FakeClock;
}

export interface LedgerSuiteOptions {
  /** Creates a fresh, empty ledger on a fake clock. */
  readonly create: (clock: FakeClock) => Promise<SweepableBudgetLedger>;
  /** Runs of each property test. */
  readonly propertyRuns: number;
}

async function harness(options: LedgerSuiteOptions): Promise<LedgerHarness> {
  const clock = createFakeClock();
  return { ledger: await options.create(clock), clock };
}

async function snapshots(ledger: SweepableBudgetLedger, scopes: readonly string[]): Promise<BudgetSnapshot[]> {
  return Promise.all(scopes.map((scope) => ledger.snapshot(scope)));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (BudgetError.isInstance(error) || ValidationError.isInstance(error)) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

const TENANT = 'tenant:acme';
const USER = 'user:u1';
const RUN = 'run:r1';
const NESTED = [TENANT, USER, RUN] as const;

async function nested(options: LedgerSuiteOptions, limits: readonly [Money | null, Money | null, Money | null]): Promise<LedgerHarness> {
  const h = await harness(options);
  for (const [index, scope] of NESTED.entries()) await h.ledger.setLimit(scope, limits[index] ?? null);
  return h;
}

export function describeLedgerSuite(name: string, options: LedgerSuiteOptions): void {
  describe(`${name}: BudgetLedger behaviour`, () => {
    it('reserves in every nested scope and settles to the actual cost', async () => {
      const { ledger } = await nested(options, [usd(100), usd(10), usd(1)]);
      const hold = await ledger.reserve(NESTED, usd('0.4'));
      expect(hold.amount).toBe(usd('0.4'));
      expect(hold.scopes).toEqual(NESTED);
      for (const snapshot of await snapshots(ledger, NESTED)) {
        expect(snapshot.reserved).toBe(usd('0.4'));
        expect(snapshot.spent).toBe(0n);
      }
      const settlement = await ledger.settle(hold.id, usd('0.1234'));
      expect(settlement).toEqual({ id: hold.id, reserved: usd('0.4'), actual: usd('0.1234') });
      for (const snapshot of await snapshots(ledger, NESTED)) {
        expect(snapshot.reserved).toBe(0n);
        expect(snapshot.spent).toBe(usd('0.1234'));
      }
      expect((await ledger.snapshot(RUN)).limit).toBe(usd(1));
    });

    it('refuses a reserve that does not fit one scope, naming it, and changes nothing', async () => {
      const { ledger } = await nested(options, [usd(100), usd(1), null]);
      await ledger.reserve(NESTED, usd('0.7'));
      const before = await snapshots(ledger, NESTED);
      let caught: unknown;
      try {
        await ledger.reserve(NESTED, usd('0.5'));
      } catch (error) {
        caught = error;
      }
      expect(BudgetError.isInstance(caught)).toBe(true);
      const error = caught as BudgetError;
      expect(error.code).toBe('BUDGET_EXCEEDED');
      expect(error.details).toMatchObject({ scope: USER, limitUsd: 1, spentUsd: 0, reservedUsd: 0.7, requestedUsd: 0.5 });
      expect(await snapshots(ledger, NESTED)).toEqual(before);
      // Exactly the remainder still fits.
      await ledger.reserve(NESTED, usd('0.3'));
      expect((await ledger.snapshot(USER)).reserved).toBe(usd(1));
    });

    it('settle is idempotent: a repeat returns the first settlement and charges nothing more', async () => {
      const { ledger } = await nested(options, [usd(10), null, null]);
      const hold = await ledger.reserve([TENANT], usd(1));
      const first = await ledger.settle(hold.id, usd('0.25'));
      const again = await ledger.settle(hold.id, usd('0.9'));
      expect(again).toEqual(first);
      expect((await ledger.snapshot(TENANT)).spent).toBe(usd('0.25'));
    });

    it('release returns the amount; releasing again is a no-op; settle after release is refused', async () => {
      const { ledger } = await nested(options, [usd(10), null, null]);
      const hold = await ledger.reserve([TENANT], usd(2));
      await ledger.release(hold.id);
      await ledger.release(hold.id);
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: 0n, reserved: 0n });
      expect(await codeOf(ledger.settle(hold.id, usd(1)))).toBe('RESERVATION_CLOSED');
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: 0n, reserved: 0n });
    });

    it('release after settle is refused and changes nothing', async () => {
      const { ledger } = await nested(options, [usd(10), null, null]);
      const hold = await ledger.reserve([TENANT], usd(2));
      await ledger.settle(hold.id, usd(1));
      expect(await codeOf(ledger.release(hold.id))).toBe('RESERVATION_CLOSED');
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: usd(1), reserved: 0n });
    });

    it('unknown reservations are RESERVATION_NOT_FOUND', async () => {
      const { ledger } = await nested(options, [usd(10), null, null]);
      expect(await codeOf(ledger.settle(asReservationId('nope'), usd(1)))).toBe('RESERVATION_NOT_FOUND');
      expect(await codeOf(ledger.release(asReservationId('nope')))).toBe('RESERVATION_NOT_FOUND');
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: 0n, reserved: 0n });
    });

    it('an expired lease returns its amount; a late settle is refused but its money is charged once', async () => {
      const { ledger, clock } = await nested(options, [usd(10), null, null]);
      const hold = await ledger.reserve([TENANT], usd(4), { leaseMs: 1_000 });
      clock.advance(999);
      expect((await ledger.snapshot(TENANT)).reserved).toBe(usd(4));
      clock.advance(1);
      expect((await ledger.snapshot(TENANT)).reserved).toBe(0n);
      await ledger.release(hold.id);
      let caught: unknown;
      try {
        await ledger.settle(hold.id, usd(3));
      } catch (error) {
        caught = error;
      }
      expect(BudgetError.isInstance(caught) && caught.code === 'RESERVATION_CLOSED' && caught.details['charged'] === true).toBe(true);
      expect(await codeOf(ledger.settle(hold.id, usd(3)))).toBe('RESERVATION_CLOSED');
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: usd(3), reserved: 0n });
    });

    it('sweepExpired expires every passed lease', async () => {
      const { ledger, clock } = await nested(options, [usd(10), null, null]);
      await ledger.reserve([TENANT], usd(1), { leaseMs: 100 });
      await ledger.reserve([TENANT], usd(1), { leaseMs: 200 });
      await ledger.reserve([TENANT], usd(1), { leaseMs: 10_000 });
      clock.advance(500);
      expect(await ledger.sweepExpired()).toBe(2);
      expect((await ledger.snapshot(TENANT)).reserved).toBe(usd(1));
    });

    it('records actual spend above the reservation and then blocks further reserves', async () => {
      const { ledger } = await nested(options, [usd(1), null, null]);
      const hold = await ledger.reserve([TENANT], usd('0.5'));
      const settlement = await ledger.settle(hold.id, usd('1.5'));
      expect(settlement.actual).toBe(usd('1.5'));
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: usd('1.5'), reserved: 0n });
      expect(await codeOf(ledger.reserve([TENANT], money(1n)))).toBe('BUDGET_EXCEEDED');
    });

    it('reserving an open id again with the same amount and scopes returns the first reservation', async () => {
      const { ledger } = await nested(options, [usd(10), null, null]);
      const id = asReservationId('call-42');
      const first = await ledger.reserve([TENANT], usd(1), { id });
      const second = await ledger.reserve([TENANT], usd(1), { id });
      expect(second).toEqual(first);
      expect((await ledger.snapshot(TENANT)).reserved).toBe(usd(1));
    });

    it('reserving an open id again with another amount or scopes is refused and changes nothing', async () => {
      const { ledger } = await nested(options, [usd(10), usd(10), null]);
      const id = asReservationId('call-43');
      await ledger.reserve([TENANT], usd(1), { id });
      expect(await codeOf(ledger.reserve([TENANT], usd(5), { id }))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve([TENANT, USER], usd(1), { id }))).toBe('VALIDATION_FAILED');
      expect((await ledger.snapshot(TENANT)).reserved).toBe(usd(1));
      expect((await ledger.snapshot(USER)).reserved).toBe(0n);
    });

    it('reserving a closed id (released, settled or expired) fails with RESERVATION_CLOSED, never hands back the old hold', async () => {
      const { ledger, clock } = await nested(options, [money(1000n), null, null]);
      const unit = (n: number): Money => money(BigInt(n));
      const id = asReservationId('run-1/task-a/1');
      const first = await ledger.reserve([TENANT], unit(600), { id });
      await ledger.release(first.id);
      let caught: unknown;
      try {
        await ledger.reserve([TENANT], unit(600), { id });
      } catch (error) {
        caught = error;
      }
      expect(BudgetError.isInstance(caught) && caught.code).toBe('RESERVATION_CLOSED');
      expect(BudgetError.isInstance(caught) && caught.details).toMatchObject({ id, state: 'released' });
      // The second call must hold its own amount under its own id: 600 + 600 > 1000 is refused.
      const other = await ledger.reserve([TENANT], unit(600), { id: asReservationId('run-1/task-b/1') });
      expect(await codeOf(ledger.reserve([TENANT], unit(600), { id: asReservationId('run-1/task-c/1') }))).toBe('BUDGET_EXCEEDED');
      await ledger.settle(other.id, unit(600));
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: unit(600), reserved: 0n });

      const settledId = asReservationId('run-1/task-d/1');
      await ledger.setLimit(TENANT, usd(1000));
      await ledger.settle((await ledger.reserve([TENANT], unit(5), { id: settledId })).id, unit(5));
      const settledError = await ledger.reserve([TENANT], unit(5), { id: settledId }).then(() => undefined, (error: unknown) => error);
      expect(BudgetError.isInstance(settledError) && settledError.details).toMatchObject({ id: settledId, state: 'settled' });

      const expiredId = asReservationId('run-1/task-e/1');
      await ledger.reserve([TENANT], unit(5), { id: expiredId, leaseMs: 1_000 });
      clock.advance(2_000);
      const expiredError = await ledger.reserve([TENANT], unit(5), { id: expiredId }).then(() => undefined, (error: unknown) => error);
      expect(BudgetError.isInstance(expiredError) && expiredError.details).toMatchObject({ id: expiredId, state: 'expired' });
      expect((await ledger.snapshot(TENANT)).reserved).toBe(0n);
    });

    it('renew keeps a hold past its first lease (the lease it was made with by default, or leaseMs); nobody can take its room', async () => {
      const { ledger, clock } = await nested(options, [usd(10), null, null]);
      const hold = await ledger.reserve([TENANT], usd(6), { leaseMs: 1_000, holder: 'pid-1' });
      clock.advance(900);
      const renewed = await ledger.renew(hold.id);
      expect(renewed).toMatchObject({ id: hold.id, amount: usd(6), scopes: [TENANT], holder: 'pid-1', expiresAt: clock.now() + 1_000 });
      clock.advance(900);
      // 1,800 ms after the reserve: without the renewal the lease would have passed.
      expect(await ledger.snapshot(TENANT)).toMatchObject({ reserved: usd(6) });
      expect(await codeOf(ledger.reserve([TENANT], usd(5)))).toBe('BUDGET_EXCEEDED');
      const longer = await ledger.renew(hold.id, 5_000);
      expect(longer.expiresAt).toBe(clock.now() + 5_000);
      expect((await ledger.lookup(hold.id))?.reservation.expiresAt).toBe(longer.expiresAt);
      clock.advance(4_999);
      expect((await ledger.settle(hold.id, usd(2))).actual).toBe(usd(2));
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: usd(2), reserved: 0n });
    });

    it('renew refuses closed reservations (RESERVATION_CLOSED with the state), unknown ids and bad leases, changing nothing', async () => {
      const { ledger, clock } = await nested(options, [usd(10), null, null]);
      const settled = await ledger.reserve([TENANT], usd(1));
      await ledger.settle(settled.id, usd(1));
      const released = await ledger.reserve([TENANT], usd(1));
      await ledger.release(released.id);
      const expired = await ledger.reserve([TENANT], usd(1), { leaseMs: 1_000 });
      const open = await ledger.reserve([TENANT], usd(1), { leaseMs: 60_000 });
      clock.advance(1_000);
      for (const [id, state] of [
        [settled.id, 'settled'],
        [released.id, 'released'],
        [expired.id, 'expired'],
      ] as const) {
        const error = await ledger.renew(id).then(() => undefined, (caught: unknown) => caught);
        expect(BudgetError.isInstance(error) && error.code === 'RESERVATION_CLOSED' && error.details).toMatchObject({ id, state });
      }
      expect(await codeOf(ledger.renew(asReservationId('never-made')))).toBe('RESERVATION_NOT_FOUND');
      expect(await codeOf(ledger.renew(open.id, 0))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.renew(open.id, 1.5))).toBe('VALIDATION_FAILED');
      expect((await ledger.lookup(open.id))?.reservation.expiresAt).toBe(open.expiresAt);
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: usd(1), reserved: usd(1) });
    });

    it('lookup reports open, settled (with the settle usage), released and expired reservations, and late charges', async () => {
      const { ledger, clock } = await nested(options, [usd(10), null, null]);
      const usage = { inputTokens: 120, outputTokens: 30, cacheReadTokens: 20, cacheWriteTokens: 0, reasoningTokens: 5 };
      const open = await ledger.reserve([TENANT], usd(1), { id: asReservationId('run-1/a/1') });
      expect(await ledger.lookup(open.id)).toEqual({ state: 'open', reservation: open });
      const settled = await ledger.reserve([TENANT], usd(2));
      const settlement = await ledger.settle(settled.id, usd('1.25'), { usage });
      expect(settlement).toEqual({ id: settled.id, reserved: usd(2), actual: usd('1.25'), usage });
      expect(await ledger.settle(settled.id, usd(9))).toEqual(settlement);
      expect(await ledger.lookup(settled.id)).toEqual({ state: 'settled', reservation: settled, settlement });
      const plain = await ledger.reserve([TENANT], usd(1));
      expect((await ledger.lookup(plain.id))?.settlement).toBeUndefined();
      expect((await ledger.settle(plain.id, usd(1))).usage).toBeUndefined();
      const released = await ledger.reserve([TENANT], usd(1), { id: asReservationId('run-1/b/1') });
      await ledger.release(released.id);
      expect(await ledger.lookup(released.id)).toEqual({ state: 'released', reservation: released });
      const late = await ledger.reserve([TENANT], usd(1), { leaseMs: 1_000 });
      const quiet = await ledger.reserve([TENANT], usd(1), { leaseMs: 1_000 });
      clock.advance(1_000);
      expect(await ledger.lookup(quiet.id)).toEqual({ state: 'expired', reservation: quiet });
      expect(await codeOf(ledger.settle(late.id, usd('0.5'), { usage }))).toBe('RESERVATION_CLOSED');
      expect(await ledger.lookup(late.id)).toEqual({
        state: 'expired',
        reservation: late,
        settlement: { id: late.id, reserved: usd(1), actual: usd('0.5'), usage },
      });
      expect(await ledger.lookup(asReservationId('never-made'))).toBeUndefined();
      expect(await codeOf(ledger.lookup('' as never))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.settle(open.id, usd(1), { usage: 'lots' as never }))).toBe('VALIDATION_FAILED');
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: usd('2.75'), reserved: usd(1) });
    });

    it('releaseHolder releases every open reservation of a holder', async () => {
      const { ledger } = await nested(options, [usd(10), null, null]);
      await ledger.reserve([TENANT], usd(1), { holder: 'pid-1' });
      const kept = await ledger.reserve([TENANT], usd(2), { holder: 'pid-2' });
      const settled = await ledger.reserve([TENANT], usd(3), { holder: 'pid-1' });
      await ledger.settle(settled.id, usd(1));
      expect(kept.holder).toBe('pid-2');
      expect(await ledger.releaseHolder('pid-1')).toBe(1);
      expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: usd(1), reserved: usd(2) });
    });

    it('keeps amounts beyond 2^53 femto-dollars exact', async () => {
      const { ledger } = await nested(options, [money(10n ** 27n), null, null]);
      const big = money(123_456_789_012_345_678_901_234n);
      const hold = await ledger.reserve([TENANT], big);
      expect(hold.amount).toBe(big);
      await ledger.settle(hold.id, money(98_765_432_109_876_543_210_987n));
      const again = await ledger.reserve([TENANT], money(999_999_999_999_999n));
      await ledger.settle(again.id, money(999_999_999_999_999n));
      expect(await ledger.snapshot(TENANT)).toMatchObject({
        spent: money(98_765_432_109_876_543_210_987n + 999_999_999_999_999n),
        reserved: 0n,
      });
      const exact = money(10n ** 27n - (98_765_432_109_876_543_210_987n + 999_999_999_999_999n));
      await ledger.reserve([TENANT], exact);
      expect(await codeOf(ledger.reserve([TENANT], money(1n)))).toBe('BUDGET_EXCEEDED');
    });

    it('refuses bad input with typed errors and leaves the state unchanged', async () => {
      const { ledger } = await nested(options, [usd(10), usd(5), null]);
      const hold = await ledger.reserve(NESTED, usd(1));
      const before = await snapshots(ledger, NESTED);
      const bad = (value: unknown): Money => value as Money;
      expect(await codeOf(ledger.reserve(NESTED, bad(-1n)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve(NESTED, bad(Number.NaN)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve(NESTED, bad(Number.POSITIVE_INFINITY)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve(NESTED, bad(0.5)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve([], usd(1)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve([TENANT, TENANT], usd(1)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve(NESTED, usd(1), { leaseMs: 0 }))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve(NESTED, usd(1), { leaseMs: Number.NaN }))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.reserve([TENANT, 'user:ghost'], usd(1)))).toBe('UNKNOWN_SCOPE');
      expect(await codeOf(ledger.settle(hold.id, bad(-5n)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.settle(hold.id, bad(Number.NaN)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.setLimit(TENANT, bad(-1n)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.setLimit('', usd(1)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(ledger.snapshot('user:ghost'))).toBe('UNKNOWN_SCOPE');
      expect(await snapshots(ledger, NESTED)).toEqual(before);
      expect(await ledger.settle(hold.id, usd(1))).toMatchObject({ actual: usd(1) });
    });

    it('property: random concurrent interleavings never exceed a limit; spent is the exact sum of settled actuals', async () => {
      const limits = [usd('1'), usd('0.6'), usd('0.3')] as const;
      const caller = fc.record({
        scopes: fc.constantFrom<readonly string[]>([TENANT], [TENANT, USER], [TENANT, USER, RUN]),
        amount: fc.bigInt({ min: 0n, max: usd('0.25') }),
        outcome: fc.constantFrom('settle', 'release', 'abandon'),
        actualPercent: fc.integer({ min: 0, max: 100 }),
        leaseMs: fc.integer({ min: 1, max: 50 }),
        advanceMs: fc.integer({ min: 0, max: 30 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), fc.array(caller, { minLength: 1, maxLength: 12 }), async (scheduler, callers) => {
          const { ledger, clock } = await nested(options, [limits[0], limits[1], limits[2]]);
          const settled = new Map<string, bigint>(NESTED.map((scope) => [scope, 0n]));
          // A settle that arrives after its lease is still charged (money spent is never dropped),
          // like an over-report; only then may spent + reserved pass a limit.
          let lateCharges = 0;
          const tick = (): Promise<void> => scheduler.schedule(Promise.resolve());
          const checkInvariant = async (): Promise<void> => {
            if (lateCharges > 0) return;
            for (const snapshot of await snapshots(ledger, NESTED)) {
              expect(snapshot.spent + snapshot.reserved).toBeLessThanOrEqual(snapshot.limit ?? 0n);
              expect(snapshot.reserved).toBeGreaterThanOrEqual(0n);
            }
          };
          const run = async (spec: (typeof callers)[number]): Promise<void> => {
            await tick();
            let hold;
            try {
              hold = await ledger.reserve(spec.scopes, money(spec.amount), { leaseMs: spec.leaseMs });
            } catch (error) {
              if (BudgetError.isInstance(error) && error.code === 'BUDGET_EXCEEDED') return;
              throw error;
            }
            await tick();
            clock.advance(spec.advanceMs);
            await checkInvariant();
            if (spec.outcome === 'abandon') return;
            const actual = (spec.amount * BigInt(spec.actualPercent)) / 100n;
            await tick();
            try {
              if (spec.outcome === 'settle') {
                await ledger.settle(hold.id, money(actual));
                for (const scope of spec.scopes) settled.set(scope, (settled.get(scope) ?? 0n) + actual);
              } else {
                await ledger.release(hold.id);
              }
            } catch (error) {
              if (!(BudgetError.isInstance(error) && error.code === 'RESERVATION_CLOSED')) throw error;
              if (spec.outcome === 'settle' && error.details['charged'] === true) {
                lateCharges++;
                for (const scope of spec.scopes) settled.set(scope, (settled.get(scope) ?? 0n) + actual);
              }
            }
            await checkInvariant();
          };
          await scheduler.waitFor(Promise.all(callers.map(run)));
          clock.advance(1_000);
          await ledger.sweepExpired();
          for (const snapshot of await snapshots(ledger, NESTED)) {
            expect(snapshot.reserved).toBe(0n);
            expect(snapshot.spent).toBe(settled.get(snapshot.scope));
          }
        }),
        { numRuns: options.propertyRuns },
      );
    });

    it('property: ids reused at random (resumes, retries, expiries) never hand back a closed hold; every open id holds its amount once', async () => {
      const step = fc.record({
        id: fc.constantFrom('run/a/1', 'run/a/2', 'run/b/1'),
        amount: fc.constantFrom(300n, 600n),
        action: fc.constantFrom('reserve', 'reserve', 'settle', 'release'),
        advanceMs: fc.integer({ min: 0, max: 40 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
          const { ledger, clock } = await nested(options, [money(1000n), null, null]);
          // The model: what each id is (open with an amount, or closed), and the settled total.
          const state = new Map<string, { open: boolean; amount: bigint; expiresAt: number }>();
          let spent = 0n;
          for (const { id, amount, action, advanceMs } of steps) {
            clock.advance(advanceMs);
            const now = clock.now();
            for (const entry of state.values()) if (entry.open && entry.expiresAt <= now) entry.open = false;
            const known = state.get(id);
            const reservationId = asReservationId(id);
            if (action === 'reserve') {
              const outcome = await ledger.reserve([TENANT], money(amount), { id: reservationId, leaseMs: 30 }).then(
                (hold) => ({ hold, code: undefined }),
                (error: unknown) => ({ hold: undefined, code: BudgetError.isInstance(error) || ValidationError.isInstance(error) ? error.code : String(error) }),
              );
              if (known !== undefined && !known.open) {
                expect(outcome.code).toBe('RESERVATION_CLOSED');
              } else if (known !== undefined) {
                expect(outcome.code ?? 'returned').toBe(known.amount === amount ? 'returned' : 'VALIDATION_FAILED');
              } else {
                let held = 0n;
                for (const entry of state.values()) if (entry.open) held += entry.amount;
                const fits = spent + held + amount <= 1000n;
                expect(outcome.code ?? 'reserved').toBe(fits ? 'reserved' : 'BUDGET_EXCEEDED');
                if (fits) state.set(id, { open: true, amount, expiresAt: now + 30 });
              }
            } else if (known?.open === true) {
              if (action === 'settle') {
                await ledger.settle(reservationId, money(known.amount));
                spent += known.amount;
              } else {
                await ledger.release(reservationId);
              }
              known.open = false;
            }
            let held = 0n;
            for (const entry of state.values()) if (entry.open) held += entry.amount;
            expect(await ledger.snapshot(TENANT)).toMatchObject({ spent: money(spent), reserved: money(held) });
          }
        }),
        { numRuns: options.propertyRuns },
      );
    });
  });
}
