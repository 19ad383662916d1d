/**
 * The sidecar on PostgreSQL (real server, a fresh schema dropped after) and Redis (a fresh key
 * prefix deleted after): migrations at start, `/healthz` naming each dependency, runs journaled in
 * Postgres and charged to the tenant's budget scope in the Redis ledger, a clear typed start error
 * when Postgres cannot be reached, and graceful shutdown handing runs over to another replica.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { moneyToUsd, RuntimeError, type Run } from '@runtime/contracts';
import { createRedisBudgetLedger } from '@runtime/cost/redis';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { startSidecar, type RunningSidecar } from '../src/start-sidecar.js';
import { KEYS, writeE2eConfig, type E2eConfig } from './support/e2e-config.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from './support/fake-openai-server.js';
import { createClient } from './support/http-client.js';
import { runCliProcess } from './support/sidecar-process.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { deleteRedisKeys, dropSchema, POSTGRES_URL, REDIS_URL, uniquePrefix, uniqueSchema, withPostgres } from './support/shared-services.js';

let fake: FakeOpenAiServer;
let config: E2eConfig;
let schema: string;
let prefix: string;
const started: RunningSidecar[] = [];

beforeEach(async () => {
  fake = await startFakeOpenAiServer();
  config = writeE2eConfig(fake.baseUrl);
  schema = uniqueSchema('store');
  prefix = uniquePrefix('store');
});

afterEach(async () => {
  try {
    for (const sidecar of started.splice(0)) await sidecar.stop();
    await fake.close();
  } finally {
    await dropSchema(schema);
    await deleteRedisKeys(prefix);
    rmSync(config.directory, { recursive: true, force: true });
  }
});

function envFor(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...config.env,
    RUNTIME_DB: POSTGRES_URL,
    RUNTIME_DB_SCHEMA: schema,
    RUNTIME_REDIS_URL: REDIS_URL,
    RUNTIME_REDIS_PREFIX: prefix,
    RUNTIME_LEASE_TTL_MS: '10000',
    RUNTIME_RESUME_INTERVAL_MS: '200',
    ...extra,
  };
}

async function start(env: Record<string, string>, file?: string): Promise<RunningSidecar> {
  const sidecar = await startSidecar(loadConfig({ env, ...(file === undefined ? {} : { path: file }) }), { env, logger: pino({ level: 'silent' }) });
  started.push(sidecar);
  return sidecar;
}

describe('sidecar on PostgreSQL', () => {
  it('migrates at start, reports postgres and redis in /healthz, journals runs in Postgres and charges the tenant budget in Redis', async () => {
    writeFileSync(config.configPath, readFileSync(config.configPath, 'utf8') + 'budgets:\n  tenants:\n    acme: { limitUsd: 3 }\n');
    const sidecar = await start(envFor());
    const client = createClient(sidecar.url);
    const health = await client.request<{ status: string; checks: Record<string, { ok: boolean; kind?: string }> }>('GET', '/healthz');
    expect(health.status, health.text).toBe(200);
    expect(health.body.checks).toEqual({ store: { ok: true, kind: 'postgres' }, redis: { ok: true, kind: 'redis' } });

    const created = await client.request<Run>('POST', '/v1/runs', {
      key: KEYS.acme,
      body: { tasks: [{ id: 'a', prompt: 'a [task=a]' }, { id: 'b', prompt: 'b [task=b]', deps: ['a'] }], policy: { budgetUsd: 1 } },
    });
    expect(created.status, created.text).toBe(201);
    const run = await client.waitForRun(created.body.id, KEYS.acme);
    expect(run.state).toBe('completed');
    const rows = await withPostgres((pgClient) => pgClient.query<{ count: string }>(`SELECT count(*) FROM "${schema}".runs WHERE id = $1`, [run.id]));
    expect(rows.rows[0]?.count).toBe('1');

    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const ledger = createRedisBudgetLedger({ redis, keyPrefix: `${prefix}ledger:` });
      const runScope = await ledger.snapshot(`run:${run.id}`);
      const tenantScope = await ledger.snapshot('tenant:acme');
      expect(moneyToUsd(runScope.spent)).toBeCloseTo(run.usage.costUsd, 9);
      expect(run.usage.costUsd).toBeGreaterThan(0);
      expect(tenantScope.spent).toBe(runScope.spent);
      expect(tenantScope.limit === null ? null : moneyToUsd(tenantScope.limit)).toBe(3);
    } finally {
      await redis.quit();
    }
  });

  it('/healthz follows PostgreSQL: 503 naming the postgres store while it is unreachable, 200 once it is back', async () => {
    const proxy = await startTcpProxy(Number(new URL(POSTGRES_URL).port || '5432'));
    try {
      const url = new URL(POSTGRES_URL);
      url.port = String(proxy.port);
      const sidecar = await start(envFor({ RUNTIME_DB: url.toString() }));
      const client = createClient(sidecar.url);
      type Health = { status: string; checks: Record<string, { ok: boolean; kind?: string; error?: string }> };
      expect((await client.request<Health>('GET', '/healthz')).status).toBe(200);
      await proxy.cut();
      const down = await client.request<Health>('GET', '/healthz');
      expect(down.status, down.text).toBe(503);
      expect(down.body.checks['store']).toMatchObject({ ok: false, kind: 'postgres' });
      expect(down.body.checks['store']?.error).toMatch(/PostgreSQL/);
      expect(down.body.checks['redis']).toEqual({ ok: true, kind: 'redis' });
      await proxy.restore();
      let back: Health | undefined;
      for (let attempt = 0; attempt < 100 && back === undefined; attempt += 1) {
        const health = await client.request<Health>('GET', '/healthz');
        if (health.status === 200) back = health.body;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(back?.checks['store']).toEqual({ ok: true, kind: 'postgres' });
    } finally {
      for (const sidecar of started.splice(0)) await sidecar.stop();
      await proxy.close();
    }
  });

  it('a tenant budget smaller than its runs: the tenant scope never exceeds its limit, runs that no longer fit fail BUDGET_EXCEEDED, spend adds up', async () => {
    writeFileSync(config.configPath, readFileSync(config.configPath, 'utf8') + 'budgets:\n  tenants:\n    acme: { limitUsd: 0.002 }\n');
    const first = await start(envFor());
    const second = await start(envFor());
    const ids: string[] = [];
    for (let run = 0; run < 8; run += 1) {
      const client = createClient((run % 2 === 0 ? first : second).url);
      const created = await client.request<Run>('POST', '/v1/runs', {
        key: KEYS.acme,
        body: { tasks: [{ id: 'a', prompt: `a [task=b${run}a][delay=50]`, maxOutputTokens: 20 }, { id: 'b', prompt: `b [task=b${run}b][delay=50]`, maxOutputTokens: 20, deps: ['a'] }] },
      });
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
    }
    const client = createClient(first.url);
    const runs = await Promise.all(ids.map((id) => client.waitForRun(id, KEYS.acme)));
    const completed = runs.filter((run) => run.state === 'completed');
    const failed = runs.filter((run) => run.state === 'failed');
    expect(completed.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(completed.length + failed.length).toBe(runs.length);
    for (const run of failed) expect(run.error?.code, run.id).toBe('BUDGET_EXCEEDED');
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const ledger = createRedisBudgetLedger({ redis, keyPrefix: `${prefix}ledger:` });
      let sum = 0n;
      for (const run of runs) {
        const scope = await ledger.snapshot(`run:${run.id}`);
        expect(moneyToUsd(scope.spent), run.id).toBeCloseTo(run.usage.costUsd, 9);
        sum += scope.spent;
      }
      const tenant = await ledger.snapshot('tenant:acme');
      expect(tenant.spent).toBe(sum);
      expect(tenant.reserved).toBe(0n);
      expect(tenant.limit).not.toBeNull();
      expect(tenant.spent <= (tenant.limit ?? 0n)).toBe(true);
    } finally {
      await redis.quit();
    }
  });

  it('cannot reach PostgreSQL: startSidecar rejects with STORE_ERROR naming the dependency, without the password', async () => {
    const env = envFor({ RUNTIME_DB: 'postgres://postgres:hunter2@127.0.0.1:1/test' });
    const error = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(RuntimeError.isInstance(error)).toBe(true);
    if (!RuntimeError.isInstance(error)) return;
    expect(error.code).toBe('STORE_ERROR');
    expect(error.details).toMatchObject({ dependency: 'postgres', field: 'store.url', schema });
    expect(error.message).toContain('PostgreSQL');
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).not.toContain('hunter2');
  });

  it('tenant budgets while Redis is unreachable: startSidecar rejects with STORE_ERROR naming Redis (the budgets cannot be set)', async () => {
    writeFileSync(config.configPath, readFileSync(config.configPath, 'utf8') + 'budgets:\n  tenants:\n    acme: { limitUsd: 3 }\n');
    const env = envFor({ RUNTIME_REDIS_URL: 'redis://:sesame@127.0.0.1:1' });
    const error = await startSidecar(loadConfig({ env }), { env, logger: pino({ level: 'silent' }) }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(RuntimeError.isInstance(error)).toBe(true);
    if (!RuntimeError.isInstance(error)) return;
    expect(error.code).toBe('STORE_ERROR');
    expect(error.details).toMatchObject({ dependency: 'redis', field: 'budgets.tenants', tenant: 'acme' });
    expect(error.message).toContain('Redis at redis://:***@127.0.0.1:1');
    expect(error.message).not.toContain('sesame');
  });

  it('cannot reach PostgreSQL: `runtime serve` exits 3 with the typed error on stderr, without the password', async () => {
    const result = await runCliProcess(['serve'], { RUNTIME_DB: 'postgres://postgres:hunter2@127.0.0.1:1/test', RUNTIME_PORT: '0', RUNTIME_LOG_LEVEL: 'silent' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error STORE_ERROR: Cannot start: the PostgreSQL run store at postgres://postgres:***@127.0.0.1:1/test');
    expect(result.stderr + result.stdout).not.toContain('hunter2');
  });

  it('handOver shutdown: a replica stopped mid-run releases its lease and the other completes the run long before the lease TTL', async () => {
    const first = await start(envFor());
    const second = await start(envFor());
    const client = createClient(first.url);
    const tasks = Array.from({ length: 6 }, (_, index) => ({
      id: `t${index}`,
      prompt: `step ${index} [task=t${index}][delay=150]`,
      ...(index === 0 ? {} : { deps: [`t${index - 1}`] }),
    }));
    const created = await client.request<Run>('POST', '/v1/runs', { key: KEYS.acme, body: { tasks } });
    expect(created.status, created.text).toBe(201);
    await client.waitForRun(created.body.id, KEYS.acme, (run) => run.tasks.filter((task) => task.state === 'completed').length >= 2);
    const stoppedAt = Date.now();
    await first.stop();
    started.splice(started.indexOf(first), 1);
    const run = await createClient(second.url).waitForRun(created.body.id, KEYS.acme, undefined, 9_000);
    const tookMs = Date.now() - stoppedAt;
    expect(run.state).toBe('completed');
    // Lease TTL is 10 s: the run moved because the lease was released, not because it expired.
    expect(tookMs).toBeLessThan(5_000);
    for (const task of run.tasks) expect(fake.deliveredCount(task.id), task.id).toBeGreaterThanOrEqual(1);
    const events = await createClient(second.url).events(`/v1/runs/${run.id}/events`, KEYS.acme);
    for (const task of run.tasks) {
      expect(events.filter((event) => event.type === 'task.completed' && event.taskId === task.id), task.id).toHaveLength(1);
    }
  }, 30_000);
});
