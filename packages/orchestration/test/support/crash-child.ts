/**
 * Child process of the crash test: runs (or resumes) a 200-task DAG against a SQLite or PostgreSQL store (see store-location.ts) and
 * appends every LLM call's task id to a file, so the parent can count calls across the SIGKILL.
 * Usage: crash-child.ts <db-or-postgres:schema> <calls-file> <run-id> <seed>
 */
import { asRunId } from '@runtime/contracts';
import { layeredDag } from './layered-dag.js';
import { recordingLlm } from './recording-llm.js';
import { harness } from './setup.js';
import { openStore } from './store-location.js';

const [dbPath, callsPath, runId, seedText] = process.argv.slice(2);
if (dbPath === undefined || callsPath === undefined || runId === undefined || seedText === undefined) {
  throw new Error('usage: crash-child.ts <db> <calls-file> <run-id> <seed>');
}
const seed = Number(seedText);
const llm = recordingLlm(callsPath, seed, 2, 12);
const store = await openStore(dbPath);
// A short lease: the parent may take the run over 200 ms after the kill.
const { orchestrator } = harness(llm, { store, owner: `child-${process.pid}`, leaseTtlMs: 200, leaseRenewMs: 50 });
const run = await orchestrator.start(
  { tasks: layeredDag(200, 10, seed), policy: { maxParallelism: 8, budgetUsd: 10 } },
  { runId: asRunId(runId) },
);
process.stdout.write('started\n');
const done = await orchestrator.wait(run.id);
process.stdout.write(`done ${done.state}\n`);
await store.close();
