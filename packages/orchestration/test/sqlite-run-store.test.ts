import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { asRunId, asTaskId, InternalError, type RunStore, type RuntimeEvent, type TaskRecord } from '@runtime/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { CLAIM_REQUESTS, RESUMABLE_RUNS } from '../src/internal/sqlite-schema.js';
import { createSqliteRunStore } from '../src/sqlite.js';
import { createScriptedLlm } from '../src/testing.js';
import { runStoreContract } from '../src/testing/run-store-contract.js';
import { run, taskRecord } from '../src/testing/run-store-fixtures.js';
import { harness } from './support/setup.js';

const folder = mkdtempSync(join(tmpdir(), 'runtime-sqlite-store-'));
const fixture = join(import.meta.dirname, '__fixtures__', 'legacy-v1.db');
let counter = 0;

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

function freshPath(name: string): string {
  return join(folder, `${name}-${++counter}.db`);
}

runStoreContract('createSqliteRunStore (real file, WAL)', {
  open: () => createSqliteRunStore({ path: freshPath('store') }),
  location: () => {
    const path = freshPath('shared');
    return () => createSqliteRunStore({ path });
  },
});

describe('createSqliteRunStore files', () => {
  it('fails with a non-retryable STORE_ERROR when the directory is missing or the file is not a database', () => {
    expect(() => createSqliteRunStore({ path: join(folder, 'missing-dir', 'x.db') })).toThrow(
      expect.objectContaining({ code: 'STORE_ERROR', isRetryable: false, details: { sqliteCode: null } }),
    );
    const garbage = freshPath('garbage');
    writeFileSync(garbage, 'this is not a SQLite database, just text long enough to have a header '.repeat(20));
    expect(() => createSqliteRunStore({ path: garbage })).toThrow(expect.objectContaining({ code: 'STORE_ERROR', isRetryable: false, details: { sqliteCode: 'SQLITE_NOTADB' } }));
  });
});

