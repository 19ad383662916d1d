/**
 * Child process of the two-process lease tests: starts a 120-task DAG on a SQLite or PostgreSQL store (see store-location.ts) with a
 * short owner lease and appends every LLM call's task id to a file. Prints `started`, each
 * background error as `background <code>`, and `done <state>` when the run ends.
 * Usage: lease-child.ts <db-or-postgres:schema> <calls-file> <run-id> <seed> <lease-ttl-ms> [freeze-ms]
 */
import { RuntimeError, asRunId } from '@runtime/contracts';
import { layeredDag } from './layered-dag.js';
import { recordingLlm } from './recording-llm.js';
import { harness } from './setup.js';
import { openStore } from './store-location.js';

const [dbPath, callsPath, runId, seedText, ttlText] = process.argv.slice(2);
if (dbPath === undefined || callsPath === undefined || runId === undefined || seedText === undefined || ttlText === undefined) {
  throw new Error('usage: lease-child.ts <db> <calls-file> <run-id> <seed> <lease-ttl-ms>');
}
const seed = Number(seedText);
const llm = recordingLlm(callsPath, seed, 5, 20);
const store = await openStore(dbPath);
const ttl = Number(ttlText);
const { orchestrator } = harness(llm, {
  store,
  owner: `child-${process.pid}`,
  leaseTtlMs: ttl,
  leaseRenewMs: Math.max(1, Math.floor(ttl / 4)),
  waitPollMs: 20,
  onBackgroundError: (error) => {
    process.stdout.write(`background ${RuntimeError.isInstance(error) ? error.code : String(error)}\n`);
  },
});
// SIGUSR2 freezes the whole process for `freezeMs` (like a long GC pause or a stalled VM). The
// handler runs between two JS tasks, so never inside a (synchronous) SQLite transaction: unlike
// SIGSTOP it cannot freeze the process while it holds the database's write lock.
const freezeMs = Number(process.argv[7] ?? '0');
process.on('SIGUSR2', () => {
  process.stdout.write('frozen\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, freezeMs);
  process.stdout.write('thawed\n');
});
const run = await orchestrator.start({ tasks: layeredDag(120, 8, seed), policy: { maxParallelism: 6 } }, { runId: asRunId(runId) });
process.stdout.write('started\n');
const done = await orchestrator.wait(run.id);
process.stdout.write(`done ${done.state}\n`);
await orchestrator.close();
await store.close();
