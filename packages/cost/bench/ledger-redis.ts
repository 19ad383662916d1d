/**
 * Redis ledger: reserve+settle pairs per second at concurrency 64, next to redis-benchmark's
 * EVALSHA figure for a trivial script (`return 1`) at -c 64, measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { money, usd } from '@runtime/contracts';
import { Redis } from 'ioredis';
import { createRedisBudgetLedger } from '../src/redis/index.js';
import { formatRate, rate, row } from './format.js';

const CONCURRENCY = 64;
const DURATION_MS = 5_000;
const SCOPES = ['tenant:acme', 'user:u1', 'run:r1'] as const;

function redisBenchmarkEvalsha(): number {
  const sha = execFileSync('redis-cli', ['-h', '127.0.0.1', 'SCRIPT', 'LOAD', 'return 1'], { encoding: 'utf8' }).trim();
  const output = execFileSync('redis-benchmark', ['-h', '127.0.0.1', '-n', '100000', '-c', String(CONCURRENCY), '-q', 'evalsha', sha, '0'], {
    encoding: 'utf8',
  });
  const match = /([\d.]+) requests per second/.exec(output);
  if (match?.[1] === undefined) throw new Error(`cannot read redis-benchmark output: ${output}`);
  return Number(match[1]);
}

/** The same trivial script driven from Node through ioredis: where the client side tops out. */
async function ioredisEvalsha(redis: Redis): Promise<number> {
  const sha = String(await redis.script('LOAD', 'return 1'));
  let calls = 0;
  const deadline = performance.now() + 2_000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await redis.evalsha(sha, 0);
        calls++;
      }
    }),
  );
  return rate(calls, performance.now() - started);
}

/** Server-side EVALSHA calls and microseconds so far (INFO commandstats; includes any other client's EVALSHA). */
async function evalshaStats(redis: Redis): Promise<{ calls: number; usec: number }> {
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return { calls: Number(match?.[1] ?? 0), usec: Number(match?.[2] ?? 0) };
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export async function benchLedgerRedis(): Promise<void> {
  console.log(`Redis ledger: reserve+settle pairs, 3 nested scopes, concurrency ${CONCURRENCY}, ${DURATION_MS / 1000} s`);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, enableAutoPipelining: true });
  const keyPrefix = `bench:cost:${randomUUID()}:`;
  try {
    const ledger = createRedisBudgetLedger({ redis, keyPrefix });
    for (const scope of SCOPES) await ledger.setLimit(scope, usd(1_000_000_000));
    const amount = usd('0.0125');
    const actual = money(12_345_678_901n);
    let pairs = 0;
    const before = await evalshaStats(redis);
    const deadline = performance.now() + DURATION_MS;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          const hold = await ledger.reserve(SCOPES, amount);
          await ledger.settle(hold.id, actual);
          pairs++;
        }
      }),
    );
    const elapsed = performance.now() - started;
    const ours = rate(pairs, elapsed);
    const after = await evalshaStats(redis);
    const scriptUsec = (after.usec - before.usec) / Math.max(1, after.calls - before.calls);
    const serverBusy = (after.usec - before.usec) / 1000 / elapsed;
    const snapshot = await ledger.snapshot('run:r1');
    if (snapshot.reserved !== 0n || snapshot.spent !== actual * BigInt(pairs)) throw new Error('benchmark ledger totals are wrong');
    const limit = redisBenchmarkEvalsha();
    const trivialBefore = await evalshaStats(redis);
    const fromNode = await ioredisEvalsha(redis);
    const trivialAfter = await evalshaStats(redis);
    const trivialUsec = (trivialAfter.usec - trivialBefore.usec) / Math.max(1, trivialAfter.calls - trivialBefore.calls);
    row('redis-benchmark evalsha "return 1" -c 64', formatRate(limit, 'ops/s'));
    row('ioredis evalsha "return 1", 64 in flight', formatRate(fromNode, 'ops/s'), 'context: the Node client alone');
    row('createRedisBudgetLedger() pairs (2 scripts each)', formatRate(ours, 'pairs/s'), `${((ours / limit) * 100).toFixed(0)}% of the EVALSHA figure; target ≥ 30%`);
    row('  server time per ledger script', `${scriptUsec.toFixed(1)} µs`, `vs ${trivialUsec.toFixed(1)} µs for "return 1"; Redis busy in scripts ${(serverBusy * 100).toFixed(0)}% of the run`);
  } finally {
    await deletePrefix(redis, keyPrefix);
    redis.disconnect();
  }
}
