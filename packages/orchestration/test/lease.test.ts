/**
 * Two processes on one store (a SQLite file, a PostgreSQL schema): a child process owns a run (short lease, heartbeat) and this
 * process tries to take it. While the owner lives, nothing is taken and every task is answered
 * once; once it is killed, this process resumes the run only after the lease expired; an owner
 * that was frozen past its lease finds its commits refused when it wakes up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asRunId, type RunId, type RunStore } from '@runtime/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createScriptedLlm } from '../src/testing.js';
import { harness } from './support/setup.js';
import { openStore, storeBackends } from './support/store-location.js';

const here = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(here, '../../..');
const childScript = join(here, 'support/lease-child.ts');
const folder = mkdtempSync(join(tmpdir(), 'runtime-lease-'));

const backends = storeBackends(folder);

afterAll(async () => {
  try {
    for (const backend of backends) await backend.cleanup();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

interface Child {
  readonly process: ChildProcess;
  output: string;
  readonly started: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(db: string, calls: string, runId: string, seed: number, ttlMs: number, freezeMs = 0): Child {
  const process_ = spawn(process.execPath, ['--import', 'tsx', '--conditions=@runtime/source', childScript, db, calls, runId, String(seed), String(ttlMs), String(freezeMs)], {
    cwd: repositoryRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  const child: Child = {
    process: process_,
    output: '',
    started: new Promise((resolveStarted, reject) => {
      process_.stdout.on('data', (chunk: Buffer) => {
        child.output += chunk.toString();
        if (child.output.includes('started')) resolveStarted();
      });
      process_.on('exit', () => reject(new Error(`child exited before starting: ${errors}`)));
    }),
    exited: new Promise((resolveExit) => {
      process_.on('exit', (code, signal) => resolveExit({ code, signal }));
    }),
  };
  process_.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return child;
}

function countCalls(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function completionsPerTask(store: RunStore, runId: RunId): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const event of await store.readEvents(runId)) if (event.type === 'task.completed') counts.set(event.taskId, (counts.get(event.taskId) ?? 0) + 1);
  return counts;
}

describe.each(backends)('two processes, one $name store', (backend) => {
  it('leaves a live owner alone: resume is RUN_OWNED, resumeAll takes nothing, every task is answered once', { timeout: 60_000 }, async () => {
    const db = backend.location('live');
    const calls = join(folder, `${backend.name}-live.calls`);
    const runId = asRunId('live-run');
    const child = startChild(db, calls, runId, 11, 1_000);
    await child.started;
    const store = await openStore(db);
    const llm = createScriptedLlm();
    const { orchestrator } = harness(llm, { store, owner: 'intruder' });
    let refusals = 0;
    while (!child.output.includes('done')) {
      const report = await orchestrator.resumeAll();
      expect(report.resumed).toEqual([]);
      try {
        // Only a run the owner has finished meanwhile may come back (as its terminal view).
        expect((await orchestrator.resume(runId)).state).toBe('completed');
      } catch (error) {
        expect(error).toMatchObject({ code: 'RUN_OWNED' });
        refusals += 1;
      }
      await sleep(25);
    }
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output).toContain('done completed');
    expect(refusals).toBeGreaterThan(5);
    expect(llm.calls.size).toBe(0);
    const counts = countCalls(calls);
    expect(counts.size).toBe(120);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect([...(await completionsPerTask(store, runId)).values()].every((count) => count === 1)).toBe(true);
    await orchestrator.close();
    await store.close();
  });

  it('resumes a killed owner’s run only after its lease expired; completed tasks are not re-run', { timeout: 60_000 }, async () => {
    const db = backend.location('killed');
    const calls = join(folder, `${backend.name}-killed.calls`);
    const runId = asRunId('killed-run');
    const ttl = 600;
    const child = startChild(db, calls, runId, 12, ttl);
    await child.started;
    await sleep(120);
    child.process.kill('SIGKILL');
    await child.exited;
    const store = await openStore(db);
    const expiresAt = (await store.getRun(runId))?.lease?.expiresAt ?? 0;
    // Read before anyone resumes: once the successor runs, its own completions join the journal.
    const completedBefore = new Set((await store.readEvents(runId)).filter((event) => event.type === 'task.completed').map((event) => (event.type === 'task.completed' ? event.taskId : '')));
    const llm = createScriptedLlm();
    const { orchestrator } = harness(llm, { store, owner: 'successor' });
    if (Date.now() < expiresAt - 50) await expect(orchestrator.resume(runId)).rejects.toMatchObject({ code: 'RUN_OWNED' });
    let resumedAt = 0;
    while (resumedAt === 0) {
      const report = await orchestrator.resumeAll();
      if (report.resumed.includes(runId)) resumedAt = Date.now();
      else await sleep(20);
    }
    expect(resumedAt).toBeGreaterThanOrEqual(expiresAt);
    const run = await orchestrator.wait(runId);
    expect(run.state).toBe('completed');
    for (const id of completedBefore) expect(llm.calls.get(id)).toBeUndefined();
    expect((await store.getRun(runId))?.lease).toBeUndefined();
    expect([...(await completionsPerTask(store, runId)).values()].every((count) => count === 1)).toBe(true);
    await orchestrator.close();
    await store.close();
  });

  it('refuses the commits of an owner frozen past its lease; it stops when it wakes up', { timeout: 60_000 }, async () => {
    const db = backend.location('frozen');
    const calls = join(folder, `${backend.name}-frozen.calls`);
    const runId = asRunId('frozen-run');
    const ttl = 400;
    const child = startChild(db, calls, runId, 13, ttl, 4_000);
    await child.started;
    await sleep(100);
    child.process.kill('SIGUSR2'); // frozen for 4 s, ten times its lease
    const store = await openStore(db);
    const llm = createScriptedLlm({ latency: () => 3 });
    const { orchestrator } = harness(llm, { store, owner: 'successor', waitPollMs: 20 });
    let report = await orchestrator.resumeAll();
    while (!report.resumed.includes(runId)) {
      await sleep(25);
      report = await orchestrator.resumeAll();
    }
    const epoch = (await store.getRun(runId))?.lease?.epoch;
    expect(epoch).toBe(2);
    const seqAtTakeover = (await store.getRun(runId))?.lastSeq ?? 0;
    expect(child.output).not.toContain('thawed');
    const run = await orchestrator.wait(runId);
    expect(run.state).toBe('completed');
    const exit = await child.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.output).toContain('background LEASE_LOST');
    expect(child.output).toContain('done completed'); // its wait() followed the successor's journal
    const events = await store.readEvents(runId);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.length).toBeGreaterThan(seqAtTakeover);
    // One completion per task: nothing the frozen owner did after the take-over was journaled.
    const completions = await completionsPerTask(store, runId);
    expect(completions.size).toBe(120);
    expect([...completions.values()].every((count) => count === 1)).toBe(true);
    await orchestrator.close();
    await store.close();
  });
});
