/**
 * Crash test: a child process runs a 200-task DAG against SQLite or PostgreSQL and is killed with
 * SIGKILL at a random moment; this process then resumes the run. No task completed before the kill is called
 * again, every other task is called until it completes, and the spend equals the sum of the
 * settled calls.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asRunId, type Money } from '@runtime/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeCosts } from './support/fakes.js';
import { seededRandom } from './support/layered-dag.js';
import { createScriptedLlm, defaultUsage } from '../src/testing.js';
import { harness } from './support/setup.js';
import { openStore, storeBackends } from './support/store-location.js';

const here = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(here, '../../..');
const child = join(here, 'support/crash-child.ts');
const folder = mkdtempSync(join(tmpdir(), 'runtime-crash-'));
/** Trials per store: PostgreSQL's are fewer (each starts a pool and migrates a schema in the child). */
const TRIALS = { SQLite: 20, PostgreSQL: 8 } as const;
const backends = storeBackends(folder);

afterAll(async () => {
  try {
    for (const backend of backends) await backend.cleanup();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

/** Starts the child, kills it `killAfterMs` after it reports the run started; resolves when it is gone. */
function runAndKill(db: string, calls: string, runId: string, seed: number, killAfterMs: number): Promise<string> {
  return new Promise((resolveExit, reject) => {
    const process_ = spawn(process.execPath, ['--import', 'tsx', '--conditions=@runtime/source', child, db, calls, runId, String(seed)], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    process_.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (timer === undefined && output.includes('started')) {
        timer = setTimeout(() => process_.kill('SIGKILL'), killAfterMs);
      }
    });
    process_.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    process_.on('error', reject);
    process_.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`child failed (${String(code)}): ${errors}`));
      else resolveExit(output);
    });
  });
}

function countCalls(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

describe.each(backends)('crash and resume (SIGKILL, $name)', (backend) => {
  const trials = TRIALS[backend.name];
  it(`resumes ${trials} killed runs without re-running completed tasks or losing spend`, { timeout: 120_000 }, async () => {
    const random = seededRandom(20_261_122);
    const costs = fakeCosts();
    let interrupted = 0;
    for (let trial = 0; trial < trials; trial += 1) {
      const db = backend.location(`trial-${trial}`);
      const callsFile = join(folder, `${backend.name}-trial-${trial}.calls`);
      const runId = asRunId(`crash-${trial}`);
      const output = await runAndKill(db, callsFile, runId, trial + 1, Math.floor(random() * 250));
      if (!output.includes('done')) interrupted += 1;

      const store = await openStore(db);
      const before = await store.getTasks(runId);
      expect(before).toHaveLength(200);
      const completedBefore = new Set(before.filter((task) => task.state === 'completed').map((task) => task.id as string));
      const callsBefore = countCalls(callsFile);
      for (const id of completedBefore) expect(callsBefore.get(id)).toBe(1);

      const llm = createScriptedLlm();
      const { orchestrator, ledger } = harness(llm, { store, owner: `resumer-${trial}` });
      // The dead child's lease has to expire first (200 ms): until then the run is RUN_OWNED.
      for (;;) {
        try {
          await orchestrator.resume(runId);
          break;
        } catch (error) {
          expect(error).toMatchObject({ code: 'RUN_OWNED' });
          await new Promise((resolveDelay) => setTimeout(resolveDelay, 20));
        }
      }
      const run = await orchestrator.wait(runId);
      expect(run.state).toBe('completed');
      for (const id of completedBefore) expect(llm.calls.get(id)).toBeUndefined();
      for (const task of run.tasks) {
        if (!completedBefore.has(task.id)) expect(llm.calls.get(task.id)).toBe(1);
      }
      // Spend = the sum of the settled calls: one per task, priced from its reported usage.
      const expected = run.tasks.reduce((sum, task) => sum + costs.cost(task.model, defaultUsage(task.id)), 0n);
      const records = await store.getTasks(runId);
      expect(records.reduce((sum, task) => sum + task.cost, 0n)).toBe(expected);
      // A run the child finished before the kill is not adopted (nothing to restore in this ledger).
      if (completedBefore.size < 200) {
        const snapshot = await ledger.snapshot(`run:${runId}`);
        expect(snapshot.spent).toBe(expected as Money);
        expect(snapshot.reserved).toBe(0n);
      }
      await store.close();
    }
    // Most kills must land mid-run for the test to mean something.
    expect(interrupted).toBeGreaterThanOrEqual(trials / 2);
  });
});
