import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InternalError, usd } from '@runtime/contracts';
import { createRedisBudgetLedger } from '../src/redis/index.js';
import { describeLedgerSuite } from './ledger-suite.js';
import { connectRedis, deletePrefix, uniquePrefix } from './redis.js';

let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await connectRedis();
});

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  redis.disconnect();
});

describeLedgerSuite('redis', {
  create: (clock) => {
    const keyPrefix = uniquePrefix('ledger');
    prefixes.push(keyPrefix);
    return Promise.resolve(createRedisBudgetLedger({ redis, keyPrefix, clock }));
  },
  propertyRuns: 25,
});

describe('redis: store specifics', () => {
  it('loads its script and retries when Redis answers NOSCRIPT (e.g. after a restart)', async () => {
    const keyPrefix = uniquePrefix('noscript');
    prefixes.push(keyPrefix);
    let noscriptAnswers = 0;
    let loads = 0;
    const forgetful = {
      evalsha: async (...args: Parameters<Redis['evalsha']>) => {
        if (noscriptAnswers === 0) {
          noscriptAnswers++;
          throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        }
        return redis.evalsha(...args);
      },
      script: async (...args: ['LOAD', string]) => {
        loads++;
        return redis.script(...args);
      },
    } as unknown as Redis;
    const ledger = createRedisBudgetLedger({ redis: forgetful, keyPrefix });
    await ledger.setLimit('tenant:a', usd(1));
    expect(noscriptAnswers).toBe(1);
    expect(loads).toBe(1);
    const hold = await ledger.reserve(['tenant:a'], usd('0.5'));
    await ledger.settle(hold.id, usd('0.5'));
    expect((await ledger.snapshot('tenant:a')).spent).toBe(usd('0.5'));
  });

  it('turns a Redis failure into a retryable STORE_ERROR', async () => {
    const broken = await connectRedis();
    broken.disconnect();
    const ledger = createRedisBudgetLedger({ redis: broken, keyPrefix: uniquePrefix('broken') });
    let caught: unknown;
    try {
      await ledger.setLimit('tenant:a', usd(1));
    } catch (error) {
      caught = error;
    }
    expect(InternalError.isInstance(caught) && caught.code === 'STORE_ERROR' && caught.isRetryable).toBe(true);
  });

  it('cleans up: closed reservations carry a TTL', async () => {
    const keyPrefix = uniquePrefix('ttl');
    prefixes.push(keyPrefix);
    const ledger = createRedisBudgetLedger({ redis, keyPrefix, closedRetentionMs: 60_000 });
    await ledger.setLimit('tenant:a', usd(1));
    const hold = await ledger.reserve(['tenant:a'], usd('0.5'));
    await ledger.settle(hold.id, usd('0.1'));
    const ttl = await redis.pttl(`${keyPrefix}r:${hold.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('lookup answers for a closed reservation (with its settle usage) for closedRetentionMs, then returns undefined', async () => {
    const keyPrefix = uniquePrefix('lookup-ttl');
    prefixes.push(keyPrefix);
    const ledger = createRedisBudgetLedger({ redis, keyPrefix, closedRetentionMs: 150 });
    await ledger.setLimit('tenant:a', usd(1));
    const usage = { inputTokens: 9, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const hold = await ledger.reserve(['tenant:a'], usd('0.5'));
    await ledger.settle(hold.id, usd('0.1'), { usage });
    expect(await ledger.lookup(hold.id)).toMatchObject({ state: 'settled', settlement: { actual: usd('0.1'), usage } });
    // An open reservation has no TTL: it is never forgotten while open.
    const open = await ledger.reserve(['tenant:a'], usd('0.1'));
    expect(await redis.pttl(`${keyPrefix}r:${open.id}`)).toBe(-1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await ledger.lookup(hold.id)).toBeUndefined();
    expect(await ledger.lookup(open.id)).toMatchObject({ state: 'open' });
    expect(await ledger.snapshot('tenant:a')).toMatchObject({ spent: usd('0.1'), reserved: usd('0.1') });
  });
});
