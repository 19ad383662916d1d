/**
 * In-memory ledger: reserve+settle pairs per second with 3 nested scopes, next to a baseline of
 * plain Map increments doing the same arithmetic without any checking.
 */
import { money, usd } from '@runtime/contracts';
import { createBudgetLedger } from '../src/budget-ledger.js';
import { formatRate, rate, row } from './format.js';

const PAIRS = 1_000_000;
const SCOPES = ['tenant:acme', 'user:u1', 'run:r1'] as const;

async function ledgerPairs(): Promise<number> {
  const ledger = createBudgetLedger();
  for (const scope of SCOPES) await ledger.setLimit(scope, usd(1_000_000_000));
  const amount = usd('0.0125');
  const actual = money(12_345_678_901n);
  const started = performance.now();
  for (let index = 0; index < PAIRS; index++) {
    const hold = await ledger.reserve(SCOPES, amount);
    await ledger.settle(hold.id, actual);
  }
  return rate(PAIRS, performance.now() - started);
}

async function baselinePairs(): Promise<number> {
  const reserved = new Map<string, bigint>(SCOPES.map((scope) => [scope, 0n]));
  const spent = new Map<string, bigint>(SCOPES.map((scope) => [scope, 0n]));
  const amount = 12_500_000_000_000n;
  const actual = 12_345_678_901n;
  const started = performance.now();
  for (let index = 0; index < PAIRS; index++) {
    // Same shape as the ledger: two awaited operations, each touching three scopes.
    await Promise.resolve();
    for (const scope of SCOPES) reserved.set(scope, (reserved.get(scope) ?? 0n) + amount);
    await Promise.resolve();
    for (const scope of SCOPES) {
      reserved.set(scope, (reserved.get(scope) ?? 0n) - amount);
      spent.set(scope, (spent.get(scope) ?? 0n) + actual);
    }
  }
  return rate(PAIRS, performance.now() - started);
}

export async function benchLedgerMemory(): Promise<void> {
  console.log(`In-memory ledger: ${PAIRS.toLocaleString('en-US')} reserve+settle pairs, 3 nested scopes`);
  await ledgerPairs(); // warm-up
  const baseline = await baselinePairs();
  const ledger = await ledgerPairs();
  row('baseline: plain Map increments (+2 awaits)', formatRate(baseline, 'pairs/s'));
  row('createBudgetLedger()', formatRate(ledger, 'pairs/s'), `${((ledger / baseline) * 100).toFixed(0)}% of baseline; target ≥ 1,000,000`);
}
