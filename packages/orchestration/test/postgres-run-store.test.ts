/**
 * The PostgreSQL run store: the shared RunStore contract (per-test schemas, two pools for the
 * races), then what is PostgreSQL's own — migrations and concurrent starts, options, faults mapped
 * to retryable STORE_ERRORs, and the cost of one commit whatever the run's size.
 */
import pg from 'pg';
import { asRunId, asTaskId, InternalError, type RunStore } from '@runtime/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UNFINISHED } from '../src/internal/postgres-schema.js';
import { postgresStatements } from '../src/internal/postgres-statements.js';
import { createPostgresRunStore } from '../src/postgres.js';
import { runStoreContract } from '../src/testing/run-store-contract.js';
import { run, taskRecord } from '../src/testing/run-store-fixtures.js';
import { POSTGRES_URL, postgresSchemas, sql } from './support/postgres.js';
import { startTcpProxy } from './support/tcp-proxy.js';

const schemas = postgresSchemas();
// Each case creates a schema and a pool and migrates it: room for a machine busy with other suites.
vi.setConfig({ testTimeout: 30_000 });

afterEach(async () => {
  await schemas.drop();
});

runStoreContract('createPostgresRunStore (schema per test)', {
  open: () => schemas.open(schemas.fresh()),
  location: () => {
    const schema = schemas.fresh();
    return () => schemas.open(schema);
  },
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('createPostgresRunStore migrations', () => {
  it('creates the schema and records versions 1 and 2 once; reopening applies nothing again', async () => {
    const schema = schemas.fresh();
    await (await schemas.open(schema)).close();
    await (await schemas.open(schema)).close();
    const rows = await sql<{ version: number; name: string }>(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
    expect(rows.map((row) => row.version)).toEqual([1, 2]);
    const tables = await sql<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema]);
    expect(tables.map((row) => row.table_name)).toEqual(['events', 'run_requests', 'run_specs', 'runs', 'schema_migrations', 'store_probe', 'tasks']);
  });

  it('eight replicas starting at once on an empty schema: all open, the migration is applied once', async () => {
    const schema = schemas.fresh();
    const stores = await Promise.all(Array.from({ length: 8 }, () => createPostgresRunStore({ connectionString: POSTGRES_URL, schema, maxConnections: 1 })));
    try {
      await stores[0]?.createRun(run('one'), []);
      for (const store of stores) expect((await store.getRun(asRunId('one')))?.id).toBe('one');
      expect(await sql(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).toEqual([{ version: 1 }, { version: 2 }]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('refuses a schema written by a newer version (not retryable) and leaves it as it was', async () => {
    const schema = schemas.fresh();
    await (await schemas.open(schema)).close();
    await sql(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (99, 'from the future')`);
    const failure = await rejection(schemas.open(schema));
    expect(InternalError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'STORE_ERROR', isRetryable: false, details: { schema, schemaVersion: 99, supported: 2 } });
    expect((await sql<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).map((row) => row.version)).toEqual([1, 2, 99]);
  });
});

describe('createPostgresRunStore options and faults', () => {
  it('rejects options that cannot work with VALIDATION_FAILED', async () => {
    await expect(createPostgresRunStore({ connectionString: POSTGRES_URL, schema: 'Robert"; DROP TABLE runs; --' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(createPostgresRunStore({ connectionString: POSTGRES_URL, schema: 'x'.repeat(64) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const pool = new pg.Pool({ connectionString: POSTGRES_URL });
    try {
      await expect(createPostgresRunStore({ pool, connectionString: POSTGRES_URL } as never)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { pool: true, connectionString: true },
      });
      await expect(createPostgresRunStore({} as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    } finally {
      await pool.end();
    }
  });

  it('an unreachable server is a retryable STORE_ERROR at start', async () => {
    const failure = await rejection(createPostgresRunStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test' }));
    expect(failure).toMatchObject({ code: 'STORE_ERROR', isRetryable: true, details: { socketCode: 'ECONNREFUSED' } });
  });

  it('works on a pool the caller owns, and leaves it open on close', async () => {
    const schema = schemas.fresh();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    pool.on('error', () => undefined);
    try {
      const store = await createPostgresRunStore({ pool, schema });
      await store.createRun(run('pooled'), []);
      await store.close();
      expect((await pool.query<{ id: string }>(`SELECT id FROM "${schema}".runs`)).rows).toEqual([{ id: 'pooled' }]);
    } finally {
      await pool.end();
    }
  });

  it('two stores on one pool whose 63-character schema names differ only at the end keep their statements apart', async () => {
    const base = schemas.fresh();
    const [left, right] = [`${base}_${'l'.repeat(62 - base.length)}`, `${base}_${'r'.repeat(62 - base.length)}`];
    schemas.adopt(left);
    schemas.adopt(right);
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    pool.on('error', () => undefined);
    try {
      const [first, second] = [await createPostgresRunStore({ pool, schema: left }), await createPostgresRunStore({ pool, schema: right })];
      await first.createRun(run('only-left'), []);
      expect((await first.getRun(asRunId('only-left')))?.id).toBe('only-left');
      expect(await second.getRun(asRunId('only-left'))).toBeUndefined();
      await second.createRun(run('only-right'), []);
      expect((await second.listRuns({ tenant: 'acme' })).items.map((item) => item.id)).toEqual(['only-right']);
      expect((await first.listRuns({ tenant: 'acme' })).items.map((item) => item.id)).toEqual(['only-left']);
    } finally {
      await pool.end();
    }
  });

  /** Opens a store on its own pool (`application_name` marks its backends) with a run leased to `p`. */
  async function leasedStore(applicationName: string, options: string): Promise<{ store: RunStore; pool: pg.Pool; schema: string }> {
    const schema = schemas.fresh();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, application_name: applicationName, options });
    pool.on('error', () => undefined);
    const store = await createPostgresRunStore({ pool, schema });
    await store.createRun(run('locked', { lease: { owner: 'p', epoch: 1, expiresAt: Number.MAX_SAFE_INTEGER } }), [taskRecord('locked', 'a', 0)]);
    return { store, pool, schema };
  }

  /** Holds the run row's lock from another connection until `release` is called. */
  async function holdRowLock(schema: string): Promise<{ release: () => Promise<void> }> {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM "${schema}".runs WHERE id = 'locked' FOR UPDATE`);
    return {
      release: async () => {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }

  const commitOf = (state: 'running' | 'completed') => ({
    fence: { owner: 'p', epoch: 1 },
    tasks: [taskRecord('locked', 'a', 0, { state })],
    events: [{ type: 'task.ready' as const, runId: asRunId('locked'), seq: 1, at: 'x', taskId: asTaskId('a') }],
  });

  it('a row lock held past lock_timeout (55P03) is a retryable STORE_ERROR that wrote nothing; the commit works after', async () => {
    const { store, pool, schema } = await leasedStore('runtime-lock-timeout', '-c lock_timeout=150');
    const holder = await holdRowLock(schema);
    try {
      const failure = await rejection(store.commit(asRunId('locked'), commitOf('running')));
      expect(failure).toMatchObject({ code: 'STORE_ERROR', isRetryable: true, details: { pgCode: '55P03' } });
    } finally {
      await holder.release();
    }
    expect(await store.readEvents(asRunId('locked'))).toEqual([]);
    expect((await store.getTasks(asRunId('locked')))[0]?.state).toBe('pending');
    await store.commit(asRunId('locked'), commitOf('running'));
    expect((await store.getRun(asRunId('locked')))?.lastSeq).toBe(1);
    await store.close();
    await pool.end();
  });

  it('a backend terminated mid-commit (57P01, connection lost) is a retryable STORE_ERROR that wrote nothing; the store reconnects', async () => {
    const applicationName = `runtime-terminate-${process.pid}`;
    const { store, pool, schema } = await leasedStore(applicationName, '');
    const holder = await holdRowLock(schema);
    try {
      const pending = rejection(store.commit(asRunId('locked'), commitOf('completed')));
      // Wait until the commit is blocked on the row lock, then terminate its backend.
      for (let tries = 0; ; tries += 1) {
        const waiting = await sql<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [applicationName]);
        if (waiting.length > 0) {
          await sql('SELECT pg_terminate_backend($1)', [waiting[0]?.pid]);
          break;
        }
        if (tries > 200) throw new Error('the commit never waited for the row lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const failure = await pending;
      expect(failure).toMatchObject({ code: 'STORE_ERROR', isRetryable: true });
    } finally {
      await holder.release();
    }
    expect((await store.getTasks(asRunId('locked')))[0]?.state).toBe('pending');
    await store.commit(asRunId('locked'), commitOf('completed'));
    expect((await store.getTasks(asRunId('locked')))[0]?.state).toBe('completed');
    await expect(store.checkWrite()).resolves.toBeUndefined();
    await store.close();
    await pool.end();
  });
});

describe('createPostgresRunStore write cost', () => {
  /** Rows written by one one-task commit of a `tasks`-task run, counted by the commit's transaction id (xmin). */
  async function rowsWrittenByOneCommit(tasks: number): Promise<Record<string, number>> {
    const schema = schemas.fresh();
    const store = await schemas.open(schema);
    const runId = asRunId('big');
    const specs = Array.from({ length: tasks }, (_, index) => ({ id: `t${index}`, prompt: `Summarise part ${index} of the report.` }));
    await store.createRun(
      run('big', { spec: { tasks: specs }, lease: { owner: 'p', epoch: 1, expiresAt: Number.MAX_SAFE_INTEGER } }),
      specs.map((spec, index) => taskRecord('big', spec.id, index)),
    );
    const middle = Math.floor(tasks / 2);
    await store.commit(runId, {
      fence: { owner: 'p', epoch: 1 },
      tasks: [taskRecord('big', `t${middle}`, middle, { state: 'completed', attempts: 1, output: 'done' })],
      events: [
        { type: 'task.completed', runId, seq: 1, at: 'x', taskId: asTaskId(`t${middle}`), attempt: 1, usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0 }, costUsd: 0 },
        { type: 'task.ready', runId, seq: 2, at: 'x', taskId: asTaskId('t0') },
      ],
    });
    await store.close();
    const [counts] = await sql<Record<string, string>>(
      `WITH c AS (SELECT xmin::text AS xid FROM "${schema}".runs WHERE id = 'big')
       SELECT (SELECT count(*) FROM "${schema}".runs, c WHERE xmin::text = c.xid) AS runs,
              (SELECT count(*) FROM "${schema}".run_specs, c WHERE xmin::text = c.xid) AS specs,
              (SELECT count(*) FROM "${schema}".tasks, c WHERE xmin::text = c.xid) AS tasks,
              (SELECT count(*) FROM "${schema}".events, c WHERE xmin::text = c.xid) AS events`,
    );
    return Object.fromEntries(Object.entries(counts ?? {}).map(([key, value]) => [key, Number(value)]));
  }

  it('one commit writes the run row, its task and its events — the same for a 10-task and a 20,000-task run (the spec is not rewritten)', { timeout: 60_000 }, async () => {
    const expected = { runs: 1, specs: 0, tasks: 1, events: 2 };
    expect(await rowsWrittenByOneCommit(10)).toEqual(expected);
    expect(await rowsWrittenByOneCommit(20_000)).toEqual(expected);
  });

  it('finds resumable runs through the partial index of unfinished runs', async () => {
    const schema = schemas.fresh();
    await (await schemas.open(schema)).close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      // Planner statistics of an empty table favour a scan: forbid it to see which index serves the query.
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM "${schema}".runs r WHERE r.${UNFINISHED} AND r.lease_expires_at <= 0 ORDER BY r.position LIMIT 5`,
      );
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('runs_resumable');
    } finally {
      await client.end();
    }
  });
});

describe('createPostgresRunStore request inbox', () => {
  it('claims through the partial index of pending requests and looks runs up by id (no scan of runs)', async () => {
    const schema = schemas.fresh();
    await (await schemas.open(schema)).close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const text = postgresStatements(schema).claimRequests.replaceAll('$1::text', "'owner'").replace('$2', '5');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`);
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toContain('run_requests_pending');
      expect(plan).toContain('runs_id_key');
    } finally {
      await client.end();
    }
  });

  it('watchRequests wakes the lease owner of the run a request is posted for, only it, until stopped', async () => {
    const schema = schemas.fresh();
    const owner = await createPostgresRunStore({ connectionString: POSTGRES_URL, schema, maxConnections: 2 });
    const asker = await schemas.open(schema);
    try {
      await asker.createRun(run('n1'), []);
      await asker.acquireLease(asRunId('n1'), 'owner-a', 60_000, 0);
      const woken: string[] = [];
      const stopA = await owner.watchRequests('owner-a', () => woken.push('a'));
      const stopB = await owner.watchRequests('owner-b', () => woken.push('b'));
      // Once listening, a watcher is woken once to catch up with what was posted before.
      expect(woken).toEqual(['a']);
      woken.length = 0;
      await asker.postRequest({ id: 'q1', runId: asRunId('n1'), body: { kind: 'abort' }, postedAt: 1 });
      await vi.waitFor(() => expect(woken).toEqual(['a']));
      await stopA();
      await asker.postRequest({ id: 'q2', runId: asRunId('n1'), body: { kind: 'abort' }, postedAt: 2 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(woken).toEqual(['a']);
      await stopB();
      // The listener's connection closed with its last watcher.
      const listeners = await sql<{ count: string }>("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN runtime_requests_%'");
      expect(Number(listeners[0]?.count)).toBe(0);
    } finally {
      await owner.close();
      await asker.close();
    }
  });

  it('watchRequests listens again after an outage longer than one re-listen delay (a failed re-listen is retried)', async () => {
    const schema = schemas.fresh();
    const asker = await schemas.open(schema);
    const target = new URL(POSTGRES_URL);
    const proxy = await startTcpProxy(Number(target.port === '' ? 5432 : target.port), target.hostname);
    const viaProxy = new URL(POSTGRES_URL);
    viaProxy.port = String(proxy.port);
    const owner = await createPostgresRunStore({ connectionString: viaProxy.toString(), schema, maxConnections: 2 });
    try {
      await asker.createRun(run('r1'), []);
      await asker.acquireLease(asRunId('r1'), 'owner-a', 60_000, 0);
      let woken = 0;
      const stop = await owner.watchRequests('owner-a', () => {
        woken += 1;
      });
      // PostgreSQL goes away for 2.5 s: the re-listen 1 s after the drop fails too.
      await proxy.cut();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await proxy.restore();
      woken = 0;
      // Listening again: a catch-up wake, and a posted request wakes the owner.
      await vi.waitFor(() => expect(woken).toBeGreaterThan(0), { timeout: 5_000 });
      woken = 0;
      await asker.postRequest({ id: 'q1', runId: asRunId('r1'), body: { kind: 'abort' }, postedAt: 1 });
      await vi.waitFor(() => expect(woken).toBeGreaterThan(0), { timeout: 2_000 });
      await stop();
    } finally {
      await owner.close();
      await asker.close();
      await proxy.close();
    }
  });

  it('migrates a version-1 schema (no inbox) to version 2 and keeps its runs', async () => {
    const schema = schemas.fresh();
    const before = await schemas.open(schema);
    await before.createRun(run('kept'), [taskRecord('kept', 'a', 0)]);
    await before.close();
    await sql(`DROP TABLE "${schema}".run_requests`);
    await sql(`DELETE FROM "${schema}".schema_migrations WHERE version = 2`);
    const store = await schemas.open(schema);
    try {
      expect(await store.getRun(asRunId('kept'))).toMatchObject({ id: 'kept', state: 'running' });
      await store.postRequest({ id: 'q', runId: asRunId('kept'), body: { kind: 'abort', reason: 'r' }, postedAt: 1 });
      expect((await store.getRequest(asRunId('kept'), 'q'))?.request.body).toEqual({ kind: 'abort', reason: 'r' });
    } finally {
      await store.close();
    }
    expect((await sql<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).map((row) => row.version)).toEqual([1, 2]);
  });
});

describe('createPostgresRunStore reads', () => {
  it('reads a page of runs with cold specs in two queries (rows, then the missing specs at once), each record with its own spec', async () => {
    const schema = schemas.fresh();
    const writer = await schemas.open(schema);
    const specOf = (index: number) => ({ tasks: [{ id: `only-${index}`, prompt: `prompt ${index}` }] });
    for (let index = 0; index < 50; index += 1) await writer.createRun(run(`p${index}`, { spec: specOf(index) }), []);
    await writer.close();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    pool.on('error', () => undefined);
    try {
      const reader = await createPostgresRunStore({ pool, schema });
      const query = pool.query.bind(pool);
      let queries = 0;
      pool.query = ((...args: Parameters<typeof query>) => {
        queries += 1;
        return query(...args);
      }) as typeof pool.query;
      const page = await reader.listRuns({ tenant: 'acme', limit: 50 });
      expect(queries).toBe(2);
      expect(page.items.map((item) => item.spec)).toEqual(Array.from({ length: 50 }, (_, index) => specOf(49 - index)));
      queries = 0;
      expect((await reader.findResumableRuns(Date.now(), 30)).map((item) => item.id)).toEqual(Array.from({ length: 30 }, (_, index) => `p${index}`));
      expect(queries).toBe(2);
      await reader.close();
    } finally {
      await pool.end();
    }
  });
});
