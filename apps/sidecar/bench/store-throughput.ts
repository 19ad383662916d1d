/**
 * Sidecar tasks/s on PostgreSQL next to SQLite, in the same run (issue 19): for each store a fresh
 * `runtime serve` child process (the built app, auth off, the zero-latency mock provider, memory
 * ledger) on 127.0.0.1 is sent the same runs over HTTP — `STORE_BENCH_RUNS` runs (default 200) of
 * `STORE_BENCH_TASKS` tasks (default 5: a root and a fan-out that depends on it), submitted with a
 * bounded number of requests in flight — and the wall time runs from the first `POST /v1/runs` to
 * the last run seen finished. Rounds alternate the stores (SQLite, PostgreSQL, SQLite, …) so load
 * drift hits both; the best round of each is reported with the ratio.
 *
 * PostgreSQL: `BENCH_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test), a fresh schema
 * per round, dropped after. SQLite: a file in a temp dir.
 *
 * Usage: pnpm --filter @runtime/sidecar build && pnpm --filter @runtime/sidecar bench:stores
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(appRoot, 'bin', 'runtime.mjs');
const POSTGRES_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = positiveInteger('STORE_BENCH_RUNS', 200);
const TASKS = positiveInteger('STORE_BENCH_TASKS', 5);
const ROUNDS = positiveInteger('STORE_BENCH_ROUNDS', 2);
const IN_FLIGHT = 16;
const finished = new Set(['completed', 'failed', 'aborted']);

type Store = 'sqlite' | 'postgres';

interface Round {
  readonly store: Store;
  readonly wallMs: number;
  readonly tasksPerSecond: number;
  readonly failed: number;
}

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}: ${text} is not a positive integer`);
  return value;
}

function runBody(index: number): string {
  const root = { id: 'root', prompt: `run ${index} root`, maxOutputTokens: 16 };
  const fanOut = Array.from({ length: TASKS - 1 }, (_, task) => ({ id: `t${task}`, prompt: `run ${index} task ${task}`, maxOutputTokens: 16, deps: ['root'] }));
  return JSON.stringify({ tasks: [root, ...fanOut], policy: { maxParallelism: 8 } });
}

async function startServe(env: Record<string, string>): Promise<ChildProcess & { url: string }> {
  const child = spawn(process.execPath, [bin, 'serve'], {
    cwd: appRoot,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', RUNTIME_PORT: '0', RUNTIME_HOST: '127.0.0.1', RUNTIME_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)}: ${output}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return Object.assign(child, { url });
}

async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Submits every run (IN_FLIGHT requests at a time), then waits for each to finish. */
async function drive(url: string): Promise<{ wallMs: number; failed: number }> {
  const ids: string[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let index = next++; index < RUNS; index = next++) {
        const response = await fetch(`${url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: runBody(index) });
        const created = (await response.json()) as { id?: string };
        if (response.status !== 201 || created.id === undefined) throw new Error(`POST /v1/runs answered ${response.status}: ${JSON.stringify(created)}`);
        ids.push(created.id);
      }
    }),
  );
  let failed = 0;
  for (const id of ids) {
    for (;;) {
      const view = (await (await fetch(`${url}/v1/runs/${id}`)).json()) as { state: string };
      if (finished.has(view.state)) {
        if (view.state !== 'completed') failed += 1;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return { wallMs: performance.now() - start, failed };
}

async function round(store: Store, directory: string): Promise<Round> {
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const env: Record<string, string> =
    store === 'sqlite' ? { RUNTIME_DB: join(directory, `${schema}.db`) } : { RUNTIME_DB: POSTGRES_URL, RUNTIME_DB_SCHEMA: schema, RUNTIME_SHUTDOWN_MODE: 'drain' };
  const serve = await startServe({ ...env, RUNTIME_SHUTDOWN_TIMEOUT_MS: '0' });
  try {
    const { wallMs, failed } = await drive(serve.url);
    return { store, wallMs, failed, tasksPerSecond: (RUNS * TASKS * 1000) / wallMs };
  } finally {
    await stopServe(serve);
    if (store === 'postgres') await dropSchema(schema);
  }
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const directory = mkdtempSync(join(tmpdir(), 'sidecar-store-bench-'));
console.log(`sidecar tasks/s by store: ${RUNS} runs × ${TASKS} tasks over HTTP, mock provider, ${ROUNDS} round(s) each; node ${process.version}; ${cpus().length} cpus; load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
try {
  const rounds: Round[] = [];
  for (let index = 0; index < ROUNDS; index += 1) {
    for (const store of ['sqlite', 'postgres'] as const) {
      const result = await round(store, directory);
      rounds.push(result);
      console.log(`  round ${index + 1} ${store.padEnd(8)} ${fmt(result.wallMs).padStart(7)} ms  ${fmt(result.tasksPerSecond).padStart(6)} tasks/s${result.failed > 0 ? `  (${result.failed} runs not completed)` : ''}`);
    }
  }
  const best = (store: Store) => Math.max(...rounds.filter((row) => row.store === store).map((row) => row.tasksPerSecond));
  const sqlite = best('sqlite');
  const postgres = best('postgres');
  console.log(`best: SQLite ${fmt(sqlite)} tasks/s, PostgreSQL ${fmt(postgres)} tasks/s; PostgreSQL/SQLite = ${fmt(postgres / sqlite, 2)}`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
