/**
 * The shared Redis ledger and rate limits (real Redis on 127.0.0.1:6379, unique key prefix, own
 * keys cleaned up), and `/healthz` turning 503 when Redis is unreachable.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Run } from '@runtime/contracts';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { startSidecar } from '../src/start-sidecar.js';
import { KEYS, writeE2eConfig, type E2eConfig } from './support/e2e-config.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from './support/fake-openai-server.js';
import { createClient } from './support/http-client.js';

const prefix = `sidecar-test-${randomUUID()}:`;
let fake: FakeOpenAiServer;
let config: E2eConfig;

beforeAll(async () => {
  fake = await startFakeOpenAiServer();
  config = writeE2eConfig(fake.baseUrl);
});

afterAll(async () => {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  await fake.close();
  rmSync(config.directory, { recursive: true, force: true });
});

describe('Redis ledger', () => {
  it('budgets runs in Redis and reports it reachable', async () => {
    const env = { ...config.env, RUNTIME_REDIS_URL: 'redis://127.0.0.1:6379', RUNTIME_REDIS_PREFIX: prefix, RUNTIME_DB: 'memory' };
    const sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
    try {
      const client = createClient(sidecar.url);
      const health = await client.request<{ checks: Record<string, { ok: boolean }> }>('GET', '/healthz');
      expect(health.status).toBe(200);
      expect(health.body.checks['redis']?.ok).toBe(true);
      const created = await client.request<Run>('POST', '/v1/runs', {
        key: KEYS.acme,
        body: { tasks: [{ id: 'r', prompt: 'redis [task=r]' }], policy: { budgetUsd: 1 } },
      });
      const run = await client.waitForRun(created.body.id, KEYS.acme);
      expect(run.state).toBe('completed');
      expect(run.budget?.spentUsd).toBeCloseTo(run.usage.costUsd, 9);
      const probe = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
      // SCAN pages through the whole keyspace (other suites' keys included): follow the cursor to
      // the end — one page may hold none of ours.
      let found = 0;
      let cursor = '0';
      do {
        const [next, keys] = await probe.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        found += keys.length;
      } while (cursor !== '0' && found === 0);
      await probe.quit();
      expect(found).toBeGreaterThan(0);
    } finally {
      await sidecar.stop();
    }
  });

  it('answers /healthz 503 while Redis is unreachable', async () => {
    const env = { ...config.env, RUNTIME_REDIS_URL: 'redis://127.0.0.1:1', RUNTIME_REDIS_PREFIX: prefix, RUNTIME_DB: 'memory' };
    const sidecar = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) });
    try {
      const health = await createClient(sidecar.url).request<{ status: string; checks: Record<string, { ok: boolean; error?: string }> }>('GET', '/healthz');
      expect(health.status).toBe(503);
      expect(health.body.status).toBe('unavailable');
      expect(health.body.checks['store']?.ok).toBe(true);
      expect(health.body.checks['redis']?.ok).toBe(false);
    } finally {
      await sidecar.stop();
    }
  });
});
