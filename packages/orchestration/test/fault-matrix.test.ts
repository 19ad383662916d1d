/**
 * Fault matrix: random DAGs, with a store fault injected at a random commit point — a transient
 * error (retried), a write that lands but loses its answer, a terminal error, a slow commit, or a
 * crash (from that commit on, the owner's writes never return and it is taken over). After the
 * owner settles (or dies), a successor resumes whatever is left. Properties: no run stays
 * non-terminal, the journal's seq has no gap, no task completes twice in the journal, no task whose
 * completion was journaled is called again, and each completed task carries exactly one call's cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { TERMINAL_RUN_STATES, type Clock, type RunCommit, type RunId, type RunStore, type TaskSpec } from '@runtime/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryRunStore } from '../src/memory-run-store.js';
import { createPostgresRunStore } from '../src/postgres.js';
import { createSqliteRunStore } from '../src/sqlite.js';
import { createScriptedLlm, defaultUsage } from '../src/testing.js';
import { FaultyStore, type CommitFault } from './support/faulty-store.js';
import { fakeCosts } from './support/fakes.js';
import { layeredDag } from './support/layered-dag.js';
import { POSTGRES_URL, postgresSchemas } from './support/postgres.js';
import { harness } from './support/setup.js';

type Kind = 'transient' | 'lostAnswer' | 'terminal' | 'slow' | 'crash';

interface Case {
  readonly tasks: number;
  readonly layers: number;
  readonly seed: number;
  readonly parallelism: number;
  readonly faults: readonly { readonly at: number; readonly kind: Kind }[];
}

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  tasks: fc.integer({ min: 2, max: 24 }),
  layers: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  parallelism: fc.integer({ min: 1, max: 6 }),
  faults: fc.array(
    fc.record({ at: fc.integer({ min: 1, max: 40 }), kind: fc.constantFrom<Kind>('transient', 'lostAnswer', 'terminal', 'slow', 'crash') }),
    { minLength: 1, maxLength: 3 },
  ),
});

const later: Clock = { now: () => Date.now() + 60_000 };

interface Outcome {
  readonly owner: 'ended' | 'stopped' | 'crashed';
  readonly resumed: boolean;
  readonly state: string;
}

const folder = mkdtempSync(join(tmpdir(), 'runtime-faults-'));
let databases = 0;

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

async function runCase(scenario: Case, open: () => RunStore | Promise<RunStore> = createMemoryRunStore): Promise<Outcome> {
  const inner = await open();
  let crashed = false;
  const faultAt = new Map(scenario.faults.map((fault) => [fault.at, fault.kind]));
  const store = new FaultyStore(inner, (index: number, _runId: RunId, _commit: RunCommit): CommitFault => {
    if (crashed) return { delayMs: 2 ** 31 - 1 };
    const kind = faultAt.get(index);
    if (kind === undefined) return 'ok';
    if (kind === 'slow') return { delayMs: 5 };
    if (kind === 'crash') {
      crashed = true;
      return { delayMs: 2 ** 31 - 1 };
    }
    return kind;
  });
  const specs: TaskSpec[] = layeredDag(scenario.tasks, Math.min(scenario.layers, scenario.tasks), scenario.seed);
  const first = createScriptedLlm({ latency: (id) => Number(id.slice(1)) % 3 });
  const reported: unknown[] = [];
  const owner = harness(first, {
    store,
    owner: 'first',
    storeRetry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    onBackgroundError: (error) => reported.push(error),
  });
  const started = await owner.orchestrator.start({ tasks: specs, policy: { maxParallelism: scenario.parallelism } });
  // The owner settles: the run ends, or it is parked (wait rejects), or the owner "died" at a commit.
  const settled = owner.orchestrator.wait(started.id).then(
    () => 'ended' as const,
    () => 'stopped' as const,
  );
  const outcome = await Promise.race([
    settled,
    new Promise<'crashed'>((resolve) => {
      const check = setInterval(() => {
        if (crashed) {
          clearInterval(check);
          resolve('crashed');
        }
      }, 2);
      void settled.then(() => clearInterval(check));
    }),
  ]);
  if (outcome !== 'crashed') await owner.orchestrator.close();

  const completedBefore = new Set((await inner.getTasks(started.id)).filter((task) => task.state === 'completed').map((task) => task.id as string));
  let record = await inner.getRun(started.id);
  const second = createScriptedLlm();
  const resumed = record !== undefined && !TERMINAL_RUN_STATES.has(record.state);
  if (resumed) {
    // A successor (its clock past the first owner's lease) continues what is left.
    const successor = harness(second, { store: inner, owner: 'successor', clock: later });
    await successor.orchestrator.resume(started.id);
    await successor.orchestrator.wait(started.id);
    await successor.orchestrator.close();
    record = await inner.getRun(started.id);
  }
  expect(record === undefined ? 'missing' : record.state).toMatch(/^(completed|failed)$/);
  for (const id of completedBefore) expect(second.calls.get(id)).toBeUndefined();

  const events = await inner.readEvents(started.id);
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
  expect(events.filter((event) => TERMINAL_RUN_STATES.has(event.type.slice(4) as never))).toHaveLength(1);
  expect(events.at(-1)?.type.startsWith('run.')).toBe(true);
  const completions = new Map<string, number>();
  for (const event of events) if (event.type === 'task.completed') completions.set(event.taskId, (completions.get(event.taskId) ?? 0) + 1);
  expect([...completions.values()].every((count) => count === 1)).toBe(true);

  const costs = fakeCosts();
  const tasks = await inner.getTasks(started.id);
  for (const task of tasks) {
    expect(['completed', 'failed', 'skipped']).toContain(task.state);
    expect(task.reservationId).toBeUndefined();
    if (task.state === 'completed') expect(task.cost).toBe(costs.cost(task.model, defaultUsage(task.id)));
  }
  if (record?.state === 'completed') expect(completions.size).toBe(specs.length);
  // A run that failed failed because of the store, and said so.
  if (record?.state === 'failed') expect(record.error?.code).toBe('STORE_ERROR');
  if (outcome !== 'crashed') await inner.close();
  return { owner: outcome, resumed, state: record?.state ?? 'missing' };
}

describe('fault matrix (store errors, lost answers, slow commits, crashes at random commit points)', () => {
  it('never leaves a run non-terminal, never completes or re-runs a completed task twice', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (scenario) => {
        await runCase(scenario);
      }),
      { numRuns: 120 },
    );
  });

  it('holds on the SQLite store too', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (scenario) => {
        await runCase(scenario, () => createSqliteRunStore({ path: join(folder, `matrix-${++databases}.db`) }));
      }),
      { numRuns: 40 },
    );
  });

  it('holds on the PostgreSQL store too (a schema per case, one pool)', { timeout: 120_000 }, async () => {
    const schemas = postgresSchemas();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    pool.on('error', () => undefined);
    try {
      await fc.assert(
        fc.asyncProperty(caseArbitrary, async (scenario) => {
          await runCase(scenario, () => createPostgresRunStore({ pool, schema: schemas.fresh() }));
        }),
        { numRuns: 25 },
      );
    } finally {
      await pool.end();
      await schemas.drop();
    }
  });

  it('covers every commit point of one DAG with each fault kind', { timeout: 120_000 }, async () => {
    const seen = new Map<string, number>();
    for (const kind of ['transient', 'lostAnswer', 'terminal', 'slow', 'crash'] as const) {
      for (let at = 1; at <= 14; at += 1) {
        const outcome = await runCase({ tasks: 6, layers: 3, seed: 42, parallelism: 2, faults: [{ at, kind }] });
        const key = `${kind}:${outcome.owner}:${outcome.resumed ? 'resumed' : 'own'}:${outcome.state}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    // Each fault kind really had its effect somewhere in the run.
    expect(seen.get('transient:ended:own:completed')).toBe(14);
    expect(seen.get('lostAnswer:ended:own:completed')).toBe(14);
    expect(seen.get('slow:ended:own:completed')).toBe(14);
    expect(seen.get('terminal:ended:own:failed')).toBeGreaterThan(5);
    expect(seen.get('crash:crashed:resumed:completed')).toBeGreaterThan(5);
  });
});
