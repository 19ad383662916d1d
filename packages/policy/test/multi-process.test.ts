/**
 * Four processes share one tenant's limits through one Redis for 10 seconds.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis, deleteKeys, uniquePrefix } from './redis-helpers.js';
import { maxInAnyWindow } from './window-check.js';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./multi-process-worker.ts', import.meta.url));
const redis = connectRedis();
const keyPrefix = uniquePrefix('multi');

interface WorkerResult {
  readonly admittedMinute: number;
  readonly refusedMinute: number;
  readonly shortTimes: number[];
  readonly refusedShort: number;
}

afterAll(async () => {
  await deleteKeys(redis, keyPrefix);
  await redis.quit();
});

describe('Redis limiter shared by 4 processes for 10 s', () => {
  it('never admits more than the limit in any rolling window, per minute and per 2 s', { timeout: 60_000 }, async () => {
    expect(await redis.ping()).toBe('PONG');
    const rpm = 50;
    const shortLimit = 20;
    const shortWindowMs = 2_000;
    const durationMs = 10_000;
    const startAt = Date.now() + 4_000; // time for four processes to boot
    const config = { keyPrefix, startAt, endAt: startAt + durationMs, rpm, shortLimit, shortWindowMs, paceMs: 10 };
    const outputs = await Promise.all(
      [0, 1, 2, 3].map(() =>
        run(process.execPath, ['--import', 'tsx', '--conditions=@runtime/source', worker, JSON.stringify(config)], {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          timeout: 40_000,
        }),
      ),
    );
    const results = outputs.map(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as WorkerResult);

    // Per rolling minute (real 60 s window, Redis server time): 10 s fit in one minute, so at most
    // `rpm` in total — and, with ~4×60 attempts a second, exactly `rpm`.
    const admittedMinute = results.reduce((sum, result) => sum + result.admittedMinute, 0);
    expect(admittedMinute).toBe(rpm);
    expect(results.every((result) => result.refusedMinute > 0)).toBe(true);
    const entries = await redis.zrange(`${keyPrefix}{tenant:multi-minute}:rpm`, 0, -1, 'WITHSCORES');
    const serverTimes = entries.filter((_, index) => index % 2 === 1).map(Number);
    expect(serverTimes).toHaveLength(rpm);
    expect(maxInAnyWindow(serverTimes, 60_000)).toBeLessThanOrEqual(rpm);

    // Per rolling 2 s over 10 s: several windows slide by; none may hold more than the limit, and
    // the limiter keeps admitting as old entries leave (at least 4 windows' worth).
    const shortTimes = results.flatMap((result) => result.shortTimes);
    // Demand far exceeds the limit, so the busiest window is exactly full — never over.
    expect(maxInAnyWindow(shortTimes, shortWindowMs)).toBe(shortLimit);
    expect(shortTimes.length).toBeGreaterThanOrEqual(4 * shortLimit);
    // The limit is shared, not per process: several processes took part of it.
    expect(results.filter((result) => result.shortTimes.length > 0).length).toBeGreaterThanOrEqual(2);
  });
});