describe('createSqliteRunStore schema versions', () => {
  it('opens a database written by the previous (single JSON record) layout, migrates it and resumes its runs', async () => {
    const path = freshPath('legacy');
    copyFileSync(fixture, path);
    const store = createSqliteRunStore({ path });
    expect(await store.getRun(asRunId('done'))).toEqual({
      id: 'done',
      tenant: 'acme',
      spec: { tasks: [{ id: 'a', prompt: 'first' }, { id: 'b', prompt: 'second', deps: ['a'] }], policy: { maxParallelism: 2 } },
      state: 'completed',
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:05.000Z',
      budgetLimit: 5_000_000_000n,
      parentScopes: ['tenant:acme'],
      owner: 'old-process',
      idempotencyKey: 'key-1',
      requestHash: 'hash-1',
      lastSeq: 3,
    });
    expect((await store.findByIdempotencyKey('acme', 'key-1'))?.id).toBe('done');
    expect((await store.getRun(asRunId('other')))?.error).toEqual({ code: 'RUN_ABORTED', message: 'Aborted.', details: {} });
    expect((await store.getTasks(asRunId('done'))).map((task) => [task.id, task.state, task.cost])).toEqual([
      ['a', 'completed', 1_234_567_890_123n],
      ['b', 'completed', 7n],
    ]);
    expect((await store.readEvents(asRunId('done'))).map((event) => event.seq)).toEqual([1, 2, 3]);
    // Positions (and so list cursors) survive the migration.
    const page = await store.listRuns({ tenant: 'acme', limit: 1 });
    expect(page.items.map((item) => item.id)).toEqual(['interrupted']);
    expect((await store.listRuns({ tenant: 'acme', limit: 1, cursor: page.nextCursor ?? '' })).items.map((item) => item.id)).toEqual(['done']);
    // The interrupted run had no lease: it is resumable, and a new owner can take it and finish it.
    expect((await store.findResumableRuns(Date.now())).map((record) => record.id)).toEqual(['interrupted']);
    const lease = await store.acquireLease(asRunId('interrupted'), 'new-process', 1_000, 0);
    expect(lease).toEqual({ owner: 'new-process', epoch: 1, expiresAt: 1_000 });
    const [, inFlight] = await store.getTasks(asRunId('interrupted'));
    expect(inFlight).toMatchObject({ id: 'b', state: 'running', reservationId: 'res-b' });
    await store.commit(asRunId('interrupted'), {
      fence: { owner: 'new-process', epoch: 1 },
      run: { state: 'completed', updatedAt: '2026-12-01T00:00:00.000Z' },
      tasks: [{ ...(inFlight as TaskRecord), state: 'completed', output: 'B', attempts: 2 }],
      events: [{ type: 'run.completed', runId: asRunId('interrupted'), seq: 4, at: '2026-12-01T00:00:00.000Z' } as RuntimeEvent],
    });
    await store.close();
    const reopened = createSqliteRunStore({ path });
    expect(await reopened.getRun(asRunId('interrupted'))).toMatchObject({ state: 'completed', lastSeq: 4, owner: 'new-process', budgetLimit: 5_000_000_000n });
    await reopened.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(4);
    raw.close();
  });

  it('opens a database of the unreleased version 2 (one row per event) and keeps its runs, leases and events', async () => {
    const path = freshPath('v2');
    copyFileSync(join(import.meta.dirname, '__fixtures__', 'unreleased-v2.db'), path);
    const store = createSqliteRunStore({ path });
    expect(await store.getRun(asRunId('leased'))).toMatchObject({ state: 'running', budgetLimit: 42n, owner: 'v2-process', lease: { owner: 'v2-process', epoch: 3, expiresAt: 1_000 }, lastSeq: 3 });
    expect((await store.readEvents(asRunId('leased'))).map((event) => [event.seq, event.type])).toEqual([
      [1, 'run.started'],
      [2, 'task.ready'],
      [3, 'task.started'],
    ]);
    expect((await store.readEvents(asRunId('leased'), 1, 1)).map((event) => event.seq)).toEqual([2]);
    expect((await store.getTasks(asRunId('leased')))[0]).toMatchObject({ state: 'running', attempts: 1, cost: 0n });
    await store.commit(asRunId('leased'), {
      fence: { owner: 'v2-process', epoch: 3 },
      events: [{ type: 'task.ready', runId: asRunId('leased'), seq: 4, at: 'x', taskId: asTaskId('a') }],
    });
    expect((await store.readEvents(asRunId('leased'), 2)).map((event) => event.seq)).toEqual([3, 4]);
    await store.close();
  });

  it('finds resumable runs through the partial index of unfinished runs (finished history is not scanned)', async () => {
    const path = freshPath('plan');
    await createSqliteRunStore({ path }).close();
    const raw = new Database(path, { readonly: true });
    const plan = raw.prepare<[number, number], { detail: string }>(`EXPLAIN QUERY PLAN ${RESUMABLE_RUNS}`).all(0, 1).map((row) => row.detail);
    raw.close();
    expect(plan[0]).toBe('SCAN r USING INDEX runs_resumable');
  });

  it('claims requests through the partial index of pending ones (runs and answered requests are not scanned)', async () => {
    const path = freshPath('claim-plan');
    await createSqliteRunStore({ path }).close();
    const raw = new Database(path, { readonly: true });
    const plan = raw
      .prepare<[{ owner: string; limit: number }], { detail: string }>(`EXPLAIN QUERY PLAN ${CLAIM_REQUESTS}`)
      .all({ owner: 'o', limit: 1 })
      .map((row) => row.detail);
    raw.close();
    expect(plan).toContain('SCAN q USING INDEX run_requests_pending');
    expect(plan.some((detail) => /SEARCH r USING INDEX sqlite_autoindex_runs_1 \(id=\?\)/.test(detail))).toBe(true);
    expect(plan.some((detail) => /SCAN r\b/.test(detail))).toBe(false);
  });

  it('migrates a version-3 database (no request inbox) to version 4 and keeps its runs', async () => {
    const path = freshPath('v3');
    const before = createSqliteRunStore({ path });
    await before.createRun(run('kept'), [taskRecord('kept', 'a', 0)]);
    await before.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE run_requests');
    raw.pragma('user_version = 3');
    raw.close();
    const store = createSqliteRunStore({ path });
    expect(await store.getRun(asRunId('kept'))).toMatchObject({ id: 'kept', state: 'running' });
    await store.postRequest({ id: 'q', runId: asRunId('kept'), body: { kind: 'abort' }, postedAt: 1 });
    expect((await store.getRequest(asRunId('kept'), 'q'))?.request.body).toEqual({ kind: 'abort' });
    await store.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
  });

  it('refuses a database written by a newer schema', () => {
    const path = freshPath('newer');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => createSqliteRunStore({ path })).toThrow(expect.objectContaining({ code: 'STORE_ERROR', isRetryable: false, details: { userVersion: 99, supported: 4 } }));
  });
});

