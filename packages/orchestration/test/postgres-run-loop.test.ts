/**
 * The run loop on PostgreSQL when the database misbehaves: every backend of the store terminated
 * while a commit waits on the run's row (as a server restart or a failover does) is a retryable STORE_ERROR the journal retries,
 * and the run completes with every task answered once; the health probe sees a store that reads but
 * cannot write. (Crash/resume, the two-process lease tests and the fault matrix run on PostgreSQL in
 * crash.test.ts, lease.test.ts and fault-matrix.test.ts.)
 */
import pg from 'pg';
import { InternalError, type RunCommit, type RunId } from '@runtime/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresRunStore } from '../src/postgres.js';
import { createScriptedLlm } from '../src/testing.js';
import { layeredDag } from './support/layered-dag.js';
import { POSTGRES_URL, postgresSchemas, sql } from './support/postgres.js';
import { harness } from './support/setup.js';

const schemas = postgresSchemas();

afterEach(async () => {
  await schemas.drop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function storePool(applicationName: string, options = ''): pg.Pool {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4, application_name: applicationName, options });
  pool.on('error', () => undefined);
  return pool;
}

describe('the run loop on PostgreSQL under database faults', () => {
  it('completes a run whose store connections are all terminated mid-commit, three times: retried, every task answered once, no seq gap', { timeout: 60_000 }, async () => {
    const applicationName = `runtime-killed-${process.pid}`;
    const pool = storePool(applicationName);
    const schema = schemas.fresh();
    try {
      const inner = await createPostgresRunStore({ pool, schema });
      let failedCommits = 0;
      const countedCommit = (runId: RunId, commit: RunCommit): Promise<void> =>
        inner.commit(runId, commit).catch((error: unknown) => {
          failedCommits += 1;
          throw error;
        });
      // Every other method goes to the store itself (bound: its state is in private fields).
      const store = new Proxy(inner, {
        get: (target, key) => {
          if (key === 'commit') return countedCommit;
          const value = Reflect.get(target, key) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      // Slow enough (≥ 15 ms a call, ≈ 0.5 s in all) that commits are still coming during the three rounds.
      const llm = createScriptedLlm({ latency: (id) => 15 + (Number(id.slice(1)) % 10) });
      // The background work (the request inbox's claim, lease renewals) meets the terminated
      // connections too: its STORE_ERRORs are expected here; anything else still fails the test.
      const onBackgroundError = (error: unknown): void => {
        if (InternalError.isInstance(error) && error.code === 'STORE_ERROR') return;
        throw error;
      };
      const { orchestrator } = harness(llm, { store, owner: 'replica-a', storeRetry: { retries: 8, baseDelayMs: 5, maxDelayMs: 100 }, onBackgroundError });
      const started = await orchestrator.start({ tasks: layeredDag(120, 8, 5), policy: { maxParallelism: 6 } });
      for (let round = 0; round < 3; round += 1) {
        // Hold the run's row so the next commit waits on it, then terminate every backend of the store.
        const holder = new pg.Client({ connectionString: POSTGRES_URL });
        await holder.connect();
        try {
          await holder.query('BEGIN');
          await holder.query(`SELECT 1 FROM "${schema}".runs WHERE id = $1 FOR UPDATE`, [started.id]);
          for (let tries = 0; ; tries += 1) {
            const waiting = await sql("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [applicationName]);
            if (waiting.length > 0) break;
            if (tries > 500) throw new Error('no commit waited for the run row');
            await sleep(5);
          }
          await sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        } finally {
          await holder.query('ROLLBACK');
          await holder.end();
        }
      }
      const run = await orchestrator.wait(started.id);
      expect(run.state).toBe('completed');
      expect(failedCommits).toBeGreaterThanOrEqual(3);
      expect(llm.calls.size).toBe(120);
      expect([...llm.calls.values()].every((count) => count === 1)).toBe(true);
      const events = await store.readEvents(started.id);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
      expect(events.filter((event) => event.type === 'task.completed')).toHaveLength(120);
      await orchestrator.close();
      await store.close();
    } finally {
      await pool.end();
    }
  });

  it('checkStore is unhealthy while the store cannot write (probe table locked past lock_timeout), though it still reads; healthy again after', async () => {
    const schema = schemas.fresh();
    const pool = storePool(`runtime-health-${process.pid}`, '-c lock_timeout=100');
    const holder = new pg.Client({ connectionString: POSTGRES_URL });
    try {
      const store = await createPostgresRunStore({ pool, schema });
      const { orchestrator } = harness(createScriptedLlm(), { store });
      expect((await orchestrator.checkStore()).healthy).toBe(true);
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".store_probe IN ACCESS EXCLUSIVE MODE`);
      await expect(store.findResumableRuns(Date.now(), 1)).resolves.toEqual([]);
      await expect(store.checkWrite()).rejects.toMatchObject({ code: 'STORE_ERROR', isRetryable: true, details: { pgCode: '55P03' } });
      expect(await orchestrator.checkStore()).toMatchObject({ healthy: false, activeRuns: 0, parkedRuns: 0, error: { code: 'STORE_ERROR' } });
      await holder.query('ROLLBACK');
      expect(await orchestrator.checkStore()).toMatchObject({ healthy: true, activeRuns: 0, parkedRuns: 0 });
      await orchestrator.close();
      await store.close();
    } finally {
      await holder.end().catch(() => undefined);
      await pool.end();
    }
  });
});
