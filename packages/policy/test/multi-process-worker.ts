/**
 * One of the processes of the multi-process Redis test: hammers two shared limits until `endAt`
 * and prints what it was admitted as one JSON line.
 *   A: `rpm` over the real one-minute window, server time (the production configuration).
 *   B: the same code path with a 2-second window and the real clock injected, so the admission
 *      times are known exactly and the sliding behaviour is exercised over several windows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '@runtime/contracts';
import { createRedisRateLimiter } from '../src/redis.js';
import { connectRedis } from './redis-helpers.js';

interface WorkerConfig {
  readonly keyPrefix: string;
  readonly startAt: number;
  readonly endAt: number;
  readonly rpm: number;
  readonly shortLimit: number;
  readonly shortWindowMs: number;
  readonly paceMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const redis = connectRedis();
let lastNow = 0;
const recordingClock: Clock = {
  now: () => {
    lastNow = Date.now();
    return lastNow;
  },
};
const perMinute = createRedisRateLimiter({ redis, keyPrefix: config.keyPrefix });
const perWindow = createRedisRateLimiter({ redis, keyPrefix: config.keyPrefix, clock: recordingClock, windows: { rpm: config.shortWindowMs } });

const result = { admittedMinute: 0, refusedMinute: 0, shortTimes: [] as number[], refusedShort: 0 };
await sleep(Math.max(0, config.startAt - Date.now()));
while (Date.now() < config.endAt) {
  const minute = await perMinute.acquire({ key: 'tenant:multi-minute', limits: { rpm: config.rpm } });
  if (minute.allowed) result.admittedMinute += 1;
  else result.refusedMinute += 1;
  const short = await perWindow.acquire({ key: 'tenant:multi-short', limits: { rpm: config.shortLimit } });
  if (short.allowed) result.shortTimes.push(lastNow);
  else result.refusedShort += 1;
  await sleep(config.paceMs);
}
await redis.quit();
process.stdout.write(`${JSON.stringify(result)}\n`);
