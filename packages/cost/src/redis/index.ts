/**
 * Redis-backed budget ledger of `@runtime/cost` (needs the optional peer dependency `ioredis`).
 *
 * @packageDocumentation
 */
export { createRedisBudgetLedger, type RedisBudgetLedgerOptions } from './redis-budget-ledger.js';
