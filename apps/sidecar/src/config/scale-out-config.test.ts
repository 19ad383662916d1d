/**
 * The scale-out config: PostgreSQL store (file and `RUNTIME_DB`), its schema, rate limits on Redis,
 * shutdown mode defaults, tenant budgets; bad values refused naming the field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@runtime/contracts';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'sidecar-scale-out-config-'));
const PG = 'postgres://postgres@127.0.0.1:5432/test';

function write(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

function failure(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('scale-out config', () => {
  it('store: postgres with schema and pool size; handOver shutdown by default on PostgreSQL', () => {
    const path = write(`store: { kind: postgres, url: "${PG}", schema: runtime_a, maxConnections: 4 }\n`);
    const resolved = loadConfig({ env: {}, path });
    expect(resolved.store).toEqual({ kind: 'postgres', url: PG, schema: 'runtime_a', maxConnections: 4 });
    expect(resolved.shutdownMode).toBe('handOver');
    expect(resolved.rateLimits).toEqual({ kind: 'memory' });
  });

  it('RUNTIME_DB takes a PostgreSQL URL and RUNTIME_DB_SCHEMA its schema; SQLite keeps drain', () => {
    const resolved = loadConfig({ env: { RUNTIME_DB: 'postgresql://u@db/x', RUNTIME_DB_SCHEMA: 'tenant_runs' } });
    expect(resolved.store).toEqual({ kind: 'postgres', url: 'postgresql://u@db/x', schema: 'tenant_runs' });
    expect(loadConfig({ env: { RUNTIME_DB: join(dir, 'x.db') } }).shutdownMode).toBe('drain');
    expect(loadConfig({ env: { RUNTIME_DB: 'memory', RUNTIME_SHUTDOWN_MODE: 'handOver' } }).shutdownMode).toBe('handOver');
  });

  it('a bad schema name is refused at store.schema; RUNTIME_DB_SCHEMA without PostgreSQL is refused', () => {
    const path = write(`store: { kind: postgres, url: "${PG}", schema: "Bad-Name" }\n`);
    const error = failure(() => loadConfig({ env: {}, path }));
    expect(error.details).toMatchObject({ field: 'store.schema' });
    expect(failure(() => loadConfig({ env: { RUNTIME_DB: 'memory', RUNTIME_DB_SCHEMA: 'x' } })).details).toMatchObject({ field: 'RUNTIME_DB_SCHEMA' });
    expect(failure(() => loadConfig({ env: { RUNTIME_DB: PG, RUNTIME_DB_SCHEMA: 'Nope' } })).details).toMatchObject({ field: 'RUNTIME_DB_SCHEMA' });
    expect(failure(() => loadConfig({ env: { RUNTIME_SHUTDOWN_MODE: 'wait' } })).details).toMatchObject({ field: 'RUNTIME_SHUTDOWN_MODE' });
  });

  it('rate limits follow a Redis ledger; rateLimits: {kind: memory} keeps them per process; redis without a URL is refused', () => {
    expect(loadConfig({ env: { RUNTIME_REDIS_URL: 'redis://127.0.0.1:6379' } }).rateLimits).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379' });
    const memory = write('ledger: { kind: redis, url: "redis://127.0.0.1:6379" }\nrateLimits: { kind: memory }\n');
    expect(loadConfig({ env: {}, path: memory }).rateLimits).toEqual({ kind: 'memory' });
    const missing = write('rateLimits: { kind: redis }\n');
    expect(failure(() => loadConfig({ env: {}, path: missing })).details).toMatchObject({ field: 'rateLimits.url' });
    const other = write('ledger: { kind: redis, url: "redis://a:6379" }\nrateLimits: { kind: redis, url: "redis://b:6379" }\n');
    expect(failure(() => loadConfig({ env: {}, path: other })).details).toMatchObject({ field: 'rateLimits.url' });
  });

  it('RUNTIME_SSE_JOURNAL_POLL_MS: how often streams of runs executing elsewhere read the journal (default 1000; 20..60000)', () => {
    expect(loadConfig({ env: {} }).eventStreams.journalPollMs).toBe(1_000);
    expect(loadConfig({ env: { RUNTIME_SSE_JOURNAL_POLL_MS: '100' } }).eventStreams.journalPollMs).toBe(100);
    expect(failure(() => loadConfig({ env: { RUNTIME_SSE_JOURNAL_POLL_MS: '5' } })).details).toMatchObject({ field: 'RUNTIME_SSE_JOURNAL_POLL_MS' });
  });

  it('shutdown and tenant budgets', () => {
    const path = write('shutdown: { mode: drain, timeoutMs: 2500 }\nbudgets: { tenants: { acme: { limitUsd: 12.5 } } }\n');
    const resolved = loadConfig({ env: {}, path });
    expect(resolved).toMatchObject({ shutdownMode: 'drain', shutdownTimeoutMs: 2_500, tenantBudgets: { acme: 12.5 } });
    const bad = write('budgets: { tenants: { acme: { limitUsd: 0 } } }\n');
    expect(failure(() => loadConfig({ env: {}, path: bad })).details).toMatchObject({ field: 'budgets.tenants.acme.limitUsd' });
    const unknown = write('shutdown: { mode: drain, grace: 1 }\n');
    expect(failure(() => loadConfig({ env: {}, path: unknown })).details).toMatchObject({ field: expect.stringContaining('shutdown') });
  });
});
