/**
 * Input checks shared by the in-memory and Redis ledgers, so both refuse the same inputs with the
 * same errors before touching any state.
 */
import { moneyToDecimalString, moneyToUsd, normalizeUsage } from '@runtime/contracts';
import type { BudgetExceededDetails, Money, ReserveOptions, SettleOptions, Usage } from '@runtime/contracts';
import { budgetError, invalid } from './errors.js';

/** Default lease of a reservation (10 minutes, as the contract says). */
export const DEFAULT_LEASE_MS = 600_000;
/** Longest lease accepted (30 days). */
export const MAX_LEASE_MS = 30 * 24 * 3_600_000;
/** Largest amount accepted: 9×10^30 femto-dollars (9×10^15 USD); keeps Redis' two-limb arithmetic exact. */
export const MAX_AMOUNT = 9n * 10n ** 30n;

export function checkAmount(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint') {
    throw invalid(field, 'must be a bigint count of femto-dollars (Money); use usd() to convert', {
      value: typeof value === 'number' ? String(value) : typeof value,
    });
  }
  if (value < 0n) throw invalid(field, 'must not be negative', { value: value.toString() });
  if (value > MAX_AMOUNT) throw invalid(field, 'exceeds the largest supported amount (9e15 USD)', { value: value.toString() });
  return value;
}

export function checkLimit(value: unknown): bigint | null {
  return value === null ? null : checkAmount(value, 'limit');
}

export function checkScopeName(scope: unknown, field = 'scope'): string {
  if (typeof scope !== 'string' || scope.length === 0 || scope.length > 512) {
    throw invalid(field, 'must be a non-empty string of at most 512 characters', { value: String(scope) });
  }
  return scope;
}

/** A frozen copy of valid, distinct scope names (a quadratic duplicate check: scope lists are short). */
export function checkScopes(scopes: unknown): readonly string[] {
  if (!Array.isArray(scopes) || scopes.length === 0) throw invalid('scopes', 'must be a non-empty array of scope names');
  const names: string[] = [];
  for (let index = 0; index < scopes.length; index++) {
    const name = checkScopeName(scopes[index], `scopes[${index}]`);
    if (names.includes(name)) throw invalid(`scopes[${index}]`, `scope ${JSON.stringify(name)} is named twice`, { scope: name });
    names.push(name);
  }
  return Object.freeze(names);
}

export function checkId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
    throw invalid(field, 'must be a non-empty string of at most 256 characters', { value: String(id) });
  }
  return id;
}

export interface CheckedReserveOptions {
  readonly leaseMs: number;
  readonly id: string | undefined;
  readonly holder: string | undefined;
  readonly runId: string | undefined;
  readonly taskId: string | undefined;
}

const DEFAULT_RESERVE_OPTIONS: CheckedReserveOptions = Object.freeze({
  leaseMs: DEFAULT_LEASE_MS,
  id: undefined,
  holder: undefined,
  runId: undefined,
  taskId: undefined,
});

export function checkLeaseMs(leaseMs: unknown): number {
  if (typeof leaseMs !== 'number' || !Number.isSafeInteger(leaseMs) || leaseMs < 1 || leaseMs > MAX_LEASE_MS) {
    throw invalid('leaseMs', `must be an integer from 1 to ${MAX_LEASE_MS}`, { value: String(leaseMs) });
  }
  return leaseMs;
}

export function checkReserveOptions(options: ReserveOptions | undefined): CheckedReserveOptions {
  if (options === undefined) return DEFAULT_RESERVE_OPTIONS;
  return {
    leaseMs: checkLeaseMs(options?.leaseMs ?? DEFAULT_LEASE_MS),
    id: options?.id === undefined ? undefined : checkId(options.id),
    holder: options?.holder === undefined ? undefined : checkId(options.holder, 'holder'),
    runId: options?.runId,
    taskId: options?.taskId,
  };
}

/**
 * The usage a settle keeps with its settlement: a frozen copy that follows the rules of `Usage`
 * (normalised: the call was answered, so its usage is kept even when the numbers were impossible).
 */
export function checkSettleOptions(options: SettleOptions | undefined): Usage | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object', { value: String(options) });
  const { usage } = options;
  if (usage === undefined) return undefined;
  if (typeof usage !== 'object' || usage === null) throw invalid('usage', 'must be a Usage object', { value: String(usage) });
  return Object.freeze({ ...normalizeUsage(usage).usage });
}

const exact = (amount: bigint): string => moneyToDecimalString(amount as Money);

/** `BUDGET_EXCEEDED` with {@link BudgetExceededDetails} plus exact femto-dollar strings. */
export function budgetExceeded(scope: string, limit: bigint, spent: bigint, reserved: bigint, requested: bigint): Error {
  const details: BudgetExceededDetails & Record<string, unknown> = {
    scope,
    limitUsd: moneyToUsd(limit as Money),
    spentUsd: moneyToUsd(spent as Money),
    reservedUsd: moneyToUsd(reserved as Money),
    requestedUsd: moneyToUsd(requested as Money),
    limit: limit.toString(),
    spent: spent.toString(),
    reserved: reserved.toString(),
    requested: requested.toString(),
  };
  return budgetError(
    'BUDGET_EXCEEDED',
    // Exact decimals in the message: the number fields are lossy above ≈ $9M.
    `Budget of scope ${JSON.stringify(scope)} exceeded: ${exact(requested)} USD requested with ${exact(spent)} spent and ${exact(reserved)} reserved of ${exact(limit)}.`,
    details,
  );
}

export function unknownScope(scope: string): Error {
  return budgetError('UNKNOWN_SCOPE', `Unknown budget scope ${JSON.stringify(scope)}; create it with setLimit first.`, { scope });
}

export function reservationNotFound(id: string): Error {
  return budgetError('RESERVATION_NOT_FOUND', `No reservation ${JSON.stringify(id)}.`, { id });
}

/** State of a closed reservation. */
export type ClosedState = 'settled' | 'released' | 'expired';

export function reservationClosed(id: string, state: ClosedState, operation: 'settle' | 'release' | 'reserve' | 'renew', chargedLate = false): Error {
  if (operation === 'reserve') {
    return budgetError(
      'RESERVATION_CLOSED',
      `Cannot reserve ${JSON.stringify(id)}: a reservation with this id is already ${state}; an id holds money once, so use a new id per attempt.`,
      { id, state },
    );
  }
  const late = chargedLate ? ' Its actual cost was still charged: money spent is never dropped.' : '';
  return budgetError('RESERVATION_CLOSED', `Cannot ${operation} reservation ${JSON.stringify(id)}: it is already ${state}.${late}`, {
    id,
    state,
    ...(operation === 'settle' && state === 'expired' ? { charged: chargedLate } : {}),
  });
}

/** `VALIDATION_FAILED`: an open reservation already uses this id for another amount or other scopes. */
export function reservationIdConflict(id: string, held: { readonly amount: bigint; readonly scopes: readonly string[] }, amount: bigint, scopes: readonly string[]): Error {
  return invalid('id', 'is already used by an open reservation of another amount or other scopes', {
    id,
    heldAmount: held.amount.toString(),
    heldScopes: [...held.scopes],
    requestedAmount: amount.toString(),
    requestedScopes: [...scopes],
  });
}

/** Whether a repeated reserve of an open id asks for exactly what that reservation holds. */
export function sameHold(held: { readonly amount: bigint; readonly scopes: readonly string[] }, amount: bigint, scopes: readonly string[]): boolean {
  return held.amount === amount && held.scopes.length === scopes.length && held.scopes.every((scope, index) => scope === scopes[index]);
}
