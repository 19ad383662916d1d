/**
 * Journal cost against run size: µs per commit and per task for 1k / 10k / 100k-task DAGs, the SQLite
 * and PostgreSQL stores against the in-memory store in the same invocation (PostgreSQL up to
 * `STORE_BENCH_POSTGRES_MAX` tasks, default 10,000; at `RUNTIME_BENCH_POSTGRES_URL`, default the
 * test database `postgres://postgres@127.0.0.1:5432/test`, a schema per measurement, dropped after).
 *
 * Simulates the run loop's commit pattern without the loop: `createRun` with every task pending and
 * the roots ready, then per task (in topological order) a `started` commit (task record running,
 * `task.started` + `budget.reserved`) and a `completed` commit (task record completed with output,
 * `budget.settled` + `task.completed` + `task.ready` of a dependent), each fenced by the creator's
 * lease; the run ends with a terminal commit. Batch 1 is one commit per transition — no group commit,
 * the worst case for the store; batch 16 puts the transitions of 16 tasks in one commit (one turn of
 * a p = 16 loop with group commit). Run: `pnpm --filter @runtime/orchestration bench:store`
 * (`STORE_BENCH_SIZES=1000,10000`, `STORE_BENCH_BATCHES=1` to choose).
 *
 * Then the whole loop on each store (`createOrchestrator` with the test fakes, a zero-latency model,
 * p = 16, a random layered DAG, group commit as in production): µs per task end to end, sizes
 * `STORE_BENCH_LOOP_SIZES` (default 1000,10000; empty to skip).
 *
 * Last, the request inbox's poll (`claimRequests` of one owner, what every replica runs each
 * `inboxPollMs`): µs per poll with 1 and with `STORE_BENCH_LEASED` (default 1000) runs leased by the
 * polling owner (and as many by another owner), the inbox empty and with one pending request; the
 * 1-run figure is the baseline of the same invocation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  asRunId,
  asTaskId,
  type LlmClient,
  type LlmResult,
  type RunId,
  type RunRecord,
  type RunStore,
  type RuntimeEvent,
  type TaskRecord,
  type TaskSpec,
} from '@runtime/contracts';
import pg from 'pg';
import { createMemoryRunStore } from '../src/memory-run-store.js';
import { createPostgresRunStore } from '../src/postgres.js';
import { createSqliteRunStore } from '../src/sqlite.js';
import { layeredDag } from '../test/support/layered-dag.js';
import { harness } from '../test/support/setup.js';

const SIZES = (process.env['STORE_BENCH_SIZES'] ?? '1000,10000,100000').split(',').map(Number);
/** Tasks whose transitions share a commit: 1 = one commit per transition; 16 ≈ one turn of a p = 16 loop with group commit. */
const BATCHES = (process.env['STORE_BENCH_BATCHES'] ?? '1,16').split(',').map(Number);
const POSTGRES_MAX = Number(process.env['STORE_BENCH_POSTGRES_MAX'] ?? '10000');
const POSTGRES_URL = process.env['RUNTIME_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const STORES = ['memory', 'sqlite', 'postgres'] as const;
type StoreName = (typeof STORES)[number];
const usage = { inputTokens: 812, outputTokens: 164, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const lease = { owner: 'bench-process', epoch: 1, expiresAt: Number.MAX_SAFE_INTEGER };
const fence = { owner: lease.owner, epoch: lease.epoch };

/** A random layered DAG: each task depends on 1–3 tasks of earlier layers (seeded, deterministic). */
function dag(size: number): TaskSpec[] {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const layerSize = Math.max(1, Math.ceil(size / 20));
  return Array.from({ length: size }, (_, index) => {
    const layerStart = Math.floor(index / layerSize) * layerSize;
    const deps = new Set<string>();
    if (layerStart > 0) for (let count = 1 + Math.floor(random() * 3); count > 0; count -= 1) deps.add(`t${Math.floor(random() * layerStart)}`);
    return { id: `t${index}`, prompt: `Summarise section ${index} of the quarterly report in three sentences.`, ...(deps.size > 0 ? { deps: [...deps] } : {}) };
  });
}

function taskRecord(runId: RunId, spec: TaskSpec, index: number, extra: Partial<TaskRecord>): TaskRecord {
  return { runId, id: asTaskId(spec.id), index, spec, state: 'pending', model: 'gpt-4o-mini', attempts: 0, usage, cost: 0n as TaskRecord['cost'], ...extra };
}

interface Measure {
  readonly createMs: number;
  /** getRun after the run, first call (spec decoded) and second call. */
  readonly getRunMs: readonly [number, number];
  readonly commits: number;
  readonly commitUs: number;
  readonly commitCpuUs: number;
}

async function measure(store: RunStore, specs: readonly TaskSpec[], batch: number): Promise<Measure> {
  const runId = asRunId('bench');
  const at = '2026-12-04T00:00:00.000Z';
  const roots = specs.filter((spec) => spec.deps === undefined);
  let seq = 0;
  const record: RunRecord = { id: runId, tenant: 't', spec: { tasks: specs }, state: 'running', createdAt: at, updatedAt: at, lastSeq: 0, lease, owner: lease.owner };
  const created = performance.now();
  await store.createRun(
    record,
    specs.map((spec, index) => taskRecord(runId, spec, index, { state: spec.deps === undefined ? 'ready' : 'pending' })),
    [{ type: 'run.started', runId, seq: ++seq, at, tasks: specs.length }, ...roots.map((spec): RuntimeEvent => ({ type: 'task.ready', runId, seq: ++seq, at, taskId: asTaskId(spec.id) }))],
  );
  const createMs = performance.now() - created;
  const started = performance.now();
  const cpu = process.cpuUsage();
  let commits = 0;
  for (let from = 0; from < specs.length; from += batch) {
    const group = specs.slice(from, from + batch);
    const started: TaskRecord[] = [];
    const startedEvents: RuntimeEvent[] = [];
    const completed: TaskRecord[] = [];
    const completedEvents: RuntimeEvent[] = [];
    for (const [offset, spec] of group.entries()) {
      const index = from + offset;
      const taskId = asTaskId(spec.id);
      const reservationId = `res-${index}`;
      started.push(taskRecord(runId, spec, index, { state: 'running', attempts: 1, startedAt: at, reservationId: reservationId as TaskRecord['reservationId'] & string }));
      startedEvents.push(
        { type: 'task.started', runId, seq: ++seq, at, taskId, attempt: 1, model: 'gpt-4o-mini' },
        { type: 'budget.reserved', runId, seq: ++seq, at, taskId, reservationId, amountUsd: 0.0004 },
      );
      completed.push(
        taskRecord(runId, spec, index, { state: 'completed', attempts: 1, startedAt: at, endedAt: at, output: `Output of ${spec.id}: three sentences.`, cost: 183_000n as TaskRecord['cost'] }),
      );
      const dependent = specs[index + 1];
      completedEvents.push(
        { type: 'budget.settled', runId, seq: 0, at, taskId, reservationId, costUsd: 0.000183, reservedUsd: 0.0004 },
        { type: 'task.completed', runId, seq: 0, at, taskId, attempt: 1, usage: { ...usage, costUsd: 0.000183 }, costUsd: 0.000183 },
        ...(dependent === undefined ? [] : [{ type: 'task.ready' as const, runId, seq: 0, at, taskId: asTaskId(dependent.id) }]),
      );
    }
    await store.commit(runId, { fence, tasks: started, events: startedEvents });
    for (const event of completedEvents) (event as { seq: number }).seq = ++seq;
    await store.commit(runId, { fence, tasks: completed, events: completedEvents });
    commits += 2;
  }
  await store.commit(runId, { fence, run: { state: 'completed', updatedAt: at }, events: [{ type: 'run.completed', runId, seq: ++seq, at } as RuntimeEvent] });
  commits += 1;
  const { user, system } = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  const firstRead = performance.now();
  await store.getRun(runId);
  const secondRead = performance.now();
  const check = await store.getRun(runId);
  const getRunMs = [secondRead - firstRead, performance.now() - secondRead] as const;
  if (check?.state !== 'completed' || check.lastSeq !== seq || check.spec.tasks.length !== specs.length) throw new Error('the bench run did not end as written');
  return { createMs, getRunMs, commits, commitUs: (wall * 1000) / commits, commitCpuUs: (user + system) / commits };
}

const LOOP_SIZES = (process.env['STORE_BENCH_LOOP_SIZES'] ?? '1000,10000').split(',').filter((size) => size !== '').map(Number);
const ANSWER: LlmResult = {
  output: 'ok',
  usage: { inputTokens: 20, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  finishReason: 'stop',
};
const zeroLatencyLlm: LlmClient = { provider: 'bench', complete: () => Promise.resolve(ANSWER) };

/** Wall and CPU µs per task of one whole run through the orchestrator on `store`. */
async function loopRun(store: RunStore, tasks: readonly TaskSpec[]): Promise<{ wall: number; cpu: number }> {
  const { orchestrator } = harness(zeroLatencyLlm, { store, onBackgroundError: () => undefined });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const run = await orchestrator.start({ tasks, policy: { maxParallelism: 16 } });
  const done = await orchestrator.wait(run.id);
  const { user, system } = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  await orchestrator.close();
  if (done.state !== 'completed') throw new Error(`loop run ${done.state}`);
  return { wall: (wall * 1000) / tasks.length, cpu: (user + system) / tasks.length };
}

async function loopSection(folder: string): Promise<void> {
  if (LOOP_SIZES.length === 0) return;
  console.log('\nwhole loop (orchestrator + test fakes, zero-latency model, p = 16, group commit), best of 3 (1 at ≥ 100,000):');
  const perTask = new Map<string, number>();
  for (const name of STORES) {
    const store = await open(name, folder);
    await loopRun(store, layeredDag(1_000, 20, 2));
    await store.close();
  }
  for (const size of LOOP_SIZES) {
    const tasks = layeredDag(size, 20, 1);
    for (const name of storesAt(size)) {
      let best = { wall: Number.POSITIVE_INFINITY, cpu: Number.NaN };
      for (let round = 0; round < (size >= 100_000 ? 1 : 3); round += 1) {
        const store = await open(name, folder);
        const result = await loopRun(store, tasks);
        await store.close();
        if (result.wall < best.wall) best = result;
      }
      perTask.set(`${name}:${size}`, best.wall);
      console.log(`${name.padEnd(8)} ${String(size).padStart(7)} tasks: ${best.wall.toFixed(1)} µs/task (CPU ${best.cpu.toFixed(1)})`);
    }
    for (const name of storesAt(size).filter((store) => store !== 'memory')) {
      console.log(`  ${name} / memory at ${size}: ${((perTask.get(`${name}:${size}`) ?? Number.NaN) / (perTask.get(`memory:${size}`) ?? Number.NaN)).toFixed(2)}× (${(1e6 / (perTask.get(`${name}:${size}`) ?? Number.NaN)).toFixed(0)} tasks/s)`);
    }
  }
}

const LEASED = Number(process.env['STORE_BENCH_LEASED'] ?? '1000');
const POLLS = 400;

/** µs per claimRequests (median of {@link POLLS}); with `pending`, one request is posted before each poll (its posting not timed). */
async function pollCost(store: RunStore, runId: RunId, pending: boolean): Promise<number> {
  const times: number[] = [];
  for (let poll = 0; poll < POLLS; poll += 1) {
    if (pending) await store.postRequest({ id: `p${poll}`, runId, body: { kind: 'abort' }, postedAt: Date.now() });
    const started = performance.now();
    const claimed = await store.claimRequests('poller');
    times.push((performance.now() - started) * 1000);
    if (claimed.length !== (pending ? 1 : 0)) throw new Error(`claimed ${claimed.length} requests`);
    if (pending) await store.answerRequest(runId, `p${poll}`, { status: 'ok', value: null });
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** A store with `leased` runs leased by the poller and as many by another owner. */
async function leasedStore(name: StoreName, where: string, leased: number): Promise<RunStore> {
  const store = await open(name, where);
  for (let index = 0; index < leased * 2; index += 1) {
    const runId = asRunId(`r${index}`);
    await store.createRun({ id: runId, tenant: 'bench', spec: { tasks: [] }, state: 'running', createdAt: 'x', updatedAt: 'x', lastSeq: 0 }, []);
    await store.acquireLease(runId, index % 2 === 0 ? 'poller' : 'other', 600_000, Date.now());
  }
  return store;
}

async function requestSection(where: string): Promise<void> {
  console.log(`\nrequest inbox: µs per claimRequests poll (median of ${POLLS}), runs leased by the poller (and as many by another owner):`);
  for (const name of STORES) {
    const figures: string[] = [];
    const cost = new Map<string, number>();
    for (const leased of [1, LEASED]) {
      const store = await leasedStore(name, where, leased);
      for (const pending of [false, true]) {
        const us = await pollCost(store, asRunId('r0'), pending);
        cost.set(`${leased}:${pending}`, us);
        figures.push(`${leased} runs ${pending ? '1 pending' : 'empty'} ${us.toFixed(1)}`);
      }
      await store.close();
    }
    const ratio = (pending: boolean): string => ((cost.get(`${LEASED}:${pending}`) ?? Number.NaN) / (cost.get(`1:${pending}`) ?? Number.NaN)).toFixed(2);
    console.log(`${name.padEnd(8)} ${figures.join(' | ')}  → ${LEASED} / 1 runs: empty ${ratio(false)}×, pending ${ratio(true)}×`);
  }
}

const folder = mkdtempSync(join(tmpdir(), 'store-scaling-'));
/** A fresh database file or schema per measurement (a size may be listed twice). */
let files = 0;
/** One pool for every PostgreSQL measurement; each gets its own schema, dropped at the end. */
const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
pool.on('error', () => undefined);
const schemas: string[] = [];

/** The stores measured at `size` tasks. */
function storesAt(size: number): readonly StoreName[] {
  return size <= POSTGRES_MAX ? STORES : STORES.filter((name) => name !== 'postgres');
}

/** A fresh, empty store. */
async function open(name: StoreName, where: string): Promise<RunStore> {
  files += 1;
  if (name === 'memory') return createMemoryRunStore();
  if (name === 'sqlite') return createSqliteRunStore({ path: join(where, `bench-${files}.db`) });
  const schema = `bench_${process.pid}_${files}`;
  schemas.push(schema);
  return createPostgresRunStore({ pool, schema });
}

try {
  console.log(
    `node ${process.version}, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}; per group of \`batch\` tasks a started and a completed commit, fenced; ` +
      'best of 3 runs (1 at 100,000 tasks)',
  );
  console.log('store    batch   tasks    createRun   µs/commit (CPU)    µs/task (CPU)   commits/s');
  const perTask = new Map<string, number>();
  const reads: string[] = [];
  // Warm-up (discarded): both code paths compiled by the JIT before anything is measured.
  for (const name of STORES) {
    const store = await open(name, folder);
    await measure(store, dag(2_000), 1);
    await store.close();
  }
  for (const batch of BATCHES) {
    for (const size of SIZES) {
      const specs = dag(size);
      for (const name of storesAt(size)) {
        let result: Measure | undefined;
        for (let round = 0; round < (size >= 100_000 ? 1 : 3); round += 1) {
          const store = await open(name, folder);
          const measured = await measure(store, specs, batch);
          await store.close();
          if (result === undefined || measured.commitUs < result.commitUs) result = measured;
        }
        if (result === undefined) throw new Error('no measurement');
        const taskUs = (result.commitUs * result.commits) / size;
        const taskCpuUs = (result.commitCpuUs * result.commits) / size;
        perTask.set(`${name}:${batch}:${size}`, taskUs);
        if (batch === BATCHES[0]) reads.push(`${name} ${size}: ${result.getRunMs.map((ms) => ms.toFixed(2)).join(' / ')} ms`);
        console.log(
          `${name.padEnd(8)} ${String(batch).padStart(5)} ${String(size).padStart(7)} ${`${result.createMs.toFixed(0)} ms`.padStart(12)} ${result.commitUs.toFixed(1).padStart(9)} (${result.commitCpuUs.toFixed(1)}) ${taskUs.toFixed(1).padStart(12)} (${taskCpuUs.toFixed(1)}) ${(1e6 / result.commitUs).toFixed(0).padStart(10)}`,
        );
      }
    }
  }
  console.log(`getRun (spec included), first / repeated call: ${reads.join('; ')}`);
  const ratio = (a: string, b: string): string => ((perTask.get(a) ?? Number.NaN) / (perTask.get(b) ?? Number.NaN)).toFixed(2);
  for (const batch of BATCHES) {
    for (const name of STORES) {
      const sizes = SIZES.filter((size) => storesAt(size).includes(name));
      const [low = 0, high = 0] = [sizes[0], sizes[sizes.length - 1]];
      console.log(`${name}, batch ${batch}: µs/task at ${high} / at ${low} = ${ratio(`${name}:${batch}:${high}`, `${name}:${batch}:${low}`)}×`);
    }
    for (const name of ['sqlite', 'postgres'] as const) {
      const sizes = SIZES.filter((size) => storesAt(size).includes(name));
      console.log(`batch ${batch}: ${name} / memory µs/task: ${sizes.map((size) => `${ratio(`${name}:${batch}:${size}`, `memory:${batch}:${size}`)}× at ${size}`).join(', ')}`);
    }
  }
  await loopSection(folder);
  await requestSection(folder);
} finally {
  try {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