/** Pages the next write adds to the WAL, counted by a second connection. */
function walFrames(path: string, write: () => Promise<void>): Promise<number> {
  const raw = new Database(path);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  return write().then(() => {
    const [result] = raw.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    raw.close();
    return result?.log ?? Number.NaN;
  });
}

async function oneTaskCommitFrames(tasks: number): Promise<number> {
  const path = freshPath(`frames-${tasks}`);
  const store = createSqliteRunStore({ path });
  const runId = asRunId('big');
  const specs = Array.from({ length: tasks }, (_, index) => ({ id: `t${index}`, prompt: `Summarise part ${index} of the report.` }));
  await store.createRun(
    run('big', { spec: { tasks: specs }, lease: { owner: 'p', epoch: 1, expiresAt: Number.MAX_SAFE_INTEGER } }),
    specs.map((spec, index) => taskRecord('big', spec.id, index)),
  );
  const middle = `t${Math.floor(tasks / 2)}`;
  const frames = await walFrames(path, () =>
    store.commit(runId, {
      fence: { owner: 'p', epoch: 1 },
      tasks: [taskRecord('big', middle, Math.floor(tasks / 2), { state: 'completed', attempts: 1, output: 'done' })],
      events: [
        { type: 'task.completed', runId, seq: 1, at: 'x', taskId: asTaskId(middle), attempt: 1, usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0 }, costUsd: 0 },
        { type: 'task.ready', runId, seq: 2, at: 'x', taskId: asTaskId('t0') },
      ],
    }),
  );
  await store.close();
  return frames;
}

describe('createSqliteRunStore write cost', () => {
  it('writes the same pages per commit for a 10-task and a 20,000-task run (the spec is not rewritten)', async () => {
    const small = await oneTaskCommitFrames(10);
    const large = await oneTaskCommitFrames(20_000);
    expect(small).toBeGreaterThan(0);
    // The run row, one task leaf, the events leaf; a deeper task tree may add a page, never the spec.
    expect(large).toBeLessThanOrEqual(small + 2);
    expect(large).toBeLessThanOrEqual(6);
  });
});

interface LockHolder {
  readonly released: Promise<void>;
}

