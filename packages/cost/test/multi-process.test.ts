/**
 * Four Node processes hammer one Redis ledger for 10 s; afterwards spent ≤ limit in every scope,
 * no reservation is left open, and each scope's spent equals the exact sum the workers settled.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { usd } from '@runtime/contracts';
import type { Money } from '@runtime/contracts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBudgetLedger } from '../src/redis/index.js';
import { connectRedis, deletePrefix, uniquePrefix } from './redis.js';

const WORKERS = 4;
const DURATION_MS = 10_000;
const worker = fileURLToPath(new URL('./fixtures/ledger-worker.ts', import.meta.url));

interface WorkerReport {
  readonly settled: Record<string, string>;
  readonly stats: Record<string, number>;
}

function runWorker(keyPrefix: string, seed: number): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@runtime/source', worker, keyPrefix, String(DURATION_MS), String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`worker ${seed} exited with ${String(code)}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as WorkerReport);
    });
  });
}

let redis: Redis;
const keyPrefix = uniquePrefix('multi-process');

beforeAll(async () => {
  redis = await connectRedis();
});

afterAll(async () => {
  await deletePrefix(redis, keyPrefix);
  redis.disconnect();
});

describe('redis ledger under 4 processes', () => {
  it('never overspends, leaves nothing open and keeps totals exact', async () => {
    const ledger = createRedisBudgetLedger({ redis, keyPrefix });
    const limits = new Map<string, Money>([['tenant:t', usd(300)]]);
    for (let user = 0; user < 4; user++) limits.set(`user:u${user}`, usd(70));
    // run:r0 is small so that refusals happen however slowly the machine runs today.
    for (let run = 0; run < 8; run++) limits.set(`run:r${run}`, run === 0 ? usd('0.5') : usd(20));
    for (const [scope, limit] of limits) await ledger.setLimit(scope, limit);

    const reports = await Promise.all(Array.from({ length: WORKERS }, (_, index) => runWorker(keyPrefix, index + 1)));

    // Abandoned reservations (300 ms leases) must come back by expiry alone.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await ledger.sweepExpired();

    const totals = { reserved: 0, settled: 0, refused: 0, abandoned: 0 };
    for (const report of reports) {
      totals.reserved += report.stats['reserved'] ?? 0;
      totals.settled += report.stats['settled'] ?? 0;
      totals.refused += report.stats['refused'] ?? 0;
      totals.abandoned += report.stats['abandoned'] ?? 0;
    }
    expect(totals.settled).toBeGreaterThan(100);
    expect(totals.refused).toBeGreaterThan(0);
    expect(totals.abandoned).toBeGreaterThan(0);
    for (const [scope, limit] of limits) {
      const expected = reports.reduce((sum, report) => sum + BigInt(report.settled[scope] ?? '0'), 0n);
      const snapshot = await ledger.snapshot(scope);
      expect(snapshot.reserved, scope).toBe(0n);
      expect(snapshot.spent, scope).toBe(expected);
      expect(snapshot.spent <= limit, `${scope} spent ${snapshot.spent} ≤ ${limit}`).toBe(true);
    }
    expect(await redis.zcard(`${keyPrefix}open`)).toBe(0);
    console.info(`multi-process: ${JSON.stringify(totals)}`);
  }, 60_000);
});