/** Holds SQLite's write lock on `path` from another thread for `holdMs`; resolves once it holds it. */
function holdWriteLock(path: string, holdMs: number): Promise<LockHolder> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.module);
     const db = new Database(workerData.path);
     db.exec('BEGIN IMMEDIATE');
     db.exec('CREATE TABLE IF NOT EXISTS lock_probe (x)');
     parentPort.postMessage('locked');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
     db.exec('COMMIT');
     db.close();`,
    { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), path, holdMs } },
  );
  const released = new Promise<void>((resolve, reject) => {
    worker.once('exit', () => resolve());
    worker.once('error', reject);
  });
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve({ released }));
    worker.once('error', reject);
  });
}

async function leasedStore(path: string, busyTimeoutMs?: number): Promise<RunStore> {
  const store = createSqliteRunStore({ path, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) });
  await store.createRun(run('locked', { lease: { owner: 'p', epoch: 1, expiresAt: Number.MAX_SAFE_INTEGER } }), [taskRecord('locked', 'a', 0)]);
  return store;
}

interface RaceTally {
  readonly accepted: number;
  readonly lost: number;
  readonly refusedAcquire: number;
  readonly unexpected: readonly string[];
}

/** Runs `test/support/lease-race-child.ts` in its own process; resolves with its tally. */
function race(path: string, owner: string, startAt: number, seed: number): Promise<RaceTally> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@runtime/source', join(import.meta.dirname, 'support', 'lease-race-child.ts'), path, owner, String(startAt), '1000', '15', String(seed)], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as RaceTally);
      else reject(new Error(`race child ${owner} exited with ${String(code)}: ${errors}`));
    });
  });
}

describe('createSqliteRunStore shared by two processes', () => {
  it('fences every take-over: each epoch has one writer, epochs only grow along the journal, no seq conflict', { timeout: 30_000 }, async () => {
    const path = freshPath('race');
    const store = createSqliteRunStore({ path });
    await store.createRun(run('race'), []);
    const startAt = Date.now() + 3_000;
    const tallies = await Promise.all([race(path, 'left', startAt, 7), race(path, 'right', startAt, 11)]);
    for (const tally of tallies) {
      expect(tally.unexpected).toEqual([]);
      expect(tally.accepted).toBeGreaterThan(0);
    }
    const events = await store.readEvents(asRunId('race'));
    expect(events.length).toBe(tallies[0].accepted + tallies[1].accepted);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    const writers = events.map((event) => {
      const [owner, epoch] = String((event as { taskId: string }).taskId).split('@');
      return { owner, epoch: Number(epoch) };
    });
    const ownerOfEpoch = new Map<number, string | undefined>();
    for (const [index, writer] of writers.entries()) {
      if (index > 0) expect(writer.epoch).toBeGreaterThanOrEqual(writers[index - 1]?.epoch ?? 0);
      expect(ownerOfEpoch.get(writer.epoch) ?? writer.owner).toBe(writer.owner);
      ownerOfEpoch.set(writer.epoch, writer.owner);
    }
    // The race must have exercised take-overs for this to mean something.
    expect(ownerOfEpoch.size).toBeGreaterThan(2);
    expect(tallies[0].lost + tallies[1].lost).toBeGreaterThan(0);
    await store.close();
  });
});

describe('createSqliteRunStore under another connection’s write lock', () => {
  it('checkStore is unhealthy while the store cannot write (lock past busyTimeoutMs), though it still reads; healthy again after', async () => {
    const path = freshPath('health');
    const store = createSqliteRunStore({ path, busyTimeoutMs: 100 });
    const { orchestrator } = harness(createScriptedLlm(), { store });
    expect((await orchestrator.checkStore()).healthy).toBe(true);
    const holder = await holdWriteLock(path, 800);
    await expect(store.findResumableRuns(Date.now(), 1)).resolves.toEqual([]);
    await expect(store.checkWrite()).rejects.toMatchObject({ code: 'STORE_ERROR', isRetryable: true, details: { sqliteCode: 'SQLITE_BUSY' } });
    const health = await orchestrator.checkStore();
    expect(health).toMatchObject({ healthy: false, activeRuns: 0, parkedRuns: 0, error: { code: 'STORE_ERROR' } });
    await holder.released;
    expect(await orchestrator.checkStore()).toMatchObject({ healthy: true, activeRuns: 0, parkedRuns: 0 });
    await orchestrator.close();
    await store.close();
  });

  it('waits out a 300 ms lock (immediate transactions honour busy_timeout) and commits', async () => {
    const path = freshPath('busy');
    const store = await leasedStore(path);
    const holder = await holdWriteLock(path, 300);
    const started = performance.now();
    await store.commit(asRunId('locked'), { fence: { owner: 'p', epoch: 1 }, tasks: [taskRecord('locked', 'a', 0, { state: 'running' })] });
    expect(performance.now() - started).toBeGreaterThan(150);
    expect(await store.acquireLease(asRunId('locked'), 'p', 100, 0)).toMatchObject({ epoch: 1 });
    await holder.released;
    expect((await store.getTasks(asRunId('locked')))[0]?.state).toBe('running');
    await store.close();
  });

  it('fails with a retryable STORE_ERROR when the lock outlasts busyTimeoutMs, and works again after', async () => {
    const path = freshPath('busy-long');
    const store = await leasedStore(path, 100);
    const holder = await holdWriteLock(path, 800);
    const failure = await store.commit(asRunId('locked'), { fence: { owner: 'p', epoch: 1 }, run: { state: 'completed' } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(InternalError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'STORE_ERROR', isRetryable: true, details: { sqliteCode: 'SQLITE_BUSY' } });
    await expect(store.acquireLease(asRunId('locked'), 'q', 100, 0)).rejects.toMatchObject({ code: 'STORE_ERROR', isRetryable: true });
    await holder.released;
    expect((await store.getRun(asRunId('locked')))?.state).toBe('running');
    await store.commit(asRunId('locked'), { fence: { owner: 'p', epoch: 1 }, run: { state: 'completed' } });
    expect((await store.getRun(asRunId('locked')))?.state).toBe('completed');
    await store.close();
  });
});
